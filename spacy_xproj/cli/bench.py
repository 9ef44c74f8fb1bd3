"""xproj bench command.

Placeholder: filled in by issue (see DESIGN)."""

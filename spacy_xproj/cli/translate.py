"""xproj translate command.

Placeholder: filled in by issue (see DESIGN)."""

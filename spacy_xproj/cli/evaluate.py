"""xproj evaluate command.

Placeholder: filled in by issue (see DESIGN)."""

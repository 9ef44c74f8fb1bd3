"""xproj project command.

Placeholder: filled in by issue (see DESIGN)."""

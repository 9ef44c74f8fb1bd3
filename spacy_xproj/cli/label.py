"""xproj label command.

Placeholder: filled in by issue (see DESIGN)."""

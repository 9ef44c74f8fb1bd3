"""xproj convert command.

Placeholder: filled in by issue (see DESIGN)."""

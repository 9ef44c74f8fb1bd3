"""xproj report command.

Placeholder: filled in by issue (see DESIGN)."""

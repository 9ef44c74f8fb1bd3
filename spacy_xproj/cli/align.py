"""xproj align command.

Placeholder: filled in by issue (see DESIGN)."""

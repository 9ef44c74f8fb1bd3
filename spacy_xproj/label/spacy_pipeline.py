"""spaCy pipeline labeller.

Placeholder: filled in by issue 5."""

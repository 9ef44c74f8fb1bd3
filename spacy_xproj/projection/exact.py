"""Fast exact solver (dynamic programming).

Placeholder: filled in by issue 7."""

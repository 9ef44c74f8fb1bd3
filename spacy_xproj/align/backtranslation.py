"""Back-translation refinement (EasyProject markers + fuzzy match).

Placeholder: filled in by issue 4."""

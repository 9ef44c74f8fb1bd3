"""NMTScore (direct, normalised, symmetric) scorer.

Placeholder: filled in by issue 5."""

"""HF token-classification labeller (first-subword labels, probabilities).

Placeholder: filled in by issue 5."""

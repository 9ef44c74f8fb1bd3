"""AWESoME-style softmax extraction on transformers.

Placeholder: filled in by issue 4."""

"""HF seq2seq translator backend.

Placeholder: filled in by issue 5."""

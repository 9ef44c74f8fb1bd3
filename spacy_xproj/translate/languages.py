"""ISO 639 <-> model language codes (NLLB, M2M-100, Marian).

Placeholder: filled in by issue 5."""

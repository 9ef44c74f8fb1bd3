"""Corpus I/O: conll.

Placeholder: filled in by issue 2."""

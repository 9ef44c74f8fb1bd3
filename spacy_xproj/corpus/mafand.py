"""Corpus I/O: mafand.

Placeholder: filled in by issue 2."""

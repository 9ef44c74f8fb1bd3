"""Corpus I/O: docbin.

Placeholder: filled in by issue 2."""

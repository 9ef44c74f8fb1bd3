"""Corpus I/O: europarl.

Placeholder: filled in by issue 2."""

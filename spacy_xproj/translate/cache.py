"""Persistent translation cache.

Placeholder: filled in by issue 5."""

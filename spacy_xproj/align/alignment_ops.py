"""Symmetrisation and word<->subword alignment helpers.

Placeholder: filled in by issue 4."""

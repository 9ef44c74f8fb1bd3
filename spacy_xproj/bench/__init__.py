"""Benchmarks (xproj bench).

Placeholder: filled in by issue 7."""

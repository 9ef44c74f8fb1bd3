"""Heuristic alignment-based projection (d, k, only_i, thr).

Placeholder: filled in by issue 3."""

"""Greedy and MILP (PuLP/CBC) solvers.

Placeholder: filled in by issue 3."""

"""Annotation projection: the heuristic and candidate matching (candidates x scores x solver)."""
from . import candidates, component, exact, heuristic, labels, learned, matching, scores, solvers, span_rules  # noqa: F401

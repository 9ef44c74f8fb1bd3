"""Annotation projection: the heuristic and candidate matching (candidates x scores x solver)."""
from . import candidates, component, exact, heuristic, labels, learned, matching, scores, solvers  # noqa: F401

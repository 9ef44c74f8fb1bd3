"""Shared types of candidate matching. Every extractor, scorer and solver speaks these.

* An **extractor** is ``(inp: ProjectionInput) -> List[Tuple[int, int]]`` (target spans, half-open).
* A **scorer** is ``(inp: ProjectionInput, candidates) -> np.ndarray`` of shape
  ``(len(inp.src_ents), len(candidates))``, non-negative; 0 means "no match".
* A **solver** is ``(problem: MatchingProblem) -> List[Tuple[int, int]]``: chosen
  ``(entity_index, candidate_index)`` pairs.

The matching problem (THESIS): maximise ``sum c[p,t] x[p,t]`` subject to
(a) for every source entity p: ``sum_t x[p,t] <op> n_proj`` with ``op`` in ``= < <= > >=``;
(b) no candidate is chosen twice and no two chosen candidates overlap.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..types import Alignment, Entity, NerProbs, overlaps

Span = Tuple[int, int]
Choice = Tuple[int, int]  # (entity index, candidate index)

CONSTRAINT_OPS = ("=", "<", "<=", ">", ">=")


@dataclass
class ProjectionInput:
    """Everything a projection method may look at for one sentence pair (src -> tgt)."""

    src_words: List[str]
    src_ents: List[Entity]
    tgt_words: List[str]
    alignment: Alignment  # links (src_index, tgt_index)
    src_lang: str = "en"
    tgt_lang: str = "xx"
    tgt_probs: Optional[NerProbs] = None  # per-word class probabilities on the target side
    tgt_ner_spans: Optional[List[Span]] = None  # spans proposed by an NER model on the target
    extra: Dict[str, Any] = field(default_factory=dict)


@dataclass
class MatchingProblem:
    """A dense score matrix over source entities x candidates, with the count constraint."""

    scores: np.ndarray  # shape (n_entities, n_candidates), >= 0
    candidates: List[Span]
    op: str = "<="
    n_proj: int = 1

    def __post_init__(self) -> None:
        if self.op not in CONSTRAINT_OPS:
            raise ValueError(f"unknown constraint {self.op!r}; use one of {', '.join(CONSTRAINT_OPS)}")
        self.scores = np.asarray(self.scores, dtype=np.float64)
        if self.scores.ndim != 2 or self.scores.shape[1] != len(self.candidates):
            raise ValueError(
                f"scores must have shape (n_entities, {len(self.candidates)}), got {self.scores.shape}"
            )
        if (self.scores < 0).any() or not np.isfinite(self.scores).all():
            raise ValueError("scores must be finite and non-negative")
        if self.n_proj < 0:
            raise ValueError("n_proj must be >= 0")


def count_ok(count: int, op: str, n: int) -> bool:
    """Whether ``count <op> n`` holds."""
    return {
        "=": count == n,
        "<": count < n,
        "<=": count <= n,
        ">": count > n,
        ">=": count >= n,
    }[op]


def objective(problem: MatchingProblem, solution: Sequence[Choice]) -> float:
    """``sum c[p, t]`` over the chosen pairs."""
    return float(sum(problem.scores[p, t] for p, t in solution))


def feasibility_errors(
    problem: MatchingProblem, solution: Sequence[Choice], check_counts: bool = True
) -> List[str]:
    """Human-readable reasons why ``solution`` violates the constraints (empty if feasible)."""
    errors: List[str] = []
    n_ents, n_cands = problem.scores.shape
    chosen_t = [t for _, t in solution]
    for p, t in solution:
        if not (0 <= p < n_ents and 0 <= t < n_cands):
            errors.append(f"({p}, {t}) is out of range")
    if len(set(chosen_t)) != len(chosen_t):
        errors.append("a candidate is chosen twice")
    spans = [problem.candidates[t] for t in chosen_t if 0 <= t < n_cands]
    for a in range(len(spans)):
        for b in range(a + 1, len(spans)):
            if overlaps(spans[a], spans[b]) and chosen_t[a] != chosen_t[b]:
                errors.append(f"chosen candidates {spans[a]} and {spans[b]} overlap")
    if check_counts:
        counts = [0] * n_ents
        for p, _ in solution:
            if 0 <= p < n_ents:
                counts[p] += 1
        for p, c in enumerate(counts):
            if not count_ok(c, problem.op, problem.n_proj):
                errors.append(f"entity {p} has {c} projections, violating {problem.op} {problem.n_proj}")
    return errors

"""Fast exact solver for candidate matching (dynamic programming; no MILP solver needed).

The problem (see :mod:`.matching`): maximise ``sum c[p, t] x[p, t]`` subject to a per-entity count
constraint ``sum_t x[p, t] <op> n_proj`` and "chosen candidates are pairwise non-overlapping and
each is chosen at most once". Candidates are half-open word spans on one line, so once the
per-entity counts are part of the state the problem is weighted interval scheduling:

1. **Fast path** (``<= 1`` / ``< 2``, the default): if every entity's best candidate (row argmax,
   ties to the lowest candidate index) is disjoint from the others', that choice is optimal —
   it reaches the upper bound ``sum_p max_t c[p, t]``. Most real sentences stop here.
2. **Reduction** (exact):

   * as in the THESIS (and the MILP solver), entities and candidates whose scores are all zero
     are dropped first; for ``<=`` and ``<`` only positive pairs matter at all, while for ``=``,
     ``>`` and ``>=`` zero-score pairs among the kept candidates can fill a count and stay in play
     (``solve_exact(..., reduce=False)`` solves the unreduced problem instead);
   * *containment dominance*: entity ``p`` never needs candidate ``t`` when a candidate strictly
     inside ``t`` scores at least as much for ``p`` (swap them in any solution: the inner span is
     free because ``t`` was chosen, conflicts with less and scores no less). With the align score
     every span with an unaligned border word is dominated, which leaves a handful of candidates
     per entity. Of identical spans only the best (then the first) is kept;
   * *components*: candidates that overlap are grouped into clusters on the line; entities that
     share a cluster are linked; each connected group of entities is solved on its own.
3. **Per component**: if the entities' individual optima (each solved alone) do not overlap, they
   are jointly optimal; otherwise a DP over the component's span end points whose state is the
   vector of per-entity counts so far (mixed radix; a bitmask for ``n_proj = 1``), vectorised over
   states with numpy. Transition: skip a position, or take candidate ``t`` for entity ``p`` from the
   state at ``t``'s start. ``>`` / ``>=`` counts are capped at the required minimum. The solution is
   recovered by walking back through the table (no back-pointers stored).

**Size limit.** The DP table of a component has ``(cap + 1) ** k * n_points`` cells (``k`` entities
in the component, ``cap`` the largest count tracked: ``n_proj`` for ``<=``/``=``, ``n_proj - 1`` for
``<``, ``n_proj`` / ``n_proj + 1`` for ``>=`` / ``>``; ``n_points`` distinct span end points). When it
exceeds ``max_states`` the solver logs why and hands the problem to the fallback (the MILP by
default), so results stay exact.

**Ties** are broken deterministically: lowest candidate index on the fast path; in the DP the
lowest-numbered optimal final state, and while walking back "take nothing here" before candidates
in index order.

**Infeasible problems** (``= n`` / ``> n`` / ``>= n`` that cannot be met, ``< 0``) raise
:class:`InfeasibleProblem` from :func:`solve_exact`; the registered solver then logs a warning and
returns the best solution of the upper-bound part alone (``= n`` → ``<= n``; ``>``, ``>=`` → no
count bound; ``< 0`` → nothing), which still never overlaps — the same relaxation as the MILP solver.
"""
from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..registry import solvers
from .matching import Choice, MatchingProblem

logger = logging.getLogger(__name__)

#: Default limit on DP table cells per component (8 MB of float64).
DEFAULT_MAX_STATES = 1_000_000

#: Grid cells (entities x end points x lengths) above which containment dominance is skipped.
_DOMINANCE_LIMIT = 4_000_000

#: Fallback solvers by short name -> registered name (resolved lazily).
FALLBACKS: Dict[str, str] = {
    "milp": "spacy-xproj.MilpSolver.v1",
    "greedy": "spacy-xproj.GreedySolver.v1",
}


class InfeasibleProblem(ValueError):
    """No assignment satisfies the count constraint for every entity."""


class StateSpaceTooLarge(RuntimeError):
    """A component's DP table would exceed ``max_states`` cells."""


@dataclass
class SolveStats:
    """What :func:`solve_exact` did (for benchmarks and logging)."""

    fast_path: int = 0  # problems solved by the row-argmax bound
    components: int = 0  # independent components solved
    independent: int = 0  # components whose per-entity optima were disjoint
    dp: int = 0  # components solved by the joint DP
    dp_cells: int = 0  # DP table cells allocated in total
    transitions: int = 0  # (entity, candidate) pairs left after the reduction

    def add(self, other: "SolveStats") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def count_bounds(op: str, n_proj: int) -> Tuple[int, Optional[int]]:
    """Per-entity count bounds ``(lo, hi)`` for ``count <op> n_proj``; ``hi=None`` = unbounded.

    ``< 0`` has no solution: returns ``(0, -1)``.
    """
    if op == "<=":
        return 0, n_proj
    if op == "<":
        return 0, n_proj - 1
    if op == "=":
        return n_proj, n_proj
    if op == ">=":
        return n_proj, None
    if op == ">":
        return n_proj + 1, None
    raise ValueError(f"unknown constraint {op!r}")


def _spans(problem: MatchingProblem) -> Tuple[np.ndarray, np.ndarray]:
    n = len(problem.candidates)
    arr = np.asarray(problem.candidates, dtype=np.int64).reshape(n, 2) if n else np.zeros((0, 2), np.int64)
    starts, ends = arr[:, 0].copy(), arr[:, 1].copy()
    bad = np.flatnonzero((starts < 0) | (ends <= starts))
    if bad.size:
        t = int(bad[0])
        raise ValueError(
            f"candidate {t} {tuple(problem.candidates[t])} is not a non-empty half-open span [s, e) with 0 <= s < e"
        )
    return starts, ends


def _disjoint(spans: Sequence[Tuple[int, int]]) -> bool:
    """Whether non-empty half-open spans are pairwise non-overlapping (and hence distinct)."""
    last_end = -1
    for s, e in sorted(spans):
        if s < last_end:
            return False
        last_end = e
    return True


def _dedupe_mask(scores: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> Optional[np.ndarray]:
    """Mask (k, n) of pairs that are *not* beaten by an identical span (higher score, or equal and
    earlier index); ``None`` when all spans are distinct."""
    key = starts * (int(ends.max()) + 1) + ends
    if np.unique(key).size == key.size:
        return None
    keep = np.zeros(scores.shape, dtype=bool)
    idx = np.arange(key.size)
    for r in range(scores.shape[0]):
        order = np.lexsort((idx, -scores[r], key))
        first = np.ones(order.size, dtype=bool)
        first[1:] = key[order][1:] != key[order][:-1]
        keep[r, order[first]] = True
    return keep


def _undominated(
    scores: np.ndarray, starts: np.ndarray, ends: np.ndarray, positive_only: bool
) -> np.ndarray:
    """Boolean mask (k, n): pairs ``(p, t)`` the search must consider.

    Drops pairs whose candidate strictly contains another candidate scoring at least as much for
    that entity, and duplicates of identical spans (see module doc). Exact for every constraint.
    """
    k, n = scores.shape
    live = scores > 0 if positive_only else np.ones((k, n), dtype=bool)
    dup_keep = _dedupe_mask(scores, starts, ends)
    if dup_keep is not None:
        live &= dup_keep
    lengths = ends - starts
    m = int(ends.max())
    maxlen = int(lengths.max())
    if maxlen < 2 or k * (m + 1) * maxlen > _DOMINANCE_LIMIT:
        return live
    by_len: List[np.ndarray] = [np.zeros(0, np.int64)] * (maxlen + 1)
    order = np.argsort(lengths, kind="stable")
    cuts = np.searchsorted(lengths[order], np.arange(1, maxlen + 2))
    for L in range(1, maxlen + 1):
        by_len[L] = order[cuts[L - 1] : cuts[L]]
    best_inside = None  # best_inside[:, s] = max score of a candidate inside [s, s + L - 1)
    for L in range(1, maxlen + 1):
        width = m - L + 1
        cell = np.full((k, width), -np.inf)
        idx = by_len[L]
        if idx.size:
            # For duplicate spans, the cell gets the per-entity maximum.
            np.maximum.at(cell.T, starts[idx], scores[:, idx].T)
        if best_inside is None:
            best_inside = cell
            continue
        inner = np.maximum(best_inside[:, :width], best_inside[:, 1 : width + 1])
        if idx.size:
            live[:, idx] &= ~(inner[:, starts[idx]] >= scores[:, idx])
        best_inside = np.maximum(cell, inner)
    return live


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, a: int) -> int:
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _components(
    ents: np.ndarray, cands: np.ndarray, starts: np.ndarray, ends: np.ndarray, n_ents: int
) -> List[List[int]]:
    """Groups of entities that interact (share or overlap candidates); entity order kept."""
    uniq = np.unique(cands)
    order = uniq[np.lexsort((ends[uniq], starts[uniq]))]
    cluster_of: Dict[int, int] = {}
    cluster, reach = -1, -1
    for t in order.tolist():
        if starts[t] >= reach:
            cluster += 1
        reach = max(reach, int(ends[t]))
        cluster_of[t] = cluster
    uf = _UnionFind(n_ents + cluster + 1)
    for p, t in zip(ents.tolist(), cands.tolist()):
        uf.union(p, n_ents + cluster_of[t])
    groups: Dict[int, List[int]] = {}
    for p in sorted(set(ents.tolist())):
        groups.setdefault(uf.find(p), []).append(p)
    return list(groups.values())


def _dp(
    ents: List[int],
    t_p: np.ndarray,
    t_t: np.ndarray,
    t_c: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    lo: int,
    hi: Optional[int],
    max_states: int,
    stats: SolveStats,
) -> Tuple[float, List[Choice]]:
    """Joint DP over one component. ``t_p`` holds local entity numbers (0..k-1)."""
    k = len(ents)
    cap = hi if hi is not None else lo
    base = cap + 1
    n_states = base**k
    points = np.unique(np.concatenate([starts[t_t], ends[t_t]]))
    n_points = points.size
    if n_states * n_points > max_states:
        raise StateSpaceTooLarge(
            f"{k} entities x counts up to {cap} x {n_points} span end points = "
            f"{n_states * n_points:,} DP cells > max_states={max_states:,}"
        )
    stats.dp += 1
    stats.dp_cells += n_states * n_points
    s_pos = np.searchsorted(points, starts[t_t])
    e_pos = np.searchsorted(points, ends[t_t])
    strides = base ** np.arange(k, dtype=np.int64)
    state_ids = np.arange(n_states, dtype=np.int64)
    digits = (state_ids[None, :] // strides[:, None]) % base  # (k, n_states)
    inc_from = [np.flatnonzero(digits[p] < cap) for p in range(k)]
    inc_to = [inc_from[p] + strides[p] for p in range(k)]
    stay = [np.flatnonzero(digits[p] == cap) for p in range(k)] if hi is None else None

    order = np.lexsort((t_p, t_t, e_pos))
    by_end: Dict[int, List[Tuple[int, int, int, float]]] = {}
    for i in order.tolist():
        by_end.setdefault(int(e_pos[i]), []).append(
            (int(s_pos[i]), int(t_p[i]), int(t_t[i]), float(t_c[i]))
        )

    table = np.full((n_points, n_states), -np.inf)
    table[0, 0] = 0.0
    for pos in range(1, n_points):
        row = table[pos]
        row[:] = table[pos - 1]
        for sp, p, _t, c in by_end.get(pos, ()):
            src = table[sp]
            to, fr = inc_to[p], inc_from[p]
            row[to] = np.maximum(row[to], src[fr] + c)
            if stay is not None:
                st = stay[p]
                row[st] = np.maximum(row[st], src[st] + c)

    final = table[n_points - 1]
    if lo > 0:
        valid = (digits >= min(lo, cap)).all(axis=0)
        final = np.where(valid, final, -np.inf)
    state = int(np.argmax(final))
    best = float(final[state])
    if best == -np.inf:
        raise InfeasibleProblem(f"entities {ents} cannot all reach {lo} projections")

    solution: List[Choice] = []
    pos = n_points - 1
    while pos > 0:
        value = table[pos, state]
        if table[pos - 1, state] == value:
            pos -= 1
            continue
        for sp, p, t, c in by_end[pos]:
            d = (state // int(strides[p])) % base
            preds = []
            if d >= 1:
                preds.append(state - int(strides[p]))
            if stay is not None and d == cap:
                preds.append(state)
            hit = next((q for q in preds if table[sp, q] + c == value), None)
            if hit is not None:
                solution.append((ents[p], t))
                state, pos = hit, sp
                break
        else:  # pragma: no cover - the table is consistent by construction
            raise AssertionError("DP walk-back found no transition")
    return best, solution


def solve_exact(
    problem: MatchingProblem,
    max_states: int,
    stats: Optional[SolveStats] = None,
    reduce: bool = True,
) -> List[Choice]:
    """An optimal solution of ``problem``, sorted by (entity, candidate).

    ``reduce=True`` solves the THESIS's problem, the one the MILP solver solves too: entities and
    candidates whose scores are all zero are dropped first, so the count constraint binds only
    entities with some positive score, and only candidates with some positive score can be chosen
    (this changes nothing for ``<=`` and ``<``). ``reduce=False`` solves ``problem`` as stated.

    Raises :class:`InfeasibleProblem` when the count constraint cannot be met and
    :class:`StateSpaceTooLarge` when a component exceeds ``max_states`` DP cells.
    """
    stats = stats if stats is not None else SolveStats()
    scores = problem.scores
    n_ents, n_cands = scores.shape
    lo, hi = count_bounds(problem.op, problem.n_proj)
    if n_ents == 0:
        return []
    starts, ends = _spans(problem)
    if reduce and not (scores > 0).any():
        return []
    if reduce and lo > 0:
        positive = scores > 0
        rows = np.flatnonzero(positive.any(axis=1))
        cols = np.flatnonzero(positive.any(axis=0))
        if rows.size < n_ents or cols.size < n_cands:
            sub = MatchingProblem(
                scores[np.ix_(rows, cols)], [problem.candidates[t] for t in cols.tolist()],
                problem.op, problem.n_proj,
            )
            picks = solve_exact(sub, max_states, stats, reduce=False)
            return sorted((int(rows[p]), int(cols[t])) for p, t in picks)
    if hi is not None and hi < lo:
        raise InfeasibleProblem(f"no count satisfies {problem.op} {problem.n_proj}")
    if lo == 0 and (hi == 0 or n_cands == 0):
        return []
    if lo > 0 and n_cands == 0:
        raise InfeasibleProblem("no candidates, but every entity needs a projection")

    # 1. Fast path: every entity's best candidate, if these are disjoint.
    if lo == 0 and hi == 1:
        rows = np.flatnonzero(scores.max(axis=1) > 0)
        if rows.size == 0:
            return []
        best = scores[rows].argmax(axis=1)
        if _disjoint([(int(starts[t]), int(ends[t])) for t in best.tolist()]):
            stats.fast_path += 1
            return [(int(p), int(t)) for p, t in zip(rows.tolist(), best.tolist())]

    # 2. Reduction.
    live = _undominated(scores, starts, ends, positive_only=(lo == 0))
    t_ent, t_cand = np.nonzero(live)
    stats.transitions += int(t_ent.size)
    if lo > 0:
        missing = sorted(set(range(n_ents)) - set(t_ent.tolist()))
        if missing:
            raise InfeasibleProblem(f"entity {missing[0]} has no candidate")
    if t_ent.size == 0:
        return []
    t_score = scores[t_ent, t_cand]

    # 3. Components.
    solution: List[Choice] = []
    for group in _components(t_ent, t_cand, starts, ends, n_ents):
        stats.components += 1
        local = {p: i for i, p in enumerate(group)}
        sel = np.isin(t_ent, group)
        c_ent, c_cand, c_score = t_ent[sel], t_cand[sel], t_score[sel]
        c_local = np.array([local[p] for p in c_ent.tolist()], dtype=np.int64)
        # Per-entity optima, solved alone.
        alone: List[Choice] = []
        for i, p in enumerate(group):
            mine = c_local == i
            if lo == 0 and hi == 1:
                j = int(np.argmax(c_score[mine]))  # candidates ascending: first max = lowest index
                alone.append((p, int(c_cand[mine][j])))
            else:
                _, sol = _dp(
                    [p], np.zeros(int(mine.sum()), np.int64), c_cand[mine], c_score[mine],
                    starts, ends, lo, hi, max_states, stats,
                )
                alone.extend(sol)
        if len(group) == 1 or _disjoint([(int(starts[t]), int(ends[t])) for _, t in alone]):
            stats.independent += 1
            solution.extend(alone)
            continue
        _, sol = _dp(group, c_local, c_cand, c_score, starts, ends, lo, hi, max_states, stats)
        solution.extend(sol)
    return sorted(solution)


def relaxed(problem: MatchingProblem) -> MatchingProblem:
    """The problem without the lower-bound part of its count constraint (used when infeasible)."""
    if problem.op == "=":
        return MatchingProblem(problem.scores, problem.candidates, "<=", problem.n_proj)
    if problem.op in (">", ">="):
        # ">= 0": no count bound at all (max-weight independent set of candidates).
        return MatchingProblem(problem.scores, problem.candidates, ">=", 0)
    return MatchingProblem(problem.scores, problem.candidates, "<=", 0)  # "< 0": nothing allowed


@dataclass
class ExactSolver:
    """The registered exact solver: :func:`solve_exact` with a fallback for oversized problems."""

    max_states: int
    fallback: str
    stats: SolveStats = field(default_factory=SolveStats)
    fallbacks_used: int = 0
    infeasible: int = 0
    _fallback_solver: Optional[Callable[[MatchingProblem], List[Choice]]] = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.fallback not in (*FALLBACKS, "error") and not self.fallback.startswith("spacy-xproj."):
            raise ValueError(
                f"fallback must be one of {', '.join([*FALLBACKS, 'error'])} or a registered solver name, "
                f"got {self.fallback!r}"
            )
        if self.max_states < 1:
            raise ValueError("max_states must be >= 1")

    def _get_fallback(self) -> Callable[[MatchingProblem], List[Choice]]:
        if self._fallback_solver is None:
            name = FALLBACKS.get(self.fallback, self.fallback)
            self._fallback_solver = solvers.get(name)()
        return self._fallback_solver

    def __call__(self, problem: MatchingProblem) -> List[Choice]:
        try:
            return solve_exact(problem, self.max_states, self.stats)
        except StateSpaceTooLarge as err:
            if self.fallback == "error":
                raise
            self.fallbacks_used += 1
            logger.warning("exact DP skipped (%s); using the %s solver", err, self.fallback)
            return sorted(self._get_fallback()(problem))
        except InfeasibleProblem as err:
            from .solvers import InfeasibleMatchingWarning

            self.infeasible += 1
            message = (
                f"matching with '{problem.op} {problem.n_proj}' has no feasible solution ({err}); "
                "solved without the lower bound instead"
            )
            logger.warning(message)
            warnings.warn(message, InfeasibleMatchingWarning, stacklevel=2)
            return self(relaxed(problem))


@solvers.register("spacy-xproj.ExactSolver.v1")
def make_exact_solver(
    max_states: int = DEFAULT_MAX_STATES, fallback: str = "milp"
) -> Callable[[MatchingProblem], List[Choice]]:
    """Fast exact solver (DP, see :mod:`spacy_xproj.projection.exact`).

    max_states: largest DP table (cells) per independent component before falling back.
    fallback: ``"milp"`` (``spacy-xproj.MilpSolver.v1``, exact), ``"greedy"`` (not exact),
        ``"error"`` (raise), or any registered solver name.
    """
    return ExactSolver(max_states=max_states, fallback=fallback)

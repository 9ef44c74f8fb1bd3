"""Solvers of the matching problem (THESIS ch. Methodology; PAPER 3.6).

Each registered function is a factory returning a solver
``(problem: MatchingProblem) -> List[(entity_index, candidate_index)]`` (sorted, deterministic).

Both solvers work on the *reduced* problem, as the THESIS does: entities (rows) and candidates
(columns) whose scores are all zero are dropped first, so the count constraint ``<op> n_proj`` applies
to the entities that have at least one positive score, and only candidates with some positive
score can be chosen. ``reduce_problem`` exposes this reduction.

* ``spacy-xproj.GreedySolver.v1`` — repeatedly take the largest score (ties: first in row-major
  order), then zero the columns of every candidate overlapping the chosen one (all rows) and retire
  the entity once one more pick would break the *upper* bound of its count (``=``/``<=``: ``n_proj``
  picks; ``<``: ``n_proj - 1``; ``>``/``>=``: no upper bound). Unlike the paper's code, ``<= n`` allows
  ``n`` picks for any ``n``. Greedy never breaks an upper bound or the no-overlap rule, and is not
  optimal; it **may leave an entity below a lower bound** (``=``, ``>``, ``>=``) when it runs out of
  positive candidates — the THESIS accepts this.
* ``spacy-xproj.MilpSolver.v1`` — the exact MILP (PuLP + its bundled CBC); the no-overlap rule is
  written either as the thesis's reduced constraints (``formulation="thesis"``: per overlapping
  candidate pair ``sum_p x[p,t1] + x[p,t2] <= 1``, per isolated candidate ``sum_p x[p,t] <= 1``) or,
  by default, as one clique constraint per target word (``"words"``: ``sum`` over the candidates
  covering the word ``<= 1``) — the same integer solutions, a far tighter LP relaxation: on a
  25-word sentence with 10-grams CBC needed 12.4 s with the thesis form and 0.23 s with the word form,
  at the same optimum (2-core shared CPU). When the exact problem is infeasible (e.g. ``= 2`` with
  one candidate) the lower bound is dropped (the upper bound kept, clipped at 0) and the relaxed problem is solved; an
  ``InfeasibleMatchingWarning`` says so. It never raises for infeasibility. When CBC reaches
  ``time_limit`` before it finds any solution, that is a time-out, not infeasibility: a
  ``MilpTimeoutWarning`` says so and the greedy solution is used for that sentence (when it found
  a solution in time, the best one found is used, without a warning).
"""
from __future__ import annotations

import math
import warnings
from typing import Callable, List, Optional, Tuple

import numpy as np

from ..errors import ConfigError
from ..registry import solvers
from .matching import Choice, MatchingProblem

Solver = Callable[[MatchingProblem], List[Choice]]


class InfeasibleMatchingWarning(UserWarning):
    """The exact matching problem had no feasible solution; a relaxed one was solved instead."""


class MilpTimeoutWarning(UserWarning):
    """CBC reached its time limit before finding any solution; the greedy solution was used."""


def reduce_problem(problem: MatchingProblem) -> Tuple[MatchingProblem, np.ndarray, np.ndarray]:
    """Drop all-zero rows and columns: ``(reduced problem, kept row indices, kept column indices)``."""
    positive = problem.scores > 0
    rows = np.nonzero(positive.any(axis=1))[0]
    cols = np.nonzero(positive.any(axis=0))[0]
    reduced = MatchingProblem(
        problem.scores[np.ix_(rows, cols)],
        [problem.candidates[int(t)] for t in cols],
        problem.op,
        problem.n_proj,
    )
    return reduced, rows, cols


def count_bounds(op: str, n_proj: int) -> Tuple[int, float]:
    """``(lower, upper)`` bounds on an entity's number of projections for ``count <op> n_proj``."""
    return {
        "=": (n_proj, n_proj),
        "<=": (0, n_proj),
        "<": (0, n_proj - 1),
        ">=": (n_proj, math.inf),
        ">": (n_proj + 1, math.inf),
    }[op]


def overlap_matrix(candidates: List[Tuple[int, int]]) -> np.ndarray:
    """Boolean ``(n, n)`` matrix: candidate ``a`` overlaps candidate ``b`` (the diagonal is True)."""
    if not candidates:
        return np.zeros((0, 0), dtype=bool)
    arr = np.asarray(candidates, dtype=np.int64)
    s, e = arr[:, 0], arr[:, 1]
    return (s[:, None] < e[None, :]) & (s[None, :] < e[:, None])


def solve_greedy(problem: MatchingProblem) -> List[Choice]:
    """THESIS greedy (see the module docstring for the exact rules)."""
    C = problem.scores.copy()
    if C.size == 0:
        return []
    _, upper = count_bounds(problem.op, problem.n_proj)
    if upper <= 0:
        return []
    # Overlaps of the picked candidate are computed per pick (O(T)), not as a T x T matrix: with
    # unbounded n-grams on a long sentence that matrix alone would take gigabytes.
    spans = np.asarray(problem.candidates, dtype=np.int64)
    starts, ends = spans[:, 0], spans[:, 1]
    counts = np.zeros(C.shape[0], dtype=np.int64)
    chosen: List[Choice] = []
    while True:
        flat = int(np.argmax(C))  # first maximum in row-major order
        p, t = divmod(flat, C.shape[1])
        if not C[p, t] > 0:
            break
        chosen.append((p, t))
        counts[p] += 1
        if counts[p] >= upper:
            C[p, :] = 0
        C[:, (starts < ends[t]) & (starts[t] < ends)] = 0
    return sorted(chosen)


@solvers("spacy-xproj.GreedySolver.v1")
def make_greedy_solver() -> Solver:
    """The THESIS greedy solver, with ``n_proj`` and every constraint op honoured as documented."""
    return solve_greedy


FORMULATIONS = ("words", "thesis")


def solve_milp(
    problem: MatchingProblem,
    time_limit: Optional[float],
    msg: bool,
    formulation: str,
) -> List[Choice]:
    """Exact solution of the (reduced) matching problem with PuLP/CBC; see the module docstring."""
    if formulation not in FORMULATIONS:
        raise ConfigError(f"unknown MILP formulation {formulation!r}; use one of {', '.join(FORMULATIONS)}")
    reduced, rows, cols = reduce_problem(problem)
    if reduced.scores.size == 0:
        return []
    lower, upper = count_bounds(problem.op, problem.n_proj)
    status, picks = _milp(reduced, lower, upper, time_limit, msg, formulation)
    if status == "timeout":
        warnings.warn(
            f"the MILP solver reached its time limit ({time_limit} s) before finding any solution for "
            f"{reduced.scores.shape[0]} entities and {reduced.scores.shape[1]} candidates; the greedy "
            "solution is used for this sentence (raise time_limit, or use the exact solver)",
            MilpTimeoutWarning,
            stacklevel=2,
        )
        picks = solve_greedy(reduced)
    elif status != "ok":
        warnings.warn(
            f"matching with '{problem.op} {problem.n_proj}' has no feasible solution for "
            f"{reduced.scores.shape[0]} entities and {reduced.scores.shape[1]} candidates; "
            "solved without the lower bound instead",
            InfeasibleMatchingWarning,
            stacklevel=2,
        )
        status, picks = _milp(reduced, 0, max(upper, 0), time_limit, msg, formulation)
        if status != "ok":  # cannot happen: x = 0 is feasible; keep the promise never to crash
            picks = []
    return sorted((int(rows[p]), int(cols[t])) for p, t in picks)


def _milp(
    problem: MatchingProblem,
    lower: int,
    upper: float,
    time_limit: Optional[float],
    msg: bool,
    formulation: str = "thesis",
) -> Tuple[str, List[Choice]]:
    try:
        import pulp
    except ImportError as err:  # pulp is a core dependency; be explicit anyway
        raise ConfigError("the MILP solver needs 'pulp' (pip install pulp)") from err
    C = problem.scores
    n_ents, n_cands = C.shape
    if upper < lower or (upper <= 0 and lower > 0):
        return "infeasible", []
    # Zero-score variables can only help to reach a lower bound; without one they are useless.
    use = np.ones_like(C, dtype=bool) if lower > 0 else C > 0
    model = pulp.LpProblem("xproj_matching", pulp.LpMaximize)
    x = {
        (p, t): pulp.LpVariable(f"x_{p}_{t}", cat="Binary")
        for p in range(n_ents)
        for t in range(n_cands)
        if use[p, t]
    }
    model += pulp.lpSum(float(C[p, t]) * var for (p, t), var in x.items())
    by_row: List[List] = [[] for _ in range(n_ents)]
    by_col: List[List] = [[] for _ in range(n_cands)]
    for (p, t), var in x.items():
        by_row[p].append(var)
        by_col[t].append(var)
    for p in range(n_ents):
        total = pulp.lpSum(by_row[p])
        if lower > 0:
            model += total >= lower, f"count_lo_{p}"
        if upper != math.inf:
            model += total <= int(upper), f"count_hi_{p}"
    if formulation == "words":
        # one clique constraint per target word: at most one chosen candidate covers it
        covering: dict = {}
        for t, (s, e) in enumerate(problem.candidates):
            if by_col[t]:
                for j in range(s, e):
                    covering.setdefault(j, []).append(t)
        for j in sorted(covering):
            model += pulp.lpSum(v for t in covering[j] for v in by_col[t]) <= 1, f"word_{j}"
        return _solve(model, x, time_limit, msg)
    ov = overlap_matrix(problem.candidates)
    np.fill_diagonal(ov, False)
    for t in range(n_cands):
        if not by_col[t]:
            continue
        partners = [int(u) for u in np.nonzero(ov[t])[0] if by_col[u]]
        if not partners:  # isolated: overlaps no other candidate that can be chosen
            model += pulp.lpSum(by_col[t]) <= 1, f"once_{t}"
        for u in partners:
            if u > t:  # one constraint per overlapping pair
                model += pulp.lpSum(by_col[t] + by_col[u]) <= 1, f"overlap_{t}_{u}"
    return _solve(model, x, time_limit, msg)


def _solve(model, x, time_limit: Optional[float], msg: bool) -> Tuple[str, List[Choice]]:
    import pulp

    solver = pulp.PULP_CBC_CMD(msg=msg, timeLimit=time_limit, threads=1)
    model.solve(solver)
    status = pulp.LpStatus[model.status]
    if status == "Not Solved" and model.sol_status <= 0:
        # CBC stopped (time limit) without any integer solution: a time-out, not infeasibility
        if time_limit is None:
            raise RuntimeError("CBC stopped without a solution and without a time limit")
        return "timeout", []
    if status not in ("Optimal",) and not (status == "Not Solved" and model.sol_status > 0):
        return "infeasible", []
    picks = [(p, t) for (p, t), var in x.items() if var.value() is not None and var.value() > 0.5]
    return "ok", picks


@solvers("spacy-xproj.MilpSolver.v1")
def make_milp_solver(
    time_limit: Optional[float] = None, msg: bool = False, formulation: str = "words"
) -> Solver:
    """Exact MILP (PuLP + CBC), all five ops.

    ``formulation`` chooses the no-overlap constraints: ``"thesis"`` = the THESIS's reduced form (one
    constraint per overlapping candidate pair plus one per isolated candidate); ``"words"`` (default)
    = one clique constraint per target word (the candidates covering a word are exactly a maximal
    clique of the interval overlap graph). Both have the same integer solutions, hence the same
    optimum; ``"words"`` has a much tighter LP relaxation and is ~50x faster with CBC.
    ``time_limit`` (seconds) bounds CBC per problem (the best solution found is used);
    ``msg`` shows CBC's log.
    """
    if formulation not in FORMULATIONS:
        raise ConfigError(f"unknown MILP formulation {formulation!r}; use one of {', '.join(FORMULATIONS)}")

    def milp_solver(problem: MatchingProblem) -> List[Choice]:
        return solve_milp(problem, time_limit=time_limit, msg=msg, formulation=formulation)

    return milp_solver

"""The fast exact solver (DP) against a brute-force optimum, for every constraint type."""
from __future__ import annotations

import logging
from typing import List, Optional, Sequence, Tuple

import numpy as np
import pytest
import spacy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spacy_xproj.projection import exact
from spacy_xproj.projection.exact import (
    ExactSolver,
    InfeasibleProblem,
    SolveStats,
    StateSpaceTooLarge,
    make_exact_solver,
)
from spacy_xproj.projection.exact import solve_exact as _solve_exact


def solve_exact(problem, **kw):
    """The DP with the registered solver's state limit unless a test sets its own."""
    kw.setdefault("max_states", exact.DEFAULT_MAX_STATES)
    return _solve_exact(problem, **kw)
from spacy_xproj.projection.matching import (
    CONSTRAINT_OPS,
    MatchingProblem,
    count_ok,
    feasibility_errors,
    objective,
)

Span = Tuple[int, int]


def brute_force(problem: MatchingProblem) -> Optional[float]:
    """The optimal objective by enumerating every assignment; ``None`` when infeasible."""
    scores = problem.scores
    n_ents, n_cands = scores.shape
    best: List[Optional[float]] = [None]

    def rec(t: int, chosen: List[Span], counts: List[int], value: float) -> None:
        if t == n_cands:
            if all(count_ok(c, problem.op, problem.n_proj) for c in counts):
                if best[0] is None or value > best[0]:
                    best[0] = value
            return
        rec(t + 1, chosen, counts, value)  # candidate t unused
        s, e = problem.candidates[t]
        if any(s < b and a < e for a, b in chosen):
            return
        for p in range(n_ents):
            counts[p] += 1
            rec(t + 1, chosen + [(s, e)], counts, value + scores[p, t])
            counts[p] -= 1

    rec(0, [], [0] * n_ents, 0.0)
    return best[0]


SCORES = st.sampled_from([0.0, 0.0, 0.0, 0.1, 0.2, 0.3, 0.5, 1.0, 0.25, 0.7, 1.4])


@st.composite
def problems(draw, op: str) -> MatchingProblem:
    m = draw(st.integers(1, 8))
    spans = st.integers(0, m - 1).flatmap(
        lambda s: st.integers(s + 1, min(m, s + 5)).map(lambda e: (s, e))
    )
    candidates = draw(st.lists(spans, min_size=0, max_size=6))
    n_ents = draw(st.integers(0, 3))
    scores = np.array(
        [[draw(SCORES) for _ in candidates] for _ in range(n_ents)], dtype=float
    ).reshape(n_ents, len(candidates))
    return MatchingProblem(scores, candidates, op, draw(st.integers(0, 3)))


def thesis_reduced(problem: MatchingProblem) -> Tuple[MatchingProblem, np.ndarray, np.ndarray]:
    """THESIS: drop all-zero rows and columns before solving."""
    pos = problem.scores > 0
    rows, cols = np.flatnonzero(pos.any(axis=1)), np.flatnonzero(pos.any(axis=0))
    sub = MatchingProblem(
        problem.scores[np.ix_(rows, cols)], [problem.candidates[t] for t in cols], problem.op, problem.n_proj
    )
    return sub, rows, cols


def check_against_brute_force(problem: MatchingProblem) -> None:
    # The registered semantics (reduce=True): the optimum of the THESIS-reduced problem.
    sub, rows, cols = thesis_reduced(problem)
    expected = brute_force(sub) if sub.scores.size else 0.0
    try:
        solution = solve_exact(problem)
    except InfeasibleProblem:
        assert expected is None, f"exact says infeasible, brute force found {expected}"
    else:
        assert expected is not None, f"brute force says infeasible, exact returned {solution}"
        assert set(p for p, _ in solution) <= set(rows.tolist())
        assert set(t for _, t in solution) <= set(cols.tolist())
        assert feasibility_errors(sub, [(int(np.searchsorted(rows, p)), int(np.searchsorted(cols, t))) for p, t in solution]) == []
        assert objective(problem, solution) == pytest.approx(expected, abs=1e-9)
    # The problem as stated (reduce=False).
    expected = brute_force(problem)
    try:
        solution = solve_exact(problem, reduce=False)
    except InfeasibleProblem:
        assert expected is None, f"exact says infeasible, brute force found {expected}"
        return
    assert expected is not None, f"brute force says infeasible, exact returned {solution}"
    assert feasibility_errors(problem, solution) == []
    assert objective(problem, solution) == pytest.approx(expected, abs=1e-9)
    # The reductions are exact: the same optimum without containment dominance.
    saved = exact._DOMINANCE_LIMIT
    exact._DOMINANCE_LIMIT = 0
    try:
        plain = solve_exact(problem, reduce=False)
    finally:
        exact._DOMINANCE_LIMIT = saved
    assert objective(problem, plain) == pytest.approx(expected, abs=1e-9)


# 5 ops x 300 examples = 1,500 random instances, derandomised (the same every run).
@pytest.mark.parametrize("op", CONSTRAINT_OPS)
def test_exact_equals_brute_force(op: str) -> None:
    @settings(
        max_examples=300,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(problems(op))
    def run(problem: MatchingProblem) -> None:
        check_against_brute_force(problem)

    run()


def test_thesis_counterexample() -> None:
    """THESIS: one entity, candidates (1,2),(2,3),(3,5) inclusive = (1,3),(2,4),(3,6) half-open,
    scores .2/.3/.2, <= 2: greedy takes .3 and stops; the optimum takes both outer spans."""
    problem = MatchingProblem(np.array([[0.2, 0.3, 0.2]]), [(1, 3), (2, 4), (3, 6)], "<=", 2)
    solution = solve_exact(problem)
    assert solution == [(0, 0), (0, 2)]
    assert objective(problem, solution) == pytest.approx(0.4)
    assert brute_force(problem) == pytest.approx(0.4)


def test_joint_dp_beats_independent_choice() -> None:
    """Both entities prefer span (0, 2); the optimum gives it to entity 0 and (2, 3) to entity 1."""
    problem = MatchingProblem(
        np.array([[1.0, 0.0, 0.1], [0.9, 0.8, 0.0]]), [(0, 2), (2, 3), (1, 3)], "<=", 1
    )
    stats = SolveStats()
    solution = solve_exact(problem, stats=stats)
    assert solution == [(0, 0), (1, 1)]
    assert stats.dp >= 1 and stats.fast_path == 0


def test_fast_path_and_components() -> None:
    scores = np.array([[0.5, 0.9, 0.0, 0.0], [0.0, 0.0, 0.3, 0.6]])
    problem = MatchingProblem(scores, [(0, 1), (0, 2), (5, 6), (5, 7)], "<=", 1)
    stats = SolveStats()
    assert solve_exact(problem, stats=stats) == [(0, 1), (1, 3)]
    assert stats.fast_path == 1 and stats.dp == 0
    # With <= 2 the two entities live on separate parts of the sentence: two components, no joint DP.
    stats = SolveStats()
    two = MatchingProblem(scores, [(0, 1), (1, 2), (5, 6), (6, 7)], "<=", 2)
    assert solve_exact(two, stats=stats) == [(0, 0), (0, 1), (1, 2), (1, 3)]
    assert stats.components == 2 and stats.independent == 2


def test_duplicate_spans_are_handled() -> None:
    problem = MatchingProblem(
        np.array([[0.2, 0.7, 0.7], [0.6, 0.1, 0.0]]), [(0, 2), (0, 2), (0, 2)], "<=", 1
    )
    solution = solve_exact(problem)
    assert feasibility_errors(problem, solution) == []
    assert objective(problem, solution) == pytest.approx(0.7)
    assert solution == [(0, 1)]  # ties go to the lower candidate index


def test_tie_breaking_is_deterministic() -> None:
    problem = MatchingProblem(np.ones((2, 4)), [(0, 1), (0, 1), (1, 2), (1, 2)], "<=", 1)
    first = solve_exact(problem)
    assert objective(problem, first) == 2.0
    for _ in range(3):
        assert solve_exact(problem) == first


def test_unbounded_and_lower_bounds() -> None:
    scores = np.array([[0.4, 0.0, 0.3, 0.2], [0.0, 0.5, 0.0, 0.0]])
    cands = [(0, 1), (1, 2), (2, 3), (3, 4)]
    # ">= 0" has no count bound: every positive candidate is taken.
    assert objective(MatchingProblem(scores, cands, ">=", 0), solve_exact(MatchingProblem(scores, cands, ">=", 0))) == pytest.approx(1.4)
    # "= 2": entity 1 must take a zero-score filler next to its 0.5.
    eq = MatchingProblem(scores, cands, "=", 2)
    sol = solve_exact(eq, reduce=False)
    assert feasibility_errors(eq, sol) == []
    assert objective(eq, sol) == pytest.approx(brute_force(eq))


@pytest.mark.parametrize(
    "op,n_proj,scores,cands",
    [
        ("=", 1, [[1.0], [1.0]], [(0, 1)]),  # two entities, one candidate
        (">", 1, [[1.0, 1.0]], [(0, 2), (1, 3)]),  # needs 2 disjoint spans, only overlapping ones
        ("<", 0, [[1.0]], [(0, 1)]),  # no count is < 0
        # Feasible as stated (filler (1, 2) has score 0), infeasible after the THESIS reduction.
        (">=", 2, [[1.0, 0.0]], [(0, 1), (1, 2)]),
    ],
)
def test_infeasible(op, n_proj, scores, cands, caplog) -> None:
    problem = MatchingProblem(np.array(scores, dtype=float).reshape(len(scores), len(cands)), cands, op, n_proj)
    assert brute_force(thesis_reduced(problem)[0]) is None
    with pytest.raises(InfeasibleProblem):
        solve_exact(problem)
    solver = make_exact_solver()
    from spacy_xproj.projection.solvers import InfeasibleMatchingWarning

    with pytest.warns(InfeasibleMatchingWarning, match="no feasible solution"):
        solution = solver(problem)
    assert solver.infeasible == 1
    assert feasibility_errors(problem, solution, check_counts=False) == []


def test_bad_candidates_rejected() -> None:
    for bad in [(2, 2), (3, 1), (-1, 2)]:
        problem = MatchingProblem(np.array([[0.5, 0.5]]), [(0, 1), bad], "<=", 1)
        with pytest.raises(ValueError, match="non-empty half-open span"):
            solve_exact(problem)
    with pytest.raises(ValueError, match="fallback"):
        make_exact_solver(fallback="simplex")
    with pytest.raises(ValueError, match="max_states"):
        make_exact_solver(max_states=0)


def _hard_problem(n_ents: int = 4) -> MatchingProblem:
    """Entities that all compete for the same overlapping spans (forces the joint DP)."""
    rng = np.random.default_rng(3)
    cands = [(s, e) for s in range(8) for e in range(s + 1, min(9, s + 4))]
    scores = rng.choice([0.0, 0.3, 0.6, 0.9], size=(n_ents, len(cands)))
    return MatchingProblem(scores, cands, "<=", 2)


def test_state_limit_error_and_fallback(caplog) -> None:
    problem = _hard_problem()
    with pytest.raises(StateSpaceTooLarge, match="max_states=10"):
        solve_exact(problem, max_states=10)
    with pytest.raises(StateSpaceTooLarge):
        make_exact_solver(max_states=10, fallback="error")(problem)

    calls: List[MatchingProblem] = []

    @spacy.registry.xproj_solvers("spacy-xproj.TestUnlimitedExact.v1")
    def make_test_solver():
        def solve(p: MatchingProblem) -> List[Tuple[int, int]]:
            calls.append(p)
            return solve_exact(p, max_states=10**8)

        return solve

    solver = make_exact_solver(max_states=10, fallback="spacy-xproj.TestUnlimitedExact.v1")
    with caplog.at_level(logging.WARNING, logger="spacy_xproj.projection.exact"):
        solution = solver(problem)
    assert len(calls) == 1 and solver.fallbacks_used == 1
    assert "max_states=10" in caplog.text
    assert objective(problem, solution) == pytest.approx(objective(problem, solve_exact(problem)))


def test_registered_and_resolvable_from_config() -> None:
    from thinc.api import Config

    cfg = Config().from_str(
        """
        [solver]
        @xproj_solvers = "spacy-xproj.ExactSolver.v1"
        max_states = 5000
        fallback = "error"
        """
    )
    solver = spacy.registry.resolve(cfg)["solver"]
    assert isinstance(solver, ExactSolver) and solver.max_states == 5000
    problem = MatchingProblem(np.array([[0.2, 0.3, 0.2]]), [(1, 3), (2, 4), (3, 6)], "<=", 2)
    assert solver(problem) == [(0, 0), (0, 2)]


def test_reduction_matches_thesis() -> None:
    """An entity with no positive score is unconstrained after the reduction; as stated, it must
    take a zero-score filler."""
    problem = MatchingProblem(np.array([[0.5, 0.0], [0.0, 0.0]]), [(0, 1), (1, 2)], "=", 1)
    assert solve_exact(problem) == [(0, 0)]
    assert solve_exact(problem, reduce=False) == [(0, 0), (1, 1)]


def test_empty_problems() -> None:
    for op in CONSTRAINT_OPS:
        assert solve_exact(MatchingProblem(np.zeros((0, 2)), [(0, 1), (1, 2)], op, 1)) == []
    assert solve_exact(MatchingProblem(np.zeros((2, 0)), [], "<=", 1)) == []
    assert solve_exact(MatchingProblem(np.zeros((2, 2)), [(0, 1), (1, 2)], "<=", 1)) == []

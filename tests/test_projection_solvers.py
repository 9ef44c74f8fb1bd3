"""Matching solvers (PAPER 3.6): greedy and MILP against a brute-force optimum."""
from __future__ import annotations

import itertools
import math
import warnings
from typing import List, Optional, Tuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.util import registry

from spacy_xproj.errors import ConfigError
from spacy_xproj.projection.matching import CONSTRAINT_OPS, MatchingProblem, feasibility_errors, objective
from spacy_xproj.projection.solvers import (
    InfeasibleMatchingWarning,
    count_bounds,
    reduce_problem,
    solve_greedy,
    solve_milp,
)
from spacy_xproj.types import overlaps


def greedy():
    return registry.xproj_solvers.get("spacy-xproj.GreedySolver.v1")()


def milp(formulation: str = "words"):
    return registry.xproj_solvers.get("spacy-xproj.MilpSolver.v1")(formulation=formulation)


# The THESIS counterexample: inclusive candidates (1,2), (2,3), (3,5) = half-open (1,3), (2,4), (3,6)
COUNTER = dict(scores=[[0.2, 0.3, 0.2]], candidates=[(1, 3), (2, 4), (3, 6)])


@pytest.mark.parametrize("formulation", ["words", "thesis"])
def test_thesis_counterexample_greedy_is_not_optimal(formulation: str) -> None:
    problem = MatchingProblem(op="<=", n_proj=2, **COUNTER)
    g, m = greedy()(problem), milp(formulation)(problem)
    assert g == [(0, 1)] and objective(problem, g) == pytest.approx(0.3)
    assert m == [(0, 0), (0, 2)] and objective(problem, m) == pytest.approx(0.4)


def test_unknown_formulation_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="formulation"):
        milp("cliques")


def test_greedy_honours_n_proj_unlike_the_paper_code() -> None:
    problem = MatchingProblem([[0.5, 0.4, 0.3]], [(0, 1), (1, 2), (2, 3)], "<=", 2)
    assert greedy()(problem) == [(0, 0), (0, 1)]
    assert greedy()(MatchingProblem(problem.scores, problem.candidates, "<=", 1)) == [(0, 0)]
    assert greedy()(MatchingProblem(problem.scores, problem.candidates, "<", 2)) == [(0, 0)]
    assert greedy()(MatchingProblem(problem.scores, problem.candidates, "<", 1)) == []
    assert greedy()(MatchingProblem(problem.scores, problem.candidates, ">=", 1)) == [(0, 0), (0, 1), (0, 2)]


def test_greedy_ties_go_first_in_row_major_order_and_overlaps_are_zeroed_in_all_rows() -> None:
    problem = MatchingProblem([[0.5, 0.5, 0.0], [0.5, 0.4, 0.3]], [(0, 2), (1, 3), (3, 4)], "<=", 1)
    # (0,0) is the first maximum; (1,3) overlaps it and is zeroed for entity 1 as well
    assert greedy()(problem) == [(0, 0), (1, 2)]


def test_greedy_may_stay_below_a_lower_bound() -> None:
    problem = MatchingProblem([[0.5, 0.4]], [(0, 2), (1, 3)], "=", 2)
    sol = greedy()(problem)
    assert sol == [(0, 0)]
    assert feasibility_errors(problem, sol) == ["entity 0 has 1 projections, violating = 2"]


def test_milp_relaxes_an_infeasible_problem_with_a_warning() -> None:
    problem = MatchingProblem([[0.5, 0.4], [0.1, 0.2]], [(0, 2), (1, 3)], "=", 1)
    with pytest.warns(InfeasibleMatchingWarning, match="no feasible solution"):
        sol = milp()(problem)
    # without the lower bound, <= 1 keeps the best single candidate
    assert sol == [(0, 0)]


def test_milp_uses_zero_scores_to_meet_a_lower_bound() -> None:
    problem = MatchingProblem([[0.5, 0.0, 0.0], [0.0, 0.0, 0.3]], [(0, 1), (1, 2), (2, 3)], ">=", 2)
    # columns 0 and 2 have positive scores; column 1 is dropped (all zero), so ">= 2" for two
    # entities over two usable candidates is infeasible -> relaxed
    with pytest.warns(InfeasibleMatchingWarning):
        assert milp()(problem) == [(0, 0), (1, 2)]
    eq = MatchingProblem([[0.5, 0.2, 0.0], [0.0, 0.1, 0.3]], [(0, 1), (1, 2), (2, 3)], "=", 1)
    assert milp()(eq) == [(0, 0), (1, 2)]


def test_empty_and_all_zero_problems() -> None:
    for solve in (greedy(), milp()):
        assert solve(MatchingProblem(np.zeros((0, 0)), [], "<=", 1)) == []
        assert solve(MatchingProblem(np.zeros((2, 2)), [(0, 1), (1, 2)], "=", 1)) == []


# ---------------------------------------------------------------- property tests


def brute_force(problem: MatchingProblem) -> Optional[float]:
    """Optimum of a (reduced) problem by enumeration; None when infeasible."""
    n_ents, n_cands = problem.scores.shape
    best = None
    for assign in itertools.product(range(-1, n_ents), repeat=n_cands):
        chosen = [(p, t) for t, p in enumerate(assign) if p >= 0]
        if not feasibility_errors(problem, chosen):
            value = objective(problem, chosen)
            best = value if best is None else max(best, value)
    return best


@st.composite
def problems(draw):
    n_words = draw(st.integers(1, 6))
    span = st.tuples(st.integers(0, n_words - 1), st.integers(1, n_words)).filter(lambda s: s[0] < s[1])
    cands = draw(st.lists(span, min_size=1, max_size=5, unique=True))
    n_ents = draw(st.integers(1, 3))
    values = st.sampled_from([0.0, 0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.3])
    scores = draw(st.lists(st.lists(values, min_size=len(cands), max_size=len(cands)), min_size=n_ents, max_size=n_ents))
    op = draw(st.sampled_from(CONSTRAINT_OPS))
    n_proj = draw(st.integers(0, 2))
    return MatchingProblem(np.array(scores), sorted(cands), op, n_proj)


def to_reduced(solution: List[Tuple[int, int]], rows: np.ndarray, cols: np.ndarray) -> List[Tuple[int, int]]:
    row_pos = {int(r): k for k, r in enumerate(rows)}
    col_pos = {int(c): k for k, c in enumerate(cols)}
    return [(row_pos[p], col_pos[t]) for p, t in solution]  # KeyError = a dropped row/column was used


def no_overlap_and_upper_bound(problem: MatchingProblem, sol) -> None:
    spans = [problem.candidates[t] for _, t in sol]
    assert len(set(t for _, t in sol)) == len(sol)
    assert not any(overlaps(a, b) for a, b in itertools.combinations(spans, 2))
    _, upper = count_bounds(problem.op, problem.n_proj)
    counts = np.bincount([p for p, _ in sol], minlength=problem.scores.shape[0])
    assert (counts <= max(upper, 0)).all()  # '< 0' is unsatisfiable: nothing is chosen


@settings(max_examples=150, deadline=None)
@given(problems(), st.sampled_from(["words", "thesis"]))
def test_milp_is_optimal_and_every_solver_feasible(problem: MatchingProblem, formulation: str) -> None:
    reduced, rows, cols = reduce_problem(problem)
    best = brute_force(reduced)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = milp(formulation)(problem)
    relaxed = any(issubclass(w.category, InfeasibleMatchingWarning) for w in caught)
    assert relaxed == (best is None)
    no_overlap_and_upper_bound(problem, m)
    if best is not None:
        assert feasibility_errors(reduced, to_reduced(m, rows, cols)) == []
        assert objective(problem, m) == pytest.approx(best, abs=1e-9)
    else:
        # the documented relaxation: the best solution under the upper bound alone
        upper = count_bounds(problem.op, problem.n_proj)[1]
        lower_free = MatchingProblem(reduced.scores, reduced.candidates, "<=", int(min(max(upper, 0), 99)))
        assert objective(problem, m) == pytest.approx(brute_force(lower_free), abs=1e-9)

    g = greedy()(problem)
    no_overlap_and_upper_bound(problem, g)
    assert all(problem.scores[p, t] > 0 for p, t in g)
    if problem.op in ("<=", "<") and best is not None:
        # only upper bounds: greedy is feasible, never better than the optimum
        assert feasibility_errors(reduced, to_reduced(g, rows, cols)) == []
        assert objective(problem, g) <= best + 1e-9
    else:
        # = > >= : greedy may fall short of the lower bound, and only of it (documented)
        errors = feasibility_errors(reduced, to_reduced(g, rows, cols))
        assert all("projections, violating" in e for e in errors)
        if not errors and best is not None:
            assert objective(problem, g) <= best + 1e-9


def test_exact_solver_is_registered_and_solves_the_counterexample() -> None:
    """spacy-xproj.ExactSolver.v1 is looked up by name (as configs do), never imported here."""
    make_exact = registry.xproj_solvers.get("spacy-xproj.ExactSolver.v1")
    problem = MatchingProblem(op="<=", n_proj=2, **COUNTER)
    assert objective(problem, make_exact()(problem)) == pytest.approx(0.4)


def test_bounds_table() -> None:
    assert count_bounds("=", 2) == (2, 2)
    assert count_bounds("<", 2) == (0, 1)
    assert count_bounds(">", 1) == (2, math.inf)

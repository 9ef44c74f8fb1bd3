"""The fast exact solver against the MILP (``spacy-xproj.MilpSolver.v1``, PuLP/CBC).

* Random instances: default run 600 for ``<=``/``<`` (checked in batches, see
  ``test_exact_equals_milp_batched``) + 120 for ``=``/``>``/``>=``; ``@pytest.mark.slow`` 1,000 more
  (200 per op), one MILP call each. Equal optimal objective, and the exact solution is feasible.
* Every sentence of Europarl-NER en→de: gold English entities, the real German sentence, n-gram
  candidates up to 10 words, the align score (``spacy-xproj.AlignScore.v1``) over an **eflomal**
  alignment (``spacy-xproj.Eflomal.v1`` with its seeded defaults, the 799 pairs as their own
  corpus). Constraint ``<= 1`` (the default) and ``<= 2``. The default run checks a fixed seeded
  sample of sentences; the full corpus is ``@pytest.mark.slow`` (CI runs it).
"""
from __future__ import annotations

import random
import warnings
from typing import List, Optional, Tuple

import numpy as np
import pytest
import spacy

from spacy_xproj.projection.exact import DEFAULT_MAX_STATES, make_exact_solver
from spacy_xproj.projection.exact import solve_exact as _solve_exact


def solve_exact(problem):
    return _solve_exact(problem, DEFAULT_MAX_STATES)
from spacy_xproj.projection.matching import (
    CONSTRAINT_OPS,
    MatchingProblem,
    ProjectionInput,
    feasibility_errors,
    objective,
)
from spacy_xproj.projection.solvers import InfeasibleMatchingWarning, reduce_problem


@pytest.fixture(scope="module")
def milp():
    return spacy.registry.xproj_solvers.get("spacy-xproj.MilpSolver.v1")()


def random_problem(rng: random.Random, op: str) -> MatchingProblem:
    m = rng.randint(3, 20)
    n_cands = rng.randint(1, 18)
    n_ents = rng.randint(1, 5)
    cands: List[Tuple[int, int]] = []
    for _ in range(n_cands):
        s = rng.randint(0, m - 1)
        cands.append((s, rng.randint(s + 1, min(m, s + 6))))
    values = [0.0, 0.0, 0.0, 0.0, 0.2, 0.5, 1.0]
    scores = np.array(
        [[rng.choice(values) if rng.random() < 0.6 else round(rng.random(), 3) for _ in cands] for _ in range(n_ents)]
    )
    return MatchingProblem(scores, cands, op, rng.randint(0, 3))


def solve_both(problem: MatchingProblem, milp) -> Tuple[float, float, list]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InfeasibleMatchingWarning)
        ours = make_exact_solver(fallback="error")(problem)
        theirs = milp(problem)
    return objective(problem, ours), objective(problem, theirs), ours


def _check_random(problem: MatchingProblem, milp, label) -> None:
    ours, theirs, solution = solve_both(problem, milp)
    assert ours == pytest.approx(theirs, abs=1e-6), (label, problem)
    # Feasible for the problem the MILP solves (reduced; relaxed only where it is infeasible).
    reduced, rows, cols = reduce_problem(problem)
    assert set(p for p, _ in solution) <= set(rows.tolist())
    assert feasibility_errors(problem, solution, check_counts=False) == []
    if problem.op == "<=" or (problem.op == "<" and problem.n_proj > 0):
        assert feasibility_errors(problem, solution) == []


def block_diagonal(problems: List[MatchingProblem]) -> MatchingProblem:
    """Independent instances side by side on one line (spans shifted apart, entities stacked)."""
    cands, offset = [], 0
    for p in problems:
        cands += [(s + offset, e + offset) for s, e in p.candidates]
        offset += max(e for _, e in p.candidates) + 1
    n_ents = sum(p.scores.shape[0] for p in problems)
    scores = np.zeros((n_ents, len(cands)))
    r = c = 0
    for p in problems:
        k, n = p.scores.shape
        scores[r : r + k, c : c + n] = p.scores
        r, c = r + k, c + n
    return MatchingProblem(scores, cands, problems[0].op, problems[0].n_proj)


@pytest.mark.parametrize("op", ["<=", "<"])
def test_exact_equals_milp_batched(op: str, milp) -> None:
    """300 instances per op in 10 MILP calls. For ``<=``/``<`` a batch of independent instances has
    optimum = sum of their optima, so if every exact solution is feasible for its own instance and
    the exact objectives sum to the batch's MILP optimum, each one is optimal."""
    rng = random.Random(f"batched-{op}")
    for b in range(10):
        n_proj = rng.randint(1, 3)
        batch = []
        for _ in range(30):
            p = random_problem(rng, op)
            batch.append(MatchingProblem(p.scores, p.candidates, op, n_proj))
        total = 0.0
        for p in batch:
            sol = solve_exact(p)
            assert feasibility_errors(p, sol) == []
            total += objective(p, sol)
        combined = block_diagonal(batch)
        assert total == pytest.approx(objective(combined, milp(combined)), abs=1e-6), b
        # The exact solver on the whole batch (many independent components) agrees too.
        assert objective(combined, solve_exact(combined)) == pytest.approx(total, abs=1e-9)


@pytest.mark.parametrize("op", ["=", ">", ">="])
def test_exact_equals_milp_sample(op: str, milp) -> None:
    rng = random.Random(f"sample-{op}")
    for k in range(40):
        _check_random(random_problem(rng, op), milp, k)


@pytest.mark.slow
@pytest.mark.parametrize("op", CONSTRAINT_OPS)
def test_exact_equals_milp_on_random_instances(op: str, milp) -> None:
    """1,000 instances (200 per op), one MILP call each."""
    rng = random.Random(f"exact-vs-milp-{op}")
    for k in range(200):
        _check_random(random_problem(rng, op), milp, k)


# --------------------------------------------------------------------------------------------
# Europarl-NER en→de


@pytest.fixture(scope="module")
def europarl_problems(europarl_dir) -> List[Tuple[str, ProjectionInput, list, np.ndarray]]:
    """Every Europarl pair with entities: (id, input, n-gram candidates <= 10, align scores)."""
    from spacy_xproj.bench.data import europarl_inputs

    inputs, info = europarl_inputs(europarl_dir, aligner="eflomal")
    # The alignment must be eflomal's (no silent fallback to the diagonal one in this test).
    assert info["used"].startswith("spacy-xproj.Eflomal.v1"), info
    assert info["sentences"] == 799
    extractor = spacy.registry.xproj_candidates.get("spacy-xproj.NgramCandidates.v1")(max_len=10)
    scorer = spacy.registry.xproj_scorers.get("spacy-xproj.AlignScore.v1")()
    out = []
    for inp in inputs:
        if not inp.src_ents:
            continue
        cands = extractor(inp)
        out.append((inp.extra["id"], inp, cands, scorer(inp, cands)))
    return out


def _check_europarl(problems, milp, n_proj: int) -> int:
    checked = 0
    for pid, inp, cands, scores in problems:
        problem = MatchingProblem(scores, cands, "<=", n_proj)
        ours, theirs, solution = solve_both(problem, milp)
        assert feasibility_errors(problem, solution) == [], pid
        assert ours == pytest.approx(theirs, abs=1e-6), pid
        checked += 1
    return checked


def test_exact_equals_milp_on_europarl_sample(europarl_problems, milp) -> None:
    sample = random.Random(0).sample(europarl_problems, 60)
    assert _check_europarl(sample, milp, 1) == 60
    assert _check_europarl(sample[:20], milp, 2) == 20


@pytest.mark.slow
def test_exact_equals_milp_on_every_europarl_sentence(europarl_problems, milp) -> None:
    n = _check_europarl(europarl_problems, milp, 1)
    assert n == len(europarl_problems) > 400


def test_exact_at_least_greedy_on_every_europarl_sentence(europarl_problems) -> None:
    """Cheap (no MILP): on all sentences the exact optimum is >= greedy's, the solver never falls
    back, and ``solve_exact`` is deterministic."""
    greedy = spacy.registry.xproj_solvers.get("spacy-xproj.GreedySolver.v1")()
    solver = make_exact_solver(fallback="error")
    for pid, inp, cands, scores in europarl_problems:
        for n_proj in (1, 2):
            problem = MatchingProblem(scores, cands, "<=", n_proj)
            ours = solver(problem)
            assert objective(problem, ours) >= objective(problem, greedy(problem)) - 1e-9, pid
            assert solve_exact(problem) == ours
    assert solver.fallbacks_used == 0

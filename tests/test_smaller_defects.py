"""Smaller defects: a MILP time-out is a time-out (not infeasibility, no second solve); the
Europarl benchmark's method names mean the solvers `xproj project --solver` means."""
from __future__ import annotations

import warnings
from typing import List

import numpy as np
import pytest

from resume_util import xproj
from spacy_xproj.projection.candidates import ngrams
from spacy_xproj.projection.matching import MatchingProblem
from spacy_xproj.projection.solvers import (
    InfeasibleMatchingWarning,
    MilpTimeoutWarning,
    solve_greedy,
    make_milp_solver,
)


def _problem() -> MatchingProblem:
    rnd = np.random.default_rng(1)
    cands = ngrams(8, 3)
    scores = np.round(rnd.random((3, len(cands))), 2) * (rnd.random((3, len(cands))) > 0.5)
    return MatchingProblem(scores, list(cands), "<=", 1)


def test_milp_time_out_without_a_solution_is_reported_as_a_time_out(monkeypatch) -> None:
    import pulp

    calls: List[int] = []

    def stopped_on_time(self, lp, **kwargs):  # what CBC reports when its time limit ends the search
        calls.append(1)
        lp.assignStatus(pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound)
        return lp.status

    monkeypatch.setattr(pulp.PULP_CBC_CMD, "actualSolve", stopped_on_time)
    problem = _problem()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        picks = make_milp_solver(time_limit=0.5)(problem)
    kinds = [w.category for w in caught]
    assert MilpTimeoutWarning in kinds and InfeasibleMatchingWarning not in kinds, kinds
    message = str(next(w.message for w in caught if w.category is MilpTimeoutWarning))
    assert "time limit (0.5 s)" in message and "greedy" in message
    assert calls == [1]  # not solved a second time as if it were infeasible
    assert picks == solve_greedy(problem) and picks  # the greedy solution stands in


def test_milp_solution_found_before_the_time_limit_is_used() -> None:
    problem = _problem()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", DeprecationWarning)  # PuLP's own 4.0 migration notes
        exact = make_milp_solver(time_limit=60)(problem)
    assert exact == make_milp_solver()(problem)


def test_europarl_method_names_match_project_solver_names() -> None:
    from spacy_xproj.cli.europarl import METHODS
    from spacy_xproj.cli.project import SOLVER_NAMES

    assert METHODS["candidates"]["solver"]["@xproj_solvers"] == SOLVER_NAMES["greedy"]
    for solver in ("milp", "exact"):
        assert METHODS[f"candidates-{solver}"]["solver"]["@xproj_solvers"] == SOLVER_NAMES[solver]
        assert {k: v for k, v in METHODS[f"candidates-{solver}"].items() if k != "solver"} == {
            k: v for k, v in METHODS["candidates"].items() if k != "solver"
        }


@pytest.mark.parametrize(
    "bad, message",
    [(["--method", "nope"], "unknown projection method(s) ['nope']"), (["--limit", "0"], "--limit must be at least 1")],
)
def test_europarl_bad_option_is_one_error_line(tmp_path, bad: List[str], message: str) -> None:
    r = xproj(["europarl", "--data", str(tmp_path), *bad], timeout=120)
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.returncode == 1 and len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    if bad[0] == "--limit":
        assert message in lines[0]


def test_project_counts_milp_time_outs_in_its_summary(monkeypatch, tmp_path) -> None:
    import pulp

    from spacy_xproj.cli.project import projection_step
    from spacy_xproj.runner import RunSummary
    from spacy_xproj.types import Alignment, Entity, Pair, Side

    def stopped_on_time(self, lp, **kwargs):
        lp.assignStatus(pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound)
        return lp.status

    monkeypatch.setattr(pulp.PULP_CBC_CMD, "actualSolve", stopped_on_time)
    from spacy.util import registry

    import spacy_xproj  # noqa: F401

    projector = registry.resolve({"p": {
        "@xproj_projectors": "spacy-xproj.CandidateProjector.v1",
        "extractor": {"@xproj_candidates": "spacy-xproj.NgramCandidates.v1", "max_len": 3},
        "scorer": {"@xproj_scorers": "spacy-xproj.AlignScore.v1"},
        "solver": {"@xproj_solvers": "spacy-xproj.MilpSolver.v1", "time_limit": 1},
    }})["p"]
    pair = Pair("p0", Side("en", ["Buhari", "visited", "Kano"], [Entity(0, 1, "PER"), Entity(2, 3, "LOC")]),
                Side("hau", ["Buhari", "ya", "ziyarci", "Kano"]), Alignment([(0, 0), (1, 2), (2, 3)]))
    summary = RunSummary("project")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # counted, not printed
        (out,) = projection_step(projector, summary, tmp_path / "in.jsonl")([pair])
    assert summary.warnings == {"milp_timeout_greedy_used": 1}
    assert out.tgt.ents == [Entity(0, 1, "PER"), Entity(3, 4, "LOC")]  # the greedy solution

"""Fuzz both projection methods: heuristic and candidate matching with every registered solver.

Inputs mix what goes wrong in practice: alignment links out of range, duplicate links, source
entities out of bounds or overlapping each other, empty sentences (either side), 1,000-word
sentences, and unicode edge cases in the words (combining marks, RTL, ZWJ, emoji, long tokens).

Every outcome is either a valid projection — target entities inside the sentence, not overlapping,
labels taken from the source entities, finite non-negative scores, one output pair per input pair
with its id — or an ``InputError`` naming the record. Nothing else.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import pytest
from hypothesis import event, given, note
from hypothesis import strategies as st
from spacy.util import registry

import spacy_xproj  # noqa: F401  (registers the backends)
from fuzz_strategies import LABELS, fuzz_settings, words
from spacy_xproj.errors import InputError
from spacy_xproj.projection.component import project_pairs
from spacy_xproj.projection.matching import CONSTRAINT_OPS, ProjectionInput
from spacy_xproj.types import Alignment, Entity, NerProbs, Pair, Side, overlaps

SOLVERS = [name for name in ("spacy-xproj.GreedySolver.v1", "spacy-xproj.MilpSolver.v1", "spacy-xproj.ExactSolver.v1")
           if name in registry.xproj_solvers.get_all()]
IOB = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]


def _get(reg: str, name: str, **kw: Any) -> Any:
    return getattr(registry, reg).get(name)(**kw)


def heuristic(**kw: Any) -> Any:
    return _get("xproj_projectors", "spacy-xproj.HeuristicProjector.v1", **kw)


def candidate_projector(extractor: str, scorer: str, solver: str, op: str = "<=", n_proj: int = 1,
                        max_len: Optional[int] = 10) -> Any:
    ext_kw: Dict[str, Any] = {} if extractor == "NerCandidates" else {"max_len": max_len}
    extractor_fn = _get("xproj_candidates", f"spacy-xproj.{extractor}.v1", **ext_kw)
    if scorer == "FusedScore":
        parts = {"align": _get("xproj_scorers", "spacy-xproj.AlignScore.v1"),
                 "ner_spans": _get("xproj_scorers", "spacy-xproj.NerSpansScore.v1")}
        scorer_fn = _get("xproj_scorers", "spacy-xproj.FusedScore.v1", scorers=parts,
                         weights={"align": 0.5, "ner_spans": 0.5})
    else:
        scorer_fn = _get("xproj_scorers", f"spacy-xproj.{scorer}.v1")
    return _get("xproj_projectors", "spacy-xproj.CandidateProjector.v1", extractor=extractor_fn,
                scorer=scorer_fn, solver=_get("xproj_solvers", solver), constraint=op, n_proj=n_proj)


@st.composite
def raw_pair(draw, max_words: int = 12, min_words: int = 0, bad: int = 10, min_ents: int = 0) -> Tuple[Pair, bool]:
    """A pair that is malformed about once in ``bad`` draws per part; returns ``(pair, valid)``."""
    sw = draw(st.lists(st.sampled_from(["Kano", "e\u0301", "\u05e9\u05dc\u05d5\u05dd", "a\u200db", "\U0001F44D", "x" * 500, "!"]) | words.map(lambda w: w[0] if w else "w"), min_size=min_words, max_size=max_words))
    tw = draw(st.lists(st.sampled_from(["Kano", "\u0645\u0631\u062d\u0628\u0627", "\u0301", "?", "\U0001F468\u200d\U0001F469"]) | words.map(lambda w: w[0] if w else "w"), min_size=min_words, max_size=max_words))
    valid = True
    ents: List[Entity] = []
    for _ in range(draw(st.integers(min_ents, 4))):
        if sw and draw(st.integers(0, bad - 1)) > 0:
            s = draw(st.integers(0, len(sw) - 1))
            e = draw(st.integers(s + 1, len(sw)))
        else:  # out of bounds, empty or negative
            s = draw(st.integers(-2, len(sw) + 2))
            e = draw(st.integers(s - 1, len(sw) + 3))
            valid = valid and 0 <= s < e <= len(sw)
        ents.append(Entity(s, e, draw(st.sampled_from(LABELS))))  # may overlap each other
    links: List[Tuple[int, int]] = []
    for _ in range(draw(st.integers(0, 3 * max(len(sw), 1)))):
        if sw and tw and draw(st.integers(0, 3 * bad)) > 0:
            links.append((draw(st.integers(0, len(sw) - 1)), draw(st.integers(0, len(tw) - 1))))
        else:
            i, j = draw(st.integers(-1, len(sw) + 1)), draw(st.integers(-1, len(tw) + 1))
            valid = valid and 0 <= i < len(sw) and 0 <= j < len(tw)
            links.append((i, j))
    links += links[: draw(st.integers(0, len(links)))]  # duplicate links
    probs = None
    if draw(st.booleans()):
        raw = np.asarray(draw(st.lists(st.lists(st.floats(0.01, 1.0), min_size=len(IOB), max_size=len(IOB)),
                                       min_size=len(tw), max_size=len(tw))), dtype=np.float32).reshape(len(tw), len(IOB))
        probs = NerProbs(IOB, raw / raw.sum(axis=1, keepdims=True) if len(tw) else raw)
    meta: Dict[str, Any] = {}
    if draw(st.booleans()):
        spans = []
        for _ in range(draw(st.integers(0, 3))):
            s = draw(st.integers(-1, len(tw)))
            e = draw(st.integers(s, len(tw) + 1))
            spans.append([s, e])
        meta["tgt_candidates"] = spans
    pair = Pair(draw(st.sampled_from(["p/0", "\u05e9/1", "\U0001F600"])), Side("en", sw, ents),
                Side("hau", tw, [], probs), Alignment(links), meta)
    return pair, valid


def check_projection(pair: Pair, out: Pair) -> None:
    """The invariants of a successful projection."""
    assert out.id == pair.id
    assert out.src.words == pair.src.words and out.tgt.words == pair.tgt.words
    n = len(out.tgt.words)
    ents = out.tgt.ents
    for e in ents:
        assert 0 <= e.start < e.end <= n, e
        assert e.label in {s.label for s in pair.src.ents}
    for a in range(len(ents)):
        for b in range(a + 1, len(ents)):
            assert not overlaps(ents[a].span, ents[b].span), (ents[a], ents[b])
    scores = out.meta["xproj_scores"]
    assert len(scores) == len(ents) and all(np.isfinite(s) and s >= 0 for s in scores)
    if not pair.src.ents or not pair.tgt.words:
        assert ents == []


def run_one(projector: Any, pair: Pair, valid: bool) -> None:
    try:
        (out,) = project_pairs([pair], projector)
    except InputError as err:
        event("InputError")
        note(str(err))
        assert err.record == pair.id, f"error does not name the record: {err}"
        if valid:  # a valid pair may only fail for a missing input the method needs
            assert "probabilit" in err.problem or "NER" in err.problem or "candidate" in err.problem, err
        return
    assert valid, f"malformed pair accepted: {pair}"
    check_projection(pair, out)
    event("projected" if out.tgt.ents else "valid, nothing projected")


heuristic_kw = st.fixed_dictionaries({
    "merge_distance": st.integers(0, 3),
    "top_k": st.none() | st.integers(1, 3),
    "only_i": st.booleans(),
    "length_ratio_threshold": st.none() | st.sampled_from([0.0, 0.5, 0.8, 1.5]),
})


@fuzz_settings(300)
@given(case=raw_pair(), kw=heuristic_kw)
def test_heuristic_valid_or_names_the_record(case, kw) -> None:
    pair, valid = case
    run_one(heuristic(**kw), pair, valid)


@fuzz_settings(250)
@given(
    case=raw_pair(bad=20),
    extractor=st.sampled_from(["NgramCandidates", "AlignedSubrangeCandidates", "NerCandidates"]),
    scorer=st.sampled_from(["AlignScore", "NerSpansScore", "NerScore", "FusedScore"]),
    op=st.sampled_from(CONSTRAINT_OPS),
    n_proj=st.integers(0, 2),
    max_len=st.none() | st.integers(1, 4),
)
def test_candidate_matching_greedy_valid_or_names_the_record(case, extractor, scorer, op, n_proj, max_len) -> None:
    pair, valid = case
    run_one(candidate_projector(extractor, scorer, "spacy-xproj.GreedySolver.v1", op, n_proj, max_len), pair, valid)


@pytest.mark.parametrize("solver", [s for s in SOLVERS if s != "spacy-xproj.GreedySolver.v1"])
@fuzz_settings(25)
@given(case=raw_pair(max_words=7, min_words=1, bad=40, min_ents=1), op=st.sampled_from(CONSTRAINT_OPS), n_proj=st.integers(0, 2))
def test_candidate_matching_exact_solvers_valid_or_names_the_record(solver, case, op, n_proj) -> None:
    pair, valid = case
    run_one(candidate_projector("NgramCandidates", "AlignScore", solver, op, n_proj, 4), pair, valid)


def test_every_solver_is_fuzzed() -> None:
    """The fuzz tests above cover every solver that is registered (new ones must pass too)."""
    # The package's own solvers (tests may register helpers of their own under the same prefix).
    registered = {
        name
        for name, func in registry.xproj_solvers.get_all().items()
        if name.startswith("spacy-xproj.") and func.__module__.startswith("spacy_xproj.")
    }
    assert {"spacy-xproj.GreedySolver.v1", "spacy-xproj.MilpSolver.v1", "spacy-xproj.ExactSolver.v1"} <= registered
    assert registered <= set(SOLVERS) | {"spacy-xproj.GreedySolver.v1"}, registered


def test_batch_keeps_one_output_per_input_in_order() -> None:
    """A batch with empty sentences on either side keeps every record, in order, with its id."""
    pairs = [
        Pair("a", Side("en", [], []), Side("de", ["x"], []), Alignment([])),
        Pair("b", Side("en", ["Kano"], [Entity(0, 1, "LOC")]), Side("de", [], []), Alignment([])),
        Pair("c", Side("en", ["Kano", "city"], [Entity(0, 1, "LOC"), Entity(0, 2, "LOC")]),
             Side("de", ["Kano", "Stadt"], []), Alignment([(0, 0), (0, 0), (1, 1)])),
        Pair("d", Side("en", [], []), Side("de", [], []), Alignment([])),
    ]
    for projector in [heuristic()] + [candidate_projector("NgramCandidates", "AlignScore", s) for s in SOLVERS]:
        out = project_pairs(pairs, projector)
        assert [p.id for p in out] == ["a", "b", "c", "d"]
        for p, o in zip(pairs, out):
            check_projection(p, o)
        assert out[2].tgt.ents and out[2].tgt.ents[0].span in {(0, 1), (0, 2)}

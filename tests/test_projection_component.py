"""The projectors, pair/Doc glue, the xproj_projector component and `xproj project`."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List

import numpy as np
import pytest
import spacy
from spacy.util import registry
from typer.testing import CliRunner

from spacy_xproj.cli.app import app
from spacy_xproj.corpus.jsonl import read_pairs, write_pairs
from spacy_xproj.doc import pair_to_doc
from spacy_xproj.errors import ConfigError, InputError
from spacy_xproj.projection.component import (
    project_pair,
    projection_input_from_doc,
    projection_input_from_pair,
    write_projections,
)
from spacy_xproj.types import Alignment, Entity, NerProbs, Pair, Side

# "Angela Merkel visited New York ." -> "Angela Merkel besuchte gestern New York ."
SRC = ["Angela", "Merkel", "visited", "New", "York", "."]
TGT = ["Angela", "Merkel", "besuchte", "gestern", "New", "York", "."]
LINKS = [(0, 0), (1, 1), (2, 2), (3, 4), (4, 5), (5, 6)]


def make_pair(i: int = 0, **meta) -> Pair:
    return Pair(
        f"p{i}",
        Side("en", SRC, [Entity(0, 2, "PER"), Entity(3, 5, "LOC")]),
        Side("de", TGT),
        Alignment(LINKS),
        dict(meta),
    )


CANDIDATE_PROJECTOR = {
    "@xproj_projectors": "spacy-xproj.CandidateProjector.v1",
    "constraint": "<=",
    "n_proj": 1,
    "extractor": {"@xproj_candidates": "spacy-xproj.NgramCandidates.v1", "max_len": 10},
    "scorer": {"@xproj_scorers": "spacy-xproj.AlignScore.v1"},
    "solver": {"@xproj_solvers": "spacy-xproj.MilpSolver.v1"},
}


def ents(doc):
    return [(e.start, e.end, e.label_) for e in doc.ents]


def test_project_pair_with_both_methods() -> None:
    heur = registry.xproj_projectors.get("spacy-xproj.HeuristicProjector.v1")()
    out = project_pair(make_pair(), heur)
    assert out.tgt.ents == [Entity(0, 2, "PER"), Entity(4, 6, "LOC")]
    assert out.meta["xproj_scores"] == [1.0, 1.0]
    assert make_pair().tgt.ents == []  # the input is not modified
    cand = registry.resolve({"p": CANDIDATE_PROJECTOR})["p"]
    assert project_pair(make_pair(), cand).tgt.ents == out.tgt.ents


def test_pair_input_builder_reads_candidates_and_probs() -> None:
    probs = NerProbs(["O", "B-PER"], np.tile([0.5, 0.5], (len(TGT), 1)))
    pair = make_pair(tgt_candidates=[[4, 6], [0, 1]])
    pair.tgt.probs = probs
    inp = projection_input_from_pair(pair)
    assert inp.tgt_ner_spans == [(4, 6), (0, 1)] and inp.tgt_probs is probs and inp.extra["id"] == "p0"
    ner = registry.resolve(
        {"p": {**CANDIDATE_PROJECTOR, "extractor": {"@xproj_candidates": "spacy-xproj.NerCandidates.v1"}}}
    )["p"]
    # only the NER spans are candidates: "Angela" alone and "New York"
    assert project_pair(pair, ner).tgt.ents == [Entity(0, 1, "PER"), Entity(4, 6, "LOC")]
    no_align = make_pair()
    no_align.alignment = None
    with pytest.raises(InputError, match="'p0'.*no alignment"):
        projection_input_from_pair(no_align)


def docs_for(direction: str, n: int = 3):
    return [pair_to_doc(make_pair(i), "tgt" if direction == "translation" else "src") for i in range(n)]


@pytest.mark.parametrize("projector", [None, CANDIDATE_PROJECTOR])
def test_component_translate_test_direction(projector) -> None:
    nlp = spacy.blank("de")
    nlp.add_pipe("xproj_projector", config={"projector": projector} if projector else {})
    docs = list(nlp.pipe(docs_for("translation"), batch_size=2))
    for doc in docs:
        assert ents(doc) == [(0, 2, "PER"), (4, 6, "LOC")]
        assert [(s.start, s.end, s.label_) for s in doc.spans["xproj"]] == ents(doc)
        assert doc.spans["xproj"].attrs["scores"] == [1.0, 1.0]
        assert doc._.xproj_translation.ents[0].text == "Angela Merkel"  # the source is untouched


def test_component_translate_train_direction() -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("xproj_projector", config={"source": "doc", "projector": CANDIDATE_PROJECTOR})
    for doc in nlp.pipe(docs_for("doc")):
        target = doc._.xproj_translation
        assert ents(target) == [(0, 2, "PER"), (4, 6, "LOC")]
        assert target.spans["xproj"].attrs["scores"] == [1.0, 1.0]
        assert ents(doc) == [(0, 2, "PER"), (3, 5, "LOC")]


def test_component_uses_doc_candidates_and_probs() -> None:
    doc = pair_to_doc(make_pair(), "tgt")
    inp = projection_input_from_doc(doc)
    assert inp.tgt_ner_spans is None and inp.src_ents == [Entity(0, 2, "PER"), Entity(3, 5, "LOC")]
    assert inp.alignment.links == sorted(LINKS)  # inverted back to (src, tgt)
    doc.spans["xproj_candidates"] = [doc[4:6], doc[0:2]]
    assert projection_input_from_doc(doc).tgt_ner_spans == [(0, 2), (4, 6)]


def test_component_round_trips_through_disk(tmp_path: Path) -> None:
    nlp = spacy.blank("de")
    nlp.add_pipe(
        "xproj_projector",
        config={"projector": {**CANDIDATE_PROJECTOR, "solver": {"@xproj_solvers": "spacy-xproj.GreedySolver.v1"}}},
    )
    nlp.to_disk(tmp_path / "pipe")
    loaded = spacy.load(tmp_path / "pipe")
    assert loaded.get_pipe_config("xproj_projector") == nlp.get_pipe_config("xproj_projector")
    a = nlp(pair_to_doc(make_pair(), "tgt"))
    b = loaded(pair_to_doc(make_pair(), "tgt"))
    assert ents(a) == ents(b) == [(0, 2, "PER"), (4, 6, "LOC")]
    assert loaded.from_bytes(nlp.to_bytes()).pipe_names == ["xproj_projector"]


def test_component_errors_name_the_problem() -> None:
    nlp = spacy.blank("de")
    nlp.add_pipe("xproj_projector")
    with pytest.raises(InputError, match="doc._.xproj_translation is not set"):
        nlp("ein Satz")
    doc = pair_to_doc(make_pair(), "tgt")
    doc._.xproj_alignment = None
    with pytest.raises(InputError, match="'p0'.*doc._.xproj_alignment is not set"):
        nlp(doc)
    with pytest.raises(ConfigError, match="source must be"):
        spacy.blank("de").add_pipe("xproj_projector", config={"source": "other"})


def test_write_projections_keeps_the_best_non_overlapping_entities() -> None:
    doc = spacy.blank("de")("a b c d e")
    write_projections(doc, [(Entity(0, 2, "PER"), 0.4), (Entity(1, 3, "ORG"), 0.9), (Entity(3, 4, "LOC"), 0.1)])
    assert ents(doc) == [(1, 3, "ORG"), (3, 4, "LOC")]
    assert len(doc.spans["xproj"]) == 3 and doc.spans["xproj"].attrs["scores"] == [0.4, 0.9, 0.1]


# ------------------------------------------------------------------ CLI


def write_input(path: Path, n: int = 8) -> List[Pair]:
    pairs = [make_pair(i) for i in range(n)]
    if n > 5:
        pairs[3].src.ents = []  # nothing to project
        pairs[5].alignment = Alignment([(0, 1), (1, 0), (3, 4)])  # a different alignment
    write_pairs(path, pairs)
    return pairs


def run_cli(*args: str):
    return CliRunner().invoke(app, ["project", *args, "--no-progress"], catch_exceptions=True)


@pytest.mark.parametrize(
    "options",
    [
        [],
        ["--method", "candidates", "--solver", "milp", "--candidates", "aligned", "--max-len", "0"],
        ["--method", "candidates", "--score", "fused", "--weights", "align=1"],
    ],
)
def test_cli_projects_and_resumes(tmp_path: Path, options: List[str]) -> None:
    src = tmp_path / "in.jsonl"
    pairs = write_input(src)
    full = tmp_path / "full.jsonl"
    result = run_cli(str(src), str(full), *options, "--batch-size", "3")
    assert result.exit_code == 0, result.output
    assert "project: 8 in, 8 out; 0 skipped" in result.output
    out = list(read_pairs(full))
    assert [p.id for p in out] == [p.id for p in pairs]
    assert out[0].tgt.ents == [Entity(0, 2, "PER"), Entity(4, 6, "LOC")] and out[3].tgt.ents == []
    # interrupted run: only the first batch (3 records) was committed, the next one was being
    # written; the rerun completes the file
    part = tmp_path / "part.jsonl"
    committed = "".join(full.read_text().splitlines(keepends=True)[:3])
    part.write_text(committed + '{"v":1,"id":"p3","sr')
    record = json.loads((tmp_path / "full.jsonl.run.json").read_text(encoding="utf8"))
    record.update(records=3, bytes=len(committed.encode("utf8")), complete=False)
    (tmp_path / "part.jsonl.run.json").write_text(json.dumps(record), encoding="utf8")
    result = run_cli(str(src), str(part), *options, "--batch-size", "3")
    assert result.exit_code == 0, result.output
    assert "3 skipped" in result.output
    assert part.read_bytes() == full.read_bytes()


def test_cli_config_file(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    write_input(src, 3)
    cfg = tmp_path / "proj.cfg"
    cfg.write_text(
        "[projector]\n@xproj_projectors = \"spacy-xproj.HeuristicProjector.v1\"\n"
        "merge_distance = 0\ntop_k = 1\nonly_i = false\nlength_ratio_threshold = null\n"
    )
    result = run_cli(str(src), str(tmp_path / "out.jsonl"), "--config", str(cfg))
    assert result.exit_code == 0, result.output
    assert list(read_pairs(tmp_path / "out.jsonl"))[0].tgt.ents == [Entity(0, 2, "PER"), Entity(4, 6, "LOC")]
    bad = tmp_path / "bad.cfg"
    bad.write_text("[other]\nx = 1\n")
    result = run_cli(str(src), str(tmp_path / "out2.jsonl"), "--config", str(bad))
    assert isinstance(result.exception, ConfigError) and "no [projector] block" in str(result.exception)


def test_cli_missing_alignment_names_the_record(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    pairs = [make_pair(0), make_pair(1)]
    pairs[1].alignment = None
    write_pairs(src, pairs)
    result = run_cli(str(src), str(tmp_path / "out.jsonl"))
    assert isinstance(result.exception, InputError)
    assert "record 'p1'" in str(result.exception) and "no alignment" in str(result.exception)


def test_cli_counts_relaxed_constraints_and_bad_options(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    write_input(src, 2)
    result = run_cli(
        str(src), str(tmp_path / "out.jsonl"), "--method", "candidates", "--solver", "milp",
        "--constraint", "=", "--n-proj", "3",
    )
    assert result.exit_code == 0, result.output
    assert "infeasible_constraint_relaxed=2" in result.output
    result = run_cli(str(src), str(tmp_path / "o2.jsonl"), "--method", "candidates", "--score", "fused", "--weights", "foo=1")
    assert isinstance(result.exception, ConfigError) and "NAME=WEIGHT" in str(result.exception)


def test_cli_exact_solver_is_looked_up_by_name(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    write_input(src, 2)
    result = run_cli(str(src), str(tmp_path / "out.jsonl"), "--method", "candidates", "--solver", "exact")
    try:
        registry.xproj_solvers.get("spacy-xproj.ExactSolver.v1")
    except Exception:
        assert isinstance(result.exception, ConfigError)
        assert "'spacy-xproj.ExactSolver.v1' is not registered" in str(result.exception)
    else:
        assert result.exit_code == 0, result.output


UNION_FUSED_CFG = """
[projector]
@xproj_projectors = "spacy-xproj.CandidateProjector.v1"
constraint = "<="
n_proj = 1

[projector.extractor]
@xproj_candidates = "spacy-xproj.UnionCandidates.v1"

[projector.extractor.extractors]

[projector.extractor.extractors.aligned]
@xproj_candidates = "spacy-xproj.AlignedSubrangeCandidates.v1"
max_len = 10

[projector.extractor.extractors.ner]
@xproj_candidates = "spacy-xproj.NerCandidates.v1"

[projector.scorer]
@xproj_scorers = "spacy-xproj.FusedScore.v1"
weights = {"align": 0.5, "ner_spans": 0.5}

[projector.scorer.scorers]

[projector.scorer.scorers.align]
@xproj_scorers = "spacy-xproj.AlignScore.v1"

[projector.scorer.scorers.ner_spans]
@xproj_scorers = "spacy-xproj.NerSpansScore.v1"

[projector.solver]
@xproj_solvers = "spacy-xproj.MilpSolver.v1"
"""


def test_cli_config_with_nested_union_and_fused_scores(tmp_path: Path) -> None:
    """Dicts of registered functions (UnionCandidates, FusedScore) resolve from a config file."""
    pair = make_pair(0, tgt_candidates=[[0, 1], [3, 6]])
    probs = np.full((len(TGT), 3), 0.04)
    probs[:, 0] = 0.92
    probs[0] = [0.1, 0.8, 0.1]  # "Angela" is B-PER
    pair.tgt.probs = NerProbs(["O", "B-PER", "I-PER"], probs)
    write_pairs(tmp_path / "in.jsonl", [pair])
    (tmp_path / "p.cfg").write_text(UNION_FUSED_CFG)
    result = run_cli(str(tmp_path / "in.jsonl"), str(tmp_path / "out.jsonl"), "--config", str(tmp_path / "p.cfg"))
    assert result.exit_code == 0, result.output
    out = next(read_pairs(tmp_path / "out.jsonl"))
    # PER: (0,1) scores .5 * 2/3 (align) + .5 * 0.8 (ner_spans) = 0.733 and beats (0,2) with
    # .5 * 1.0 + .5 * (0.8 + 0.04) / 2 = 0.71: the NER probabilities overrule the alignment.
    # LOC: (4,6) = .5 * 1.0 (its NER mean 0.04 is below the 0.05 threshold) beats (3,6) = .5 * 0.8
    assert out.tgt.ents == [Entity(0, 1, "PER"), Entity(4, 6, "LOC")]
    assert out.meta["xproj_scores"] == pytest.approx([0.5 * 2 / 3 + 0.5 * 0.8, 0.5], abs=1e-6)

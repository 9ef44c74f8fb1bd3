"""The learned projection score (spacy-xproj.LearnedScore.v1): features, fitting, the component's
``initialize`` and serialisation, and the CLI (`xproj fit-fusion`, `xproj project --score learned`)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List

import numpy as np
import pytest
import spacy
from spacy.training import Example
from spacy.util import registry
from typer.testing import CliRunner

from spacy_xproj.cli.app import app
from spacy_xproj.corpus.jsonl import read_pairs, write_pairs
from spacy_xproj.doc import pair_to_doc
from spacy_xproj.errors import ConfigError, InputError
from spacy_xproj.projection.component import project_pair, projection_input_from_pair
from spacy_xproj.projection.learned import (
    FEATURES,
    FusionModel,
    candidate_features,
    fit_fusion,
    fit_logistic,
    load_default_model,
)
from spacy_xproj.types import Alignment, Entity, Pair, Side

# "the United Kingdom" -> "el Reino Unido": the aligner links Kingdom-Reino only, so the coverage
# score prefers the truncated "Reino" (2/3) to the gold "Reino Unido" (1/2). Pairs with other
# names, and fillers in front so positions vary.
NAMES = [("United", "Kingdom", "Reino", "Unido"), ("Member", "States", "Estados", "miembros"),
         ("Social", "Fund", "Fondo", "Social"), ("internal", "market", "mercado", "interior")]


def name_pair(k: int, filler: int) -> Pair:
    a, b, x, y = NAMES[k % len(NAMES)]
    pre_s, pre_t = ["so"] * filler, ["pues"] * filler
    src = pre_s + ["the", a, b, "agreed", "."]
    tgt = pre_t + ["el", x, y, "aceptó", "."]
    f = filler
    links = [(i, i) for i in range(f)] + [(f, f), (f + 2, f + 1), (f + 3, f + 3), (f + 4, f + 4)]
    return Pair(f"n{k}-{filler}", Side("en", src, [Entity(f + 1, f + 3, "LOC")]),
                Side("es", tgt, [Entity(f + 1, f + 3, "LOC")]), Alignment(links), {})


def one_word_pair(k: int) -> Pair:
    """A one-word name linked one-to-one, with a linked content word after it (gold: the name alone)."""
    src = ["we", "thank", "Prodi", "warmly", "."]
    tgt = ["agradecemos", "a", "Prodi", "calurosamente", "."]
    links = [(0, 0), (1, 0), (2, 2), (3, 3), (4, 4)]
    return Pair(f"o{k}", Side("en", src, [Entity(2, 3, "PER")]), Side("es", tgt, [Entity(2, 3, "PER")]),
                Alignment(links), {})


def training_pairs() -> List[Pair]:
    return [name_pair(k, f) for k in range(4) for f in range(6)] + [one_word_pair(k) for k in range(6)]


def examples(pairs: List[Pair]):
    return [(projection_input_from_pair(p), list(p.tgt.ents)) for p in pairs]


def learned_projector(weights: str | None = None):
    cfg = {
        "@xproj_projectors": "spacy-xproj.CandidateProjector.v1",
        "extractor": {"@xproj_candidates": "spacy-xproj.NgramCandidates.v1", "max_len": 10},
        "scorer": {"@xproj_scorers": "spacy-xproj.LearnedScore.v1", "weights": weights},
        "solver": {"@xproj_solvers": "spacy-xproj.GreedySolver.v1"},
    }
    return registry.resolve({"p": cfg})["p"]


def coverage_projector():
    cfg = {
        "@xproj_projectors": "spacy-xproj.CandidateProjector.v1",
        "extractor": {"@xproj_candidates": "spacy-xproj.NgramCandidates.v1", "max_len": 10},
        "scorer": {"@xproj_scorers": "spacy-xproj.CoverageScore.v1", "surface_weight": 0.0},
        "solver": {"@xproj_solvers": "spacy-xproj.GreedySolver.v1"},
    }
    return registry.resolve({"p": cfg})["p"]


def test_features_describe_the_candidate() -> None:
    inp = projection_input_from_pair(name_pair(0, 0))
    cands = [(1, 2), (1, 3), (0, 3)]  # "Reino", "Reino Unido", "el Reino Unido"
    X = candidate_features(inp, cands, 0.5)
    f = {name: X[0, :, k] for k, name in enumerate(FEATURES)}
    assert X.shape == (1, 3, len(FEATURES))
    assert f["coverage"][0] == pytest.approx(2 / 3) and f["coverage"][1] == pytest.approx(0.5)
    assert f["is_best"].tolist() == [1.0, 0.0, 0.0]
    assert f["log_length_ratio"] == pytest.approx(np.log([0.5, 1.0, 1.5]))
    assert f["first_function"].tolist() == [0.0, 0.0, 1.0]  # "el"
    assert f["tgt_covered"] == pytest.approx([1.0, 0.5, 1 / 3])
    assert f["src_covered"] == pytest.approx([0.5, 0.5, 0.5])


def test_logistic_regression_separates_and_regularises() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = (X[:, 0] - 2 * X[:, 1] > 0).astype(float)
    w, b, mean, scale = fit_logistic(X, y, l2=1.0)
    assert w[0] > 0 > w[1] and abs(w[2]) < 0.3 * abs(w[1])
    w_strong, *_ = fit_logistic(X, y, l2=1e4)
    assert np.abs(w_strong).sum() < np.abs(w).sum() / 5


def test_fitted_model_projects_the_whole_name_where_coverage_truncates_it() -> None:
    test = name_pair(0, 7)  # a position not seen in training
    assert project_pair(test, coverage_projector()).tgt.ents == [Entity(8, 9, "LOC")]  # "Reino"
    model = fit_fusion(examples(training_pairs()), l2=1.0)
    assert model.meta["n_positive"] == len(training_pairs())
    projector = learned_projector()
    projector.scorer.model = model
    assert project_pair(test, projector).tgt.ents == [Entity(8, 10, "LOC")]  # "Reino Unido"
    assert project_pair(one_word_pair(99), projector).tgt.ents == [Entity(2, 3, "PER")]


def test_model_files_round_trip_and_bad_files_are_named(tmp_path: Path) -> None:
    model = fit_fusion(examples(training_pairs()))
    path = tmp_path / "w.json"
    model.to_disk(path)
    again = FusionModel.from_disk(path)
    assert np.allclose(again.weights, model.weights, atol=1e-5) and again.threshold == model.threshold
    assert FusionModel.from_bytes(model.to_bytes()).bias == pytest.approx(model.bias, abs=1e-5)
    data = json.loads(path.read_text())
    data["features"] = data["features"][:-1]
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match="w.json.*refit"):
        FusionModel.from_disk(path)
    with pytest.raises(InputError, match="not found"):
        FusionModel.from_disk(tmp_path / "missing.json")
    with pytest.raises(ConfigError, match="threshold"):
        registry.xproj_scorers.get("spacy-xproj.LearnedScore.v1")(threshold=1.5)
    no_gold = [(projection_input_from_pair(name_pair(0, 0)), [])]
    with pytest.raises(InputError, match="0 positive"):
        fit_fusion(no_gold)


def test_shipped_weights_load_and_are_documented() -> None:
    model = load_default_model()
    assert "de+es" in model.meta["fitted_on"] and model.meta["n_positive"] > 1000
    # the coverage and the distance to the entity's best candidate raise the score
    w = dict(zip(FEATURES, model.weights))
    assert w["gap_to_best"] > 0 and w["coverage"] + w["coverage_align"] + w["coverage_surface"] > 0
    out = project_pair(name_pair(1, 2), learned_projector())
    assert [(e.label) for e in out.tgt.ents] == ["LOC"]


def test_component_initialize_fits_and_the_weights_are_saved(tmp_path: Path) -> None:
    nlp = spacy.blank("es")
    cfg = {"projector": {
        "@xproj_projectors": "spacy-xproj.CandidateProjector.v1",
        "extractor": {"@xproj_candidates": "spacy-xproj.NgramCandidates.v1", "max_len": 10},
        "scorer": {"@xproj_scorers": "spacy-xproj.LearnedScore.v1"},
        "solver": {"@xproj_solvers": "spacy-xproj.GreedySolver.v1"},
    }}
    pipe = nlp.add_pipe("xproj_projector", config=cfg)
    shipped = pipe.projector.scorer.model.weights.copy()
    nlp.initialize()  # spaCy's placeholder example has no translation: the shipped weights stay
    assert np.allclose(pipe.projector.scorer.model.weights, shipped)
    egs = []
    for p in training_pairs():
        predicted = pair_to_doc(Pair(p.id, p.src, Side("es", p.tgt.words), p.alignment, {}), "tgt")
        egs.append(Example(predicted, pair_to_doc(p, "tgt")))
    nlp.initialize(lambda: egs)
    fitted = pipe.projector.scorer.model
    assert not np.allclose(fitted.weights, shipped) and "30 examples" in fitted.meta["fitted_on"]
    doc = nlp(pair_to_doc(Pair("t", name_pair(0, 7).src, Side("es", name_pair(0, 7).tgt.words),
                               name_pair(0, 7).alignment, {}), "tgt"))
    assert [(e.start, e.end) for e in doc.ents] == [(8, 10)]
    nlp.to_disk(tmp_path / "pipe")
    assert (tmp_path / "pipe" / "xproj_projector" / "fusion.json").exists()
    loaded = spacy.load(tmp_path / "pipe")
    assert np.allclose(loaded.get_pipe("xproj_projector").projector.scorer.model.weights, fitted.weights, atol=1e-5)
    other = spacy.blank("es")
    other.add_pipe("xproj_projector", config=cfg)
    other.from_bytes(nlp.to_bytes())
    assert np.allclose(other.get_pipe("xproj_projector").projector.scorer.model.weights, fitted.weights, atol=1e-5)


def test_cli_fit_fusion_then_project(tmp_path: Path) -> None:
    runner = CliRunner()
    train = tmp_path / "train.jsonl"
    write_pairs(train, training_pairs())
    weights = tmp_path / "w.json"
    res = runner.invoke(app, ["fit-fusion", str(train), "-o", str(weights), "--l2", "1"])
    assert res.exit_code == 0, res.output
    assert "fitted on 30 pairs" in res.output and FusionModel.from_disk(weights).meta["pairs"] == 30
    test = tmp_path / "test.jsonl"
    write_pairs(test, [Pair("t", name_pair(0, 7).src, Side("es", name_pair(0, 7).tgt.words),
                            name_pair(0, 7).alignment, {})])
    out = tmp_path / "out.jsonl"
    res = runner.invoke(app, ["project", str(test), str(out), "--score", "learned", "--fusion-weights",
                              str(weights), "--no-progress"])
    assert res.exit_code == 0, res.output
    assert next(read_pairs(out)).tgt.ents == [Entity(8, 10, "LOC")]
    res = runner.invoke(app, ["fit-fusion", str(train), "-o", str(weights), "--threshold", "1"])
    assert res.exit_code != 0 and "threshold" in str(res.exception)


def test_component_initialize_in_the_translate_train_direction() -> None:
    """source="doc": the entities sit on the doc, the gold target entities on the reference's translation."""
    nlp = spacy.blank("en")
    cfg = {"source": "doc", "projector": {
        "@xproj_projectors": "spacy-xproj.CandidateProjector.v1",
        "extractor": {"@xproj_candidates": "spacy-xproj.NgramCandidates.v1", "max_len": 10},
        "scorer": {"@xproj_scorers": "spacy-xproj.LearnedScore.v1"},
        "solver": {"@xproj_solvers": "spacy-xproj.GreedySolver.v1"},
    }}
    pipe = nlp.add_pipe("xproj_projector", config=cfg)
    egs = []
    for p in training_pairs():
        predicted = pair_to_doc(Pair(p.id, p.src, Side("es", p.tgt.words), p.alignment, {}), "src")
        egs.append(Example(predicted, pair_to_doc(p, "src")))
    pairs = pipe.gold_examples(egs)
    assert pairs[0][1] == [Entity(1, 3, "LOC")] and pairs[0][0].src_ents == [Entity(1, 3, "LOC")]
    nlp.initialize(lambda: egs)
    test = name_pair(0, 7)
    doc = nlp(pair_to_doc(Pair("t", test.src, Side("es", test.tgt.words), test.alignment, {}), "src"))
    assert [(e.start, e.end) for e in doc._.xproj_translation.ents] == [(8, 10)]

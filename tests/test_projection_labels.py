"""Label rules (derived forms of names) and the function-word border factor of CoverageScore.v2."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from spacy.util import registry
from typer.testing import CliRunner

from spacy_xproj.cli.app import app
from spacy_xproj.cli.europarl import METHODS
from spacy_xproj.cli.project import build_projector_config
from spacy_xproj.corpus.jsonl import read_pairs, write_pairs
from spacy_xproj.errors import ConfigError
from spacy_xproj.projection.component import DEFAULT_PROJECTOR, project_pair
from spacy_xproj.projection.labels import is_capitalised_name, is_derived_form, is_lowercase_word, uses_case
from spacy_xproj.projection.matching import ProjectionInput
from spacy_xproj.projection.scores import border_factors
from spacy_xproj.types import Alignment, Entity, Pair, Side

# "the Commission supports European regions ." -> "die Kommission unterstützt europäische Regionen ."
SRC = ["The", "Commission", "supports", "Europe", "'s", "regions", "."]
TGT = ["Die", "Kommission", "unterstützt", "europäische", "Regionen", "."]
LINKS = [(0, 0), (1, 1), (2, 2), (3, 3), (5, 4), (6, 5)]
ENTS = [Entity(1, 2, "ORG"), Entity(3, 4, "LOC")]


def pair(tgt=TGT, ents=ENTS, links=LINKS) -> Pair:
    return Pair("p0", Side("en", SRC, list(ents)), Side("de", list(tgt)), Alignment(list(links)), {})


def projector(block):
    return registry.resolve({"p": block})["p"]


def default_projector():
    return projector(dict(DEFAULT_PROJECTOR))


def test_word_shape_tests():
    assert is_lowercase_word("europäischen") and is_lowercase_word("-en")
    assert not is_lowercase_word("Europa") and not is_lowercase_word("1999") and not is_lowercase_word("欧洲")
    assert is_capitalised_name(["Eastern", "Europe"]) and is_capitalised_name(["European", "Union", "'", "s"])
    assert not is_capitalised_name(["competition", "policy"]) and not is_capitalised_name(["von", "Wogau"])
    assert not is_capitalised_name([","])
    assert uses_case(["die", "Kommission"]) and not uses_case(["Die", "kommission"])
    assert not uses_case(["委员会", "支持", "欧洲"])


def test_derived_form_needs_one_lowercase_word_a_capitalised_name_and_a_cased_sentence():
    src, tgt = SRC, TGT
    assert is_derived_form(src, Entity(3, 4, "LOC"), tgt, (3, 4))  # Europe -> europäische
    assert not is_derived_form(src, Entity(3, 4, "LOC"), tgt, (3, 5))  # two words
    assert not is_derived_form(src, Entity(1, 2, "ORG"), tgt, (1, 2))  # Kommission is capitalised
    assert not is_derived_form(src, Entity(5, 6, "MISC"), tgt, (4, 5))  # 'regions' is no name
    lower = [w.lower() for w in tgt]
    assert not is_derived_form(src, Entity(3, 4, "LOC"), lower, (3, 4))  # all lower case: no signal


def test_default_projector_labels_derived_forms_misc():
    out = project_pair(pair(), default_projector())
    assert out.tgt.ents == [Entity(1, 2, "ORG"), Entity(3, 4, "MISC")]
    # the same sentence with the name kept as a noun keeps its label
    noun = ["Die", "Kommission", "unterstützt", "Europas", "Regionen", "."]
    assert project_pair(pair(tgt=noun), default_projector()).tgt.ents == [Entity(1, 2, "ORG"), Entity(3, 4, "LOC")]
    # without the rule (CandidateProjector.v1's own default) every projection keeps its source label
    plain = {k: v for k, v in DEFAULT_PROJECTOR.items() if k != "label_rule"}
    assert project_pair(pair(), projector(plain)).tgt.ents == [Entity(1, 2, "ORG"), Entity(3, 4, "LOC")]


def test_label_none_drops_derived_forms_and_misc_sources_are_untouched():
    block = {**DEFAULT_PROJECTOR, "label_rule": {"@xproj_label_rules": "spacy-xproj.DerivedFormLabel.v1", "label": None}}
    out = project_pair(pair(), projector(block))
    assert out.tgt.ents == [Entity(1, 2, "ORG")] and out.meta["xproj_scores"] == [1.0]
    misc = [Entity(1, 2, "ORG"), Entity(3, 4, "MISC")]
    assert project_pair(pair(ents=misc), projector(block)).tgt.ents == [Entity(1, 2, "ORG")]
    assert project_pair(pair(ents=misc), default_projector()).tgt.ents == misc
    with pytest.raises(ConfigError, match="label must be"):
        registry.xproj_label_rules.get("spacy-xproj.DerivedFormLabel.v1")(label="  ")


def test_heuristic_takes_a_label_rule():
    block = build_projector_config("heuristic", derived_label="MISC")
    assert block["label_rule"]["label"] == "MISC"
    assert project_pair(pair(), projector(block)).tgt.ents == [Entity(1, 2, "ORG"), Entity(3, 4, "MISC")]
    paper = projector({"@xproj_projectors": "spacy-xproj.HeuristicProjector.v1"})
    assert project_pair(pair(), paper).tgt.ents == [Entity(1, 2, "ORG"), Entity(3, 4, "LOC")]


@pytest.mark.parametrize(
    "option, expected",
    [([], "MISC"), (["--derived-label", "none"], None), (["--derived-label", "keep"], "LOC"),
     (["--derived-label", "ADJ"], "ADJ"), (["--method", "heuristic", "--derived-label", "none"], None)],
)
def test_cli_derived_label(tmp_path: Path, option, expected):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_pairs(src, [pair()])
    result = CliRunner().invoke(app, ["project", str(src), str(out), "--no-progress", *option])
    assert result.exit_code == 0, result.output
    got = list(read_pairs(out))[0].tgt.ents
    assert got[0] == Entity(1, 2, "ORG")
    assert (got[1].label if len(got) > 1 else None) == expected


def test_score_options_without_their_score_are_refused(tmp_path: Path):
    with pytest.raises(ConfigError, match="add --score fused"):
        build_projector_config(weights="align=1")
    weights = tmp_path / "fusion.json"
    weights.write_text("{}")
    with pytest.raises(ConfigError, match="add --score learned"):
        build_projector_config(score="coverage", fusion_weights=weights)
    assert build_projector_config(score="learned", fusion_weights=weights)["scorer"]["weights"] == str(weights)
    result = CliRunner().invoke(app, ["europarl", "--method", "coverage", "--fusion-weights", str(weights), "--limit", "1"])
    assert result.exit_code != 0 and "add learned to --method" in str(result.exception), result.output


def test_europarl_benchmark_measures_the_cli_default():
    """``xproj europarl --method coverage`` is what ``xproj project`` runs without options."""
    fill = lambda b: registry.fill({"p": b})["p"]  # noqa: E731
    assert fill(METHODS["coverage"]) == fill(build_projector_config())
    assert fill(METHODS["coverage"]) == fill(dict(DEFAULT_PROJECTOR))


# ------------------------------------------------------------------ borders


def test_border_factors():
    src = ["the", "competition", "policy", "of", "von", "Wogau"]
    tgt = ["la", "política", "de", "competencia", "von", "Wogau", ","]
    spans = [(1, 3), (4, 6)]
    cands = [(0, 2), (1, 4), (1, 2), (4, 6), (4, 7), (5, 7)]
    F = border_factors(src, spans, tgt, cands, 0.8)
    # "competition policy": 'la política' starts with an article, 'política de competencia' does not
    assert F[0].tolist() == [0.8, 1.0, 1.0, 0.8, 0.8, 0.8]
    # "von Wogau" starts with a particle itself, so 'von Wogau' is fine; a trailing comma is not
    assert F[1].tolist() == [1.0, 1.0, 1.0, 1.0, 0.8, 0.8]
    assert (border_factors(src, spans, tgt, cands, 1.0) == 1.0).all()


def test_coverage_v2_breaks_the_tie_at_an_article_and_equals_v1_without_it():
    # competition -> la (a wrong link), policy -> política: v1 prefers 'la política'
    src = ["on", "competition", "policy", "."]
    tgt = ["sobre", "la", "política", "de", "competencia", "."]
    inp = ProjectionInput(src, [Entity(1, 3, "MISC")], tgt, Alignment([(0, 0), (1, 1), (2, 2), (3, 5)]))
    cands = [(1, 3), (2, 5), (2, 3)]
    v1 = registry.xproj_scorers.get("spacy-xproj.CoverageScore.v1")()(inp, cands)
    v2 = registry.xproj_scorers.get("spacy-xproj.CoverageScore.v2")()(inp, cands)
    off = registry.xproj_scorers.get("spacy-xproj.CoverageScore.v2")(border_weight=1.0)(inp, cands)
    assert np.argmax(v1[0]) == 0 and np.array_equal(off, v1)
    assert v2[0, 0] == pytest.approx(0.8 * v1[0, 0]) and v2[0, 2] == v1[0, 2]
    with pytest.raises(ConfigError, match="border_weight"):
        registry.xproj_scorers.get("spacy-xproj.CoverageScore.v2")(border_weight=1.5)

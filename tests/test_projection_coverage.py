"""Surface similarity, the coverage score, voted eflomal links and the error classes."""
from __future__ import annotations

import numpy as np
import pytest
from spacy.util import registry

from spacy_xproj.align.eflomal_backend import vote_links
from spacy_xproj.errors import ConfigError
from spacy_xproj.projection.diagnose import classify_errors, classify_pair, format_errors, is_function_word
from spacy_xproj.projection.matching import ProjectionInput
from spacy_xproj.projection.component import project_pairs
from spacy_xproj.projection.scores import RUNS_KEY, align_scores, block_agreement, coverage_scores
from spacy_xproj.projection.surface import similarity_matrix, surface_form, word_similarity
from spacy_xproj.types import Alignment, Entity, Pair, Side


def scorer(name, **kw):
    return registry.xproj_scorers.get(name)(**kw)


# ------------------------------------------------------------------ surface


def test_surface_form_transliterates_and_folds():
    assert surface_form("Barón") == "baron"
    assert surface_form("Москва") == "moskva"
    assert surface_form("Straße") == "strasse"
    assert surface_form("A5-0078") == "a50078"
    assert surface_form("—") == ""


def test_word_similarity_survives_case_diacritics_and_script():
    assert word_similarity("Prodi", "PRODI") == 1.0
    assert word_similarity("Crespo", "Crespó") == 1.0
    assert word_similarity("Moskva", "Москва") == 1.0
    assert word_similarity("Commission", "Kommission") == pytest.approx(0.8)
    assert word_similarity("European", "Europea") == pytest.approx(0.8)
    assert word_similarity("Commission", "Parlamento") < 0.2
    # short words count only when equal and long enough (or numbers)
    assert word_similarity("de", "de") == 0.0
    assert word_similarity("1999", "1999") == 1.0
    assert word_similarity("EU", "UE") == 0.0


def test_similarity_matrix_is_order_free():
    S = similarity_matrix(["Sri", "Lanka"], ["en", "Lanka", "Sri"])
    assert S.shape == (2, 3)
    assert S[0, 2] == 1.0 and S[1, 1] == 1.0 and S[0, 1] == 0.0


# ------------------------------------------------------------------ coverage


def test_coverage_equals_align_score_for_one_to_one_links():
    links = [(0, 1), (1, 2), (2, 4)]
    M = Alignment(links).matrix(3, 5).astype(float)
    src = [(0, 2), (2, 3)]
    tgt = [(s, e) for s in range(5) for e in range(s + 1, 6)]
    # with free_inside off, every word counts: the code form 2N/(|p|+|t|)
    np.testing.assert_allclose(coverage_scores(src, tgt, M, free_inside=False),
                               align_scores(src, tgt, Alignment(links), 3, 5))


def test_unlinked_words_inside_are_free_but_not_at_the_borders():
    # "steel aid code" -> "Código de Ayudas a la Siderurgia": de, a, la have no link at all
    src = ["steel", "aid", "code"]
    tgt = ["el", "Código", "de", "Ayudas", "a", "la", "Siderurgia", "."]
    M = np.zeros((3, 8))
    M[2, 1] = M[1, 3] = M[0, 6] = 1.0
    full, short, wider = (1, 7), (1, 4), (0, 7)
    c = coverage_scores([(0, 3)], [full, short, wider], M, free_inside=True)[0]
    assert c[0] == pytest.approx(1.0)  # 6 of 6 (function words inside are free)
    assert c[1] < c[0] and c[2] < c[0]
    # the plain align score cannot tell them apart (a tie the greedy solver breaks by position)
    a = align_scores([(0, 3)], [full, short], Alignment([(2, 1), (1, 3), (0, 6)]), 3, 8)[0]
    assert a[1] == pytest.approx(a[0])


def test_coverage_scorer_uses_link_scores_and_surface_links():
    words_src = ["Mr", "Barón", "Crespo", "spoke"]
    words_tgt = ["El", "señor", "Barón", "Crespo", "habló"]
    inp = ProjectionInput(words_src, [Entity(1, 3, "PER")], words_tgt, Alignment([(0, 1)]))
    cands = [(2, 4), (2, 3), (1, 4)]
    surface = scorer("spacy-xproj.SurfaceScore.v1")(inp, cands)
    assert surface.shape == (1, 3) and surface[0].argmax() == 0 and surface[0, 0] == pytest.approx(1.0)
    cov = scorer("spacy-xproj.CoverageScore.v1")(inp, cands)
    assert cov[0].argmax() == 0
    # without surface evidence there is no link into the entity at all
    plain = scorer("spacy-xproj.CoverageScore.v1", surface_weight=0.0)(inp, cands)
    assert not plain.any()
    # a scored link counts with its score relative to the pair's surest link
    weak = ProjectionInput(["Prodi", "said"], [Entity(0, 1, "PER")], ["x", "y"], Alignment([(0, 1), (1, 0)], [0.4, 0.8]))
    got = scorer("spacy-xproj.CoverageScore.v1", surface_weight=0.0)(weak, [(1, 2)])
    assert got[0, 0] == pytest.approx(0.5)
    flat = scorer("spacy-xproj.CoverageScore.v1", surface_weight=0.0, link_scores=False)(weak, [(1, 2)])
    assert flat[0, 0] == pytest.approx(1.0)


def test_coverage_scorer_rejects_bad_settings():
    with pytest.raises(ConfigError):
        scorer("spacy-xproj.CoverageScore.v1", surface_weight=-1.0)
    with pytest.raises(ConfigError):
        scorer("spacy-xproj.CoverageScore.v1", min_similarity=2.0)


def test_coverage_inside_fused_score():
    inp = ProjectionInput(["Prodi", "said"], [Entity(0, 1, "PER")], ["dijo", "Prodi"], Alignment([(1, 0)]))
    fused = scorer("spacy-xproj.FusedScore.v1", scorers={
        "align": scorer("spacy-xproj.AlignScore.v1"), "surface": scorer("spacy-xproj.SurfaceScore.v1")})
    got = fused(inp, [(0, 1), (1, 2)])
    assert got[0, 1] == pytest.approx(1.0) and got[0, 0] == 0.0


# ------------------------------------------------------------------ votes


def test_vote_links_scores_by_share_and_thresholds():
    voters = [[(0, 0), (1, 1)], [(0, 0)], [(0, 0), (1, 2)], [(0, 0), (1, 1)]]
    al = vote_links(voters)
    assert al.links == [(0, 0), (1, 1), (1, 2)]
    assert al.scores == [1.0, 0.5, 0.25]
    assert vote_links(voters, min_vote=0.25).links == [(0, 0), (1, 1)]
    assert vote_links([]).links == []


# ------------------------------------------------------------------ error classes


def _pair(src_words, src_ents, tgt_words, tgt_ents, links=()):
    return Pair("p", Side("en", src_words, src_ents), Side("es", tgt_words, tgt_ents), Alignment(links), {})


def test_error_classes():
    assert is_function_word("del") and is_function_word("'s") and is_function_word(",")
    assert not is_function_word("Unión") and not is_function_word("miembros")
    gold = _pair(["the", "Member", "States", "and", "Prodi"], [Entity(1, 3, "LOC"), Entity(4, 5, "PER")],
                 ["los", "Estados", "miembros", "y", "Prodi"], [Entity(1, 3, "LOC"), Entity(4, 5, "PER")],
                 links=[(2, 1)])
    pred = _pair(gold.src.words, gold.src.ents, gold.tgt.words, [Entity(0, 2, "LOC")], links=[(2, 1)])
    misses, fps = classify_pair(gold, pred)
    assert misses == {"boundary: content word": 1, "no link": 1}
    assert fps == {"boundary: content word": 1}
    pred2 = _pair(gold.src.words, gold.src.ents, gold.tgt.words,
                  [Entity(0, 3, "LOC"), Entity(4, 5, "ORG")], links=[(2, 1), (4, 4)])
    misses, fps = classify_pair(gold, pred2)
    assert misses == {"boundary: function word": 1, "wrong label": 1}
    table = classify_errors([gold, gold], [pred, pred2])
    assert table["misses"]["no link"] == 1 and sum(table["false_positives"].values()) == 3
    text = format_errors({"es": table})
    assert "| no link | 1 | 0 |" in text and text.splitlines()[-1] == "| total | 4 | 3 |"
    with pytest.raises(ValueError):
        classify_errors([gold], [])


# ------------------------------------------------------------------ block agreement


def _swapped_pair():
    """``the Member States agree`` -> ``los Estados miembros acuerdan``: in each of 4 runs the
    forward direction links the name in order, the backward direction crosswise, so every name
    link has exactly half of the 8 votes and the > 50% vote drops them all."""
    src = ["the", "Member", "States", "agree"]
    tgt = ["los", "Estados", "miembros", "acuerdan"]
    fwd = [(0, 0), (1, 1), (2, 2), (3, 3)]
    rev = [(0, 0), (1, 2), (2, 1), (3, 3)]
    runs = [[fwd, rev] for _ in range(4)]
    alignment = vote_links([fwd, rev] * 4, min_vote=0.5)
    assert alignment.links == [(0, 0), (3, 3)]
    pair = Pair("p", Side("en", src, [Entity(1, 3, "ORG")]), Side("es", tgt, []), alignment,
                {RUNS_KEY: runs})
    return pair


def _project(pair, block_weight=None):
    score = {"@xproj_scorers": "spacy-xproj.CoverageScore.v1"}
    if block_weight is not None:
        score["block_weight"] = block_weight
    proj = registry.resolve({"p": {
        "@xproj_projectors": "spacy-xproj.CandidateProjector.v1",
        "extractor": {"@xproj_candidates": "spacy-xproj.NgramCandidates.v1", "max_len": 10},
        "scorer": score,
        "solver": {"@xproj_solvers": "spacy-xproj.GreedySolver.v1"},
    }})["p"]
    (out,) = project_pairs([pair], proj)
    return [(e.start, e.end, e.label) for e in out.tgt.ents]


def test_block_agreement_projects_a_swapped_name_whole():
    pair = _swapped_pair()
    old = _project(pair, 0.0)
    assert (1, 3, "ORG") not in old  # link votes alone: truncated to the surface match, or lost
    assert _project(pair) == [(1, 3, "ORG")]  # the registered default uses block agreement
    pair.meta = {}  # without the directional runs the default falls back to the link votes
    assert _project(pair) == old
    pair = _swapped_pair()
    cands = [(1, 3), (1, 2), (0, 3), (1, 4)]
    agree = block_agreement([(1, 3)], cands, pair.meta[RUNS_KEY], 4, 4)
    # only the exact block: a candidate that cuts it or takes in a word linked elsewhere is not one
    assert agree[0].tolist() == [1.0, 0.0, 0.0, 0.0]


def test_runs_seen_from_the_other_side():
    fwd, rev = [(0, 1), (2, 1)], [(0, 1), (1, 0)]
    inverted = Alignment.invert_runs([[fwd, rev]])
    assert inverted == [[[[1, 0], [0, 1]], [[1, 0], [1, 2]]]]
    assert Alignment.invert_runs(inverted) == [[[list(x) for x in fwd], [list(x) for x in rev]]]
    # the swapped name projected from the Spanish side back onto English: block agreement holds
    pair = _swapped_pair()
    back = Pair("p", Side("es", pair.tgt.words, [Entity(1, 3, "ORG")]), Side("en", pair.src.words, []),
                pair.alignment.inverse(), {RUNS_KEY: Alignment.invert_runs(pair.meta[RUNS_KEY])})
    assert _project(back) == [(1, 3, "ORG")]


def test_block_agreement_needs_a_majority_of_runs_and_no_link_from_outside():
    fwd = [(1, 1), (2, 2)]
    rev = [(1, 2), (2, 1)]
    other = [(1, 1)], [(0, 1)]  # a run that disagrees: the backward link comes from outside
    assert block_agreement([(1, 3)], [(1, 3)], [[fwd, rev], [fwd, rev], other, other], 4, 4)[0, 0] == 0.0
    three = block_agreement([(1, 3)], [(1, 3)], [[fwd, rev]] * 3 + [other], 4, 4)[0, 0]
    assert three == pytest.approx(0.75)
    # a source word outside the entity linked (backward) into the block breaks it
    rev_out = [(1, 2), (2, 1), (0, 1)]
    assert block_agreement([(1, 3)], [(1, 3)], [[fwd, rev_out]] * 4, 4, 4)[0, 0] == 0.0

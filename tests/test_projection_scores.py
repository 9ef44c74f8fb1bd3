"""Candidate extractors and matching scores (PAPER 3.4-3.5) on hand-worked examples."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.util import registry

from spacy_xproj.errors import ConfigError, InputError
from spacy_xproj.projection.candidates import decode_spans
from spacy_xproj.projection.matching import ProjectionInput
from spacy_xproj.projection.scores import align_scores, link_counts
from spacy_xproj.types import Alignment, Entity, NerProbs


def candidates(name, **kw):
    return registry.xproj_candidates.get(name)(**kw)


def scorer(name, **kw):
    return registry.xproj_scorers.get(name)(**kw)


def inp(src_n=3, tgt_words=None, ents=(), links=(), probs=None, spans=None) -> ProjectionInput:
    tgt_words = tgt_words if tgt_words is not None else ["w"] * 5
    return ProjectionInput(
        src_words=["s"] * src_n,
        src_ents=list(ents),
        tgt_words=list(tgt_words),
        alignment=Alignment(links),
        tgt_probs=probs,
        tgt_ner_spans=spans,
        extra={"id": "rec-1"},
    )


# ------------------------------------------------------------------ candidates


def test_ngram_candidates_max_len_and_stop_tokens() -> None:
    words = ["a", "b", "!", "c"]
    got = candidates("spacy-xproj.NgramCandidates.v1", max_len=2)(inp(tgt_words=words))
    assert got == [(0, 1), (0, 2), (1, 2), (3, 4)]
    plain = inp(tgt_words=["a", "b", "c", "d"])
    assert len(candidates("spacy-xproj.NgramCandidates.v1", max_len=None)(plain)) == 10
    assert len(candidates("spacy-xproj.NgramCandidates.v1", max_len=2)(plain)) == 7
    assert candidates("spacy-xproj.NgramCandidates.v1", stop_tokens=["c"], max_len=None)(plain) == [
        (0, 1), (0, 2), (1, 2), (3, 4)
    ]
    with pytest.raises(ConfigError, match="max_len"):
        candidates("spacy-xproj.NgramCandidates.v1", max_len=0)


def test_aligned_subrange_candidates() -> None:
    x = inp(ents=[Entity(0, 2, "PER"), Entity(2, 3, "LOC")], links=[(0, 4), (1, 2), (2, 0)], tgt_words=["w"] * 6)
    got = candidates("spacy-xproj.AlignedSubrangeCandidates.v1", max_len=None)(x)
    assert got == [(0, 1), (2, 3), (2, 4), (2, 5), (3, 4), (3, 5), (4, 5)]
    got2 = candidates("spacy-xproj.AlignedSubrangeCandidates.v1", max_len=2)(x)
    assert got2 == [(0, 1), (2, 3), (2, 4), (3, 4), (3, 5), (4, 5)]


LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def probs_of(rows, labels=LABELS) -> NerProbs:
    return NerProbs(list(labels), np.asarray(rows, dtype=np.float64))


# word 0: B-PER .7; word 1: I-PER .6; word 2: O .85 (I-PER .05); word 3: B-LOC .5; word 4: I-LOC .9
P = probs_of(
    [
        [0.2, 0.7, 0.1, 0.0, 0.0],
        [0.4, 0.0, 0.6, 0.0, 0.0],
        [0.85, 0.05, 0.05, 0.05, 0.0],
        [0.3, 0.1, 0.0, 0.5, 0.1],
        [0.1, 0.0, 0.0, 0.0, 0.9],
    ]
)


def test_ner_candidates_from_spans_probs_and_subranges() -> None:
    ext = candidates("spacy-xproj.NerCandidates.v1")
    assert ext(inp(spans=[(3, 5), (0, 2)], probs=P)) == [(0, 2), (3, 5)]  # spans win over probs
    assert ext(inp(probs=P)) == [(0, 2), (3, 5)]
    sub = candidates("spacy-xproj.NerCandidates.v1", extract_subranges=True)
    assert sub(inp(spans=[(1, 4)])) == [(1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4)]
    with pytest.raises(InputError, match="rec-1.*NER candidates need"):
        ext(inp())
    with pytest.raises(InputError, match="outside the sentence"):
        ext(inp(spans=[(4, 9)]))


def test_decode_spans_iob1_and_stray_i() -> None:
    iob1 = probs_of([[0.1, 0.9, 0.0], [0.1, 0.9, 0.0], [0.1, 0.0, 0.9], [0.9, 0.1, 0.0]], ["O", "I-PER", "I-LOC"])
    assert decode_spans(iob1) == [(0, 2), (2, 3)]
    # B-PER B-PER I-LOC: a new B starts a new span; I- of another class starts one too
    rows = np.zeros((3, 5))
    rows[0, 1] = rows[1, 1] = rows[2, 4] = 1
    assert decode_spans(probs_of(rows)) == [(0, 1), (1, 2), (2, 3)]


def test_union_candidates() -> None:
    union = candidates(
        "spacy-xproj.UnionCandidates.v1",
        extractors={
            "ner": candidates("spacy-xproj.NerCandidates.v1"),
            "ngram": candidates("spacy-xproj.NgramCandidates.v1", max_len=1),
        },
    )
    assert union(inp(tgt_words=["a", "b", "c"], spans=[(0, 2)])) == [(0, 1), (0, 2), (1, 2), (2, 3)]


# ------------------------------------------------------------------ align


def test_align_score_by_hand() -> None:
    x = inp(ents=[Entity(0, 2, "PER")], links=[(0, 0), (1, 0), (1, 1)])
    c = scorer("spacy-xproj.AlignScore.v1")(x, [(0, 1), (1, 2), (0, 2), (2, 3)])
    # N = 2, 1, 3, 0 links; c = 2N / (2 + |t|): links are counted, so c can exceed 1
    assert np.allclose(c, [[4 / 3, 2 / 3, 6 / 4, 0.0]])


def naive_counts(src_spans, tgt_spans, links):
    out = np.zeros((len(src_spans), len(tgt_spans)), dtype=np.int64)
    for p, (ps, pe) in enumerate(src_spans):
        for t, (ts, te) in enumerate(tgt_spans):
            for i, j in links:
                if ps <= i < pe and ts <= j < te:
                    out[p, t] += 1
    return out


@st.composite
def alignment_case(draw):
    n_src = draw(st.integers(1, 8))
    n_tgt = draw(st.integers(1, 8))
    links = draw(st.lists(st.tuples(st.integers(0, n_src - 1), st.integers(0, n_tgt - 1)), max_size=20))
    span = lambda n: st.tuples(st.integers(0, n - 1), st.integers(1, n)).filter(lambda s: s[0] < s[1])
    src_spans = draw(st.lists(span(n_src), min_size=1, max_size=4))
    tgt_spans = draw(st.lists(span(n_tgt), min_size=1, max_size=6))
    return n_src, n_tgt, links, src_spans, tgt_spans


@settings(max_examples=200, deadline=None)
@given(alignment_case())
def test_prefix_sum_counts_equal_a_naive_loop(case) -> None:
    n_src, n_tgt, links, src_spans, tgt_spans = case
    a = Alignment(links)
    expected = naive_counts(src_spans, tgt_spans, a.links)
    assert (link_counts(src_spans, tgt_spans, a, n_src, n_tgt) == expected).all()
    lengths = np.array([[pe - ps + te - ts for ts, te in tgt_spans] for ps, pe in src_spans])
    assert np.allclose(align_scores(src_spans, tgt_spans, a, n_src, n_tgt), 2 * expected / lengths)


def test_align_score_rejects_links_outside() -> None:
    x = inp(src_n=2, ents=[Entity(0, 1, "PER")], links=[(5, 0)])
    with pytest.raises(ValueError, match=r"link \(5, 0\) is outside"):
        scorer("spacy-xproj.AlignScore.v1")(x, [(0, 1)])


# ------------------------------------------------------------------ ner / ner_spans


def test_ner_score_by_hand_with_alpha_pattern() -> None:
    x = inp(ents=[Entity(0, 2, "PER"), Entity(0, 1, "LOC"), Entity(1, 2, "MISC")], probs=P)
    cands = [(0, 1), (0, 2), (0, 3), (1, 2), (3, 5), (2, 3)]
    c = scorer("spacy-xproj.NerScore.v1")(x, cands)
    per = [
        0.7,  # B-PER, length 1: alpha^0
        (0.7 + 0.6) / 2 * 1.15,  # argmax B-PER I-PER: alpha^1
        (0.7 + 0.6 + 0.05) / 3,  # argmax of word 2 is O: no multiplier
        0.0,  # P[1, B-PER] = 0 -> mean 0
        0.0,
        0.0,  # P[2, B-PER] = 0.05 is not > 0.05 (threshold)
    ]
    loc = [0.0, 0.0, 0.0, 0.0, (0.5 + 0.9) / 2 * 1.15, 0.0]  # (2,3): 0.05 not above threshold
    assert c[0].tolist() == pytest.approx(per)
    assert c[1].tolist() == pytest.approx(loc)
    assert c[2].tolist() == [0.0] * 6  # the model has no MISC class
    alpha1 = scorer("spacy-xproj.NerScore.v1", alpha=1.0)(x, [(0, 2)])
    assert alpha1[0, 0] == pytest.approx(0.65)
    ignored = scorer("spacy-xproj.NerScore.v1", labels_to_ignore=["PER"])(x, cands)
    assert (ignored[0] == 0).all() and ignored[1].tolist() == pytest.approx(loc)


def test_ner_score_iob1_and_only_i_labels() -> None:
    iob1 = probs_of([[0.2, 0.8], [0.3, 0.7], [0.9, 0.1]], ["O", "I-PER"])
    x = inp(tgt_words=["a", "b", "c"], ents=[Entity(0, 2, "PER")], probs=iob1)
    c = scorer("spacy-xproj.NerScore.v1")(x, [(0, 2), (0, 3)])
    # no B-PER: IOB1, converted to IOB2 first. Word 0: B = 0.8; word 1 (previous word in PER with
    # 0.8): B = 0.7 * 0.2, I = 0.7 * 0.8; word 2: I = 0.1 * 0.7. Argmax B-PER I-PER gets alpha.
    assert c[0].tolist() == pytest.approx([(0.8 + 0.56) / 2 * 1.15, (0.8 + 0.56 + 0.07) / 3])
    x2 = inp(ents=[Entity(0, 2, "PER")], probs=P)
    only_i = scorer("spacy-xproj.NerScore.v1", use_only_i_labels=True)(x2, [(0, 2), (1, 2)])
    # the first word uses I-PER (0.1); argmax of word 0 is B-PER, not I-PER: no multiplier.
    # (1, 2) is a one-word span starting with I-PER (0.6): alpha^0
    assert only_i[0].tolist() == pytest.approx([(0.1 + 0.6) / 2, 0.6])
    both_i = probs_of([[0.1, 0.2, 0.7, 0, 0], [0.2, 0.0, 0.8, 0, 0]] + [[1, 0, 0, 0, 0]] * 3)
    x3 = inp(ents=[Entity(0, 2, "PER")], probs=both_i)
    assert scorer("spacy-xproj.NerScore.v1", use_only_i_labels=True)(x3, [(0, 2)])[0, 0] == pytest.approx(
        0.75 * 1.15
    )
    # without the option, the first word uses B-PER (0.2) and the I-PER argmax breaks the pattern
    assert scorer("spacy-xproj.NerScore.v1")(x3, [(0, 2)])[0, 0] == pytest.approx(0.5)


def test_ner_spans_score_is_class_agnostic() -> None:
    x = inp(ents=[Entity(0, 1, "PER"), Entity(1, 3, "ORG")], probs=P)
    c = scorer("spacy-xproj.NerSpansScore.v1")(x, [(0, 2), (3, 5), (2, 3)])
    expected = [(0.7 + 0.6) / 2 * 1.15, (0.5 + 0.9) / 2 * 1.15, 0.0]
    assert np.allclose(c, [expected, expected])


def test_ner_scores_need_probabilities() -> None:
    with pytest.raises(InputError, match="rec-1.*probabilities"):
        scorer("spacy-xproj.NerScore.v1")(inp(ents=[Entity(0, 1, "PER")]), [(0, 1)])
    bad = probs_of(np.ones((2, 5)) / 5)
    with pytest.raises(InputError, match="2 rows for 5 words"):
        scorer("spacy-xproj.NerSpansScore.v1")(inp(ents=[Entity(0, 1, "PER")], probs=bad), [(0, 1)])


# ------------------------------------------------------------------ fused


def fake_nmt(inp: ProjectionInput, cands):
    """A deterministic stand-in for NMTScore: 1 / (1 + |len(t) - len(p)|), and 0.05 for t = (2, 3)."""
    out = np.array([[1.0 / (1 + abs((e - s) - len(p))) for s, e in cands] for p in inp.src_ents])
    out[:, [k for k, c in enumerate(cands) if c == (2, 3)]] = 0.05
    return out


def test_fused_score_weights_and_thresholds() -> None:
    x = inp(ents=[Entity(0, 2, "PER")], links=[(0, 0), (1, 1)], probs=P)
    cands = [(0, 1), (0, 2), (2, 3)]
    fused = scorer(
        "spacy-xproj.FusedScore.v1",
        scorers={
            "align": scorer("spacy-xproj.AlignScore.v1"),
            "ner_spans": scorer("spacy-xproj.NerSpansScore.v1"),
            "nmt": lambda i, c: fake_nmt(i, c),
        },
        weights={"align": 0.5, "ner_spans": 0.5, "nmt": 1.0},
        thresholds={"nmt": 0.1},
    )
    align = np.array([2 * 1 / 3, 1.0, 0.0])
    ner_spans = np.array([0.7, 0.65 * 1.15, 0.0])
    nmt = np.array([0.5, 1.0, 0.0])  # (2,3) has 0.05 <= 0.1
    assert fused(x, cands)[0].tolist() == pytest.approx((0.5 * align + 0.5 * ner_spans + nmt).tolist())
    with pytest.raises(ConfigError, match="'nmt' has a weight"):
        scorer("spacy-xproj.FusedScore.v1", scorers={"align": scorer("spacy-xproj.AlignScore.v1")}, weights={"nmt": 1})


def test_scores_are_empty_shaped_without_entities_or_candidates() -> None:
    for name in ("spacy-xproj.AlignScore.v1", "spacy-xproj.NerScore.v1", "spacy-xproj.NerSpansScore.v1"):
        assert scorer(name)(inp(probs=P), [(0, 1)]).shape == (0, 1)
        assert scorer(name)(inp(ents=[Entity(0, 1, "PER")], probs=P), []).shape == (1, 0)


@pytest.mark.parametrize("weight", [-1.0, float("nan")])
def test_fused_score_rejects_negative_or_nan_weights_before_any_work(weight: float) -> None:
    from spacy_xproj.projection.scores import make_fused_score

    with pytest.raises(ConfigError, match="weights must be >= 0"):
        make_fused_score({"align": lambda inp, c: None}, weights={"align": weight})

"""Symmetrisation and word/subword helpers: hand-worked examples and properties."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spacy_xproj.align.alignment_ops import (
    grow_diag,
    grow_diag_final,
    grow_diag_final_and,
    intersection,
    matrix_to_alignment,
    subword_to_word_links,
    subwords_per_word,
    symmetrize,
    union,
    window_spans,
)
from spacy_xproj.types import Alignment

import numpy as np

# 5 x 5 example worked by hand:
#   forward  = (0,0) (1,1) (0,1) (0,3) (4,4)
#   backward = (0,0) (1,1) (3,0)
#   intersection = (0,0) (1,1)
#   GROW-DIAG: the only union point next to an aligned point is (0,1), but both word 0 and word 1
#     are aligned already -> nothing grows.
#   FINAL-AND: forward (0,1) both aligned, (0,3) src 0 aligned, (4,4) both free -> add (4,4);
#     backward (3,0) tgt 0 aligned -> no.
#   FINAL (or): forward (0,3) tgt 3 free -> add, (4,4) add; backward (3,0) src 3 free -> add;
#     (0,1) never (both aligned).
FWD5 = Alignment([(0, 0), (1, 1), (0, 1), (0, 3), (4, 4)])
BWD5 = Alignment([(0, 0), (1, 1), (3, 0)])

# 4 x 4 example where growing needs several steps inside one sweep:
#   forward  = (0,0) (1,1) (1,2) (3,3);  backward = (0,0) (1,1) (2,1) (3,2)
#   intersection (0,0) (1,1); from (1,1): (2,1) [src 2 free] and (1,2) [tgt 2 free]; from (2,1)
#   the diagonal (3,2) [src 3 free]; from (3,2): (3,3) [tgt 3 free] -> the whole union.
FWD4 = Alignment([(0, 0), (1, 1), (1, 2), (3, 3)])
BWD4 = Alignment([(0, 0), (1, 1), (2, 1), (3, 2)])


def test_intersection_and_union():
    assert intersection(FWD5, BWD5).links == [(0, 0), (1, 1)]
    assert union(FWD5, BWD5).links == [(0, 0), (0, 1), (0, 3), (1, 1), (3, 0), (4, 4)]


def test_grow_diag_final_and_hand_worked():
    assert grow_diag(FWD5, BWD5, 5, 5).links == [(0, 0), (1, 1)]
    assert grow_diag_final_and(FWD5, BWD5, 5, 5).links == [(0, 0), (1, 1), (4, 4)]
    assert grow_diag_final(FWD5, BWD5, 5, 5).links == [(0, 0), (0, 3), (1, 1), (3, 0), (4, 4)]


def test_grow_diag_chains_within_a_sweep():
    expected = [(0, 0), (1, 1), (1, 2), (2, 1), (3, 2), (3, 3)]
    assert grow_diag(FWD4, BWD4, 4, 4).links == expected
    assert grow_diag_final_and(FWD4, BWD4, 4, 4).links == expected


def test_grow_diag_rejects_neighbour_when_both_words_aligned():
    # (0,1) is a union neighbour of (0,0) and of (1,1), but words src 0 and tgt 1 are aligned.
    fwd = Alignment([(0, 0), (1, 1), (0, 1)])
    bwd = Alignment([(0, 0), (1, 1)])
    assert grow_diag_final_and(fwd, bwd, 2, 2).links == [(0, 0), (1, 1)]
    assert grow_diag_final(fwd, bwd, 2, 2).links == [(0, 0), (1, 1)]


def test_symmetrize_dispatch_and_errors():
    assert symmetrize(FWD5, BWD5, 5, 5).links == grow_diag_final_and(FWD5, BWD5, 5, 5).links
    assert symmetrize(FWD5, BWD5, 5, 5, "union").links == union(FWD5, BWD5).links
    assert symmetrize(FWD5, BWD5, 5, 5, "intersection").links == [(0, 0), (1, 1)]
    with pytest.raises(ValueError, match="grow-diag-final-and"):
        symmetrize(FWD5, BWD5, 5, 5, "grow")
    with pytest.raises(ValueError, match="outside"):
        grow_diag_final_and(Alignment([(5, 0)]), BWD5, 5, 5)


def test_symmetrize_keeps_max_scores():
    fwd = Alignment([(0, 0), (1, 1)], [0.5, 0.9])
    bwd = Alignment([(0, 0), (2, 2)], [0.7, 0.2])
    inter = intersection(fwd, bwd)
    assert inter.links == [(0, 0)] and inter.scores == [0.7]
    uni = union(fwd, bwd)
    assert uni.scores == [0.7, 0.9, 0.2]
    # only one side scored: unscored links get 0.0
    assert union(fwd, Alignment([(2, 2)])).scores == [0.5, 0.9, 0.0]
    assert union(Alignment([(0, 0)]), Alignment([(1, 1)])).scores is None


def test_empty_inputs():
    for method in ("intersection", "union", "grow-diag", "grow-diag-final", "grow-diag-final-and"):
        assert symmetrize(Alignment(), Alignment(), 0, 3, method).links == []
        assert symmetrize(Alignment([(0, 0)]), Alignment(), 1, 1, method).links == (
            [] if method in ("intersection", "grow-diag") else [(0, 0)]
        )


links_strategy = st.sets(st.tuples(st.integers(0, 5), st.integers(0, 6)), max_size=20)


@settings(max_examples=200, deadline=None)
@given(links_strategy, links_strategy)
def test_symmetrisation_lattice(f, b):
    fwd, bwd = Alignment(f), Alignment(b)
    inter, uni = set(intersection(fwd, bwd).links), set(union(fwd, bwd).links)
    gd = set(grow_diag(fwd, bwd, 6, 7).links)
    gdfa = set(grow_diag_final_and(fwd, bwd, 6, 7).links)
    gdf = set(grow_diag_final(fwd, bwd, 6, 7).links)
    assert inter <= gd <= gdfa <= uni
    assert gd <= gdf <= uni  # (gdfa is not always inside gdf: the FINAL passes are greedy)
    # FINAL-AND only adds links between two words that were both unaligned
    assert len({i for i, _ in gdfa}) - len({i for i, _ in gd}) == len(gdfa - gd)
    # symmetric in its arguments up to the order of the FINAL passes: same for identical inputs
    assert set(grow_diag_final_and(fwd, fwd, 6, 7).links) == set(f)


def test_subwords_per_word():
    # [CLS] Wieder ##auf ##nahme der [SEP]; word 2 produced no subword
    word_ids = [None, 0, 0, 0, 1, None]
    assert subwords_per_word(word_ids, 3) == [[1, 2, 3], [4], []]
    with pytest.raises(ValueError, match="outside"):
        subwords_per_word([0, 3], 2)


def test_subword_to_word_links_any_pair_and_max_score():
    src = [None, 0, 0, 1, None]
    tgt = [None, 0, 1, 1, None]
    links = [(1, 2), (2, 3), (3, 1), (0, 0), (4, 2)]
    scores = [0.2, 0.6, 0.5, 0.9, 0.9]
    out = subword_to_word_links(links, src, tgt, scores)
    assert out.links == [(0, 1), (1, 0)]  # links touching [CLS]/[SEP] are dropped
    assert out.scores == [0.6, 0.5]
    assert subword_to_word_links(links, src, tgt).scores is None


def test_matrix_to_alignment():
    src = [0, 0, 1]
    tgt = [0, 1, 2, 2]
    mask = np.zeros((3, 4), dtype=bool)
    mask[1, 3] = True  # word 0 (2nd subword) - word 2 (2nd subword)
    mask[2, 0] = True
    scores = np.arange(12, dtype=float).reshape(3, 4) / 12
    out = matrix_to_alignment(mask, src, tgt, scores)
    assert out.links == [(0, 2), (1, 0)]
    assert out.scores == pytest.approx([7 / 12, 8 / 12])


def test_window_spans_hand_worked():
    word_ids = [0, 0, 0, 1, 1, 2, 3, 3, 3, 3, 3, 4]
    # word 1 would be cut at 4 -> end 3; word 3 would be cut at 10 -> end 6; word 3 alone is
    # longer than 4 subwords -> cut inside it.
    assert window_spans(word_ids, 4) == [(0, 3), (3, 6), (6, 10), (10, 12)]
    assert window_spans(word_ids, 100) == [(0, 12)]
    assert window_spans([], 4) == []
    with pytest.raises(ValueError):
        window_spans(word_ids, 0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 6), max_size=30), st.integers(1, 8))
def test_window_spans_properties(word_lengths, max_sub):
    word_ids = [w for w, n in enumerate(word_lengths) for _ in range(n)]
    spans = window_spans(word_ids, max_sub)
    # exact cover, in order
    assert [p for s, e in spans for p in range(s, e)] == list(range(len(word_ids)))
    for s, e in spans:
        assert 0 < e - s <= max_sub
        # a window cuts inside a word only if that word does not fit in a window
        if e < len(word_ids) and word_ids[e] == word_ids[e - 1]:
            assert word_lengths[word_ids[e]] > max_sub

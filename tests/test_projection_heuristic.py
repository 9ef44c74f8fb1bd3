"""The heuristic projection (PAPER 3.3): every switch on hand-worked examples."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import inspect

from spacy_xproj.projection.component import make_heuristic_projector
from spacy_xproj.projection.heuristic import project_heuristic
from spacy_xproj.projection.scores import align_scores
from spacy_xproj.types import Alignment, Entity


def spans(result):
    return [(e.start, e.end, e.label) for e, _ in result]


# the registered function's defaults (the paper's): the only place that holds them
# the paper's four switches (the registered function also takes an optional label rule and span rule,
# none by default)
DEFAULTS = {
    k: p.default
    for k, p in inspect.signature(make_heuristic_projector).parameters.items()
    if k not in ("label_rule", "span_rule")
}


def run(ents, links, n_tgt, **kw):
    kw = {**DEFAULTS, "length_ratio_threshold": None, **kw}
    return project_heuristic(ents, Alignment(links), n_tgt, **kw)


PER2 = Entity(0, 2, "PER")


def test_merge_distance_one_word_gap() -> None:
    # marked target words {0, 2}: runs (0,1), (2,3) with one unaligned word between them
    links = [(0, 0), (1, 2)]
    assert spans(run([PER2], links, 4, merge_distance=1)) == [(0, 3, "PER")]
    assert spans(run([PER2], links, 4, merge_distance=0)) == [(0, 1, "PER"), (2, 3, "PER")]


def test_merge_distance_two_word_gap() -> None:
    links = [(0, 0), (1, 3)]
    assert spans(run([PER2], links, 5, merge_distance=1)) == [(0, 1, "PER"), (3, 4, "PER")]
    assert spans(run([PER2], links, 5, merge_distance=2)) == [(0, 4, "PER")]


def test_only_i_keeps_a_range_aligned_to_the_first_word_apart() -> None:
    # entity word 0 ("B") -> target 2, word 1 -> target 0: the right-hand range starts at a word
    # aligned to the entity's first word, so only_i refuses to merge it.
    links = [(0, 2), (1, 0)]
    assert spans(run([PER2], links, 4, only_i=False)) == [(0, 3, "PER")]
    assert spans(run([PER2], links, 4, only_i=True)) == [(0, 1, "PER"), (2, 3, "PER")]
    # a right-hand range NOT aligned to the first word is merged even with only_i
    assert spans(run([PER2], [(0, 0), (1, 2)], 4, only_i=True)) == [(0, 3, "PER")]


def test_length_ratio_threshold_is_strict() -> None:
    five = Entity(0, 5, "ORG")
    four_words = [(i, i) for i in range(4)]  # the range (0, 4): 4/5 = 0.8
    assert run([five], four_words, 6, length_ratio_threshold=0.8) == []
    assert spans(run([five], four_words, 6, length_ratio_threshold=0.79)) == [(0, 4, "ORG")]
    # stray single word far away: 1/2 = 0.5 <= 0.8 is dropped, the 2-word range kept
    links = [(0, 0), (1, 1), (1, 5)]
    assert spans(run([PER2], links, 6, length_ratio_threshold=0.8)) == [(0, 2, "PER")]
    assert spans(run([PER2], links, 6)) == [(0, 2, "PER"), (5, 6, "PER")]


def test_one_word_entity_is_never_filtered() -> None:
    one = Entity(1, 2, "LOC")
    assert spans(run([one], [(1, 3)], 5, length_ratio_threshold=1.5)) == [(3, 4, "LOC")]


def test_top_k_keeps_the_shortest_ranges() -> None:
    ent = Entity(0, 3, "ORG")
    links = [(0, 7), (0, 8), (0, 9), (1, 3), (1, 4), (2, 0)]  # runs (0,1), (3,5), (7,10)
    assert spans(run([ent], links, 10, merge_distance=0)) == [(0, 1, "ORG"), (3, 5, "ORG"), (7, 10, "ORG")]
    assert spans(run([ent], links, 10, merge_distance=0, top_k=1)) == [(0, 1, "ORG")]
    assert spans(run([ent], links, 10, merge_distance=0, top_k=2)) == [(0, 1, "ORG"), (3, 5, "ORG")]
    # ties in length keep the left-most (stable sort)
    tie = [(0, 6), (0, 7), (1, 3), (1, 4), (2, 0), (2, 1)]  # runs (0,2), (3,5), (6,8)
    assert spans(run([ent], tie, 10, merge_distance=0, top_k=2)) == [(0, 2, "ORG"), (3, 5, "ORG")]


def test_shorter_entities_first_and_no_overlaps() -> None:
    # "New York City" (3 words) and "York" (1 word) both reach target word 2; the shorter entity
    # is processed first (THESIS), so the longer one's range (0,3) overlaps and is skipped.
    long_ent, short_ent = Entity(0, 3, "LOC"), Entity(4, 5, "PER")
    links = [(0, 0), (1, 1), (2, 2), (4, 2)]
    assert spans(run([long_ent, short_ent], links, 4)) == [(2, 3, "PER")]
    # equal lengths keep input order: the first entity wins the shared word
    a, b = Entity(0, 1, "PER"), Entity(1, 2, "ORG")
    assert spans(run([a, b], [(0, 0), (1, 0)], 2)) == [(0, 1, "PER")]
    assert spans(run([b, a], [(0, 0), (1, 0)], 2)) == [(0, 1, "ORG")]


def test_paper_defaults_and_scores() -> None:
    assert DEFAULTS == {"merge_distance": 1, "top_k": None, "only_i": False, "length_ratio_threshold": 0.8}
    result = project_heuristic([PER2], Alignment([(0, 0), (1, 2), (1, 5)]), 6, **DEFAULTS)
    # d=1 merges (0,1)+(2,3) -> (0,3); (5,6) is 2 words away and 1/2 <= 0.8
    assert spans(result) == [(0, 3, "PER")]
    # the score is the align score of the range: 2 * 2 links / (2 + 3)
    assert result[0][1] == pytest.approx(0.8)


def test_unaligned_entity_and_empty_inputs() -> None:
    assert run([PER2], [], 3) == []
    assert run([], [(0, 0)], 3) == []


def test_bad_input_is_named() -> None:
    with pytest.raises(ValueError, match=r"link \(0, 9\) is outside"):
        project_heuristic([PER2], Alignment([(0, 9)]), 3, n_src=2, **DEFAULTS)
    with pytest.raises(ValueError, match=r"source entity \[0, 2, 'PER'\]|outside the sentence"):
        project_heuristic([PER2], Alignment([(0, 0)]), 3, n_src=1, **DEFAULTS)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 7)), max_size=15),
    st.lists(st.tuples(st.integers(0, 5), st.integers(1, 6), st.sampled_from(["PER", "LOC"])), max_size=3),
)
def test_heuristic_output_is_valid_and_scored_like_align_score(links, raw_ents) -> None:
    ents = [Entity(s, e, label) for s, e, label in raw_ents if s < e]
    alignment = Alignment(links)
    result = project_heuristic(ents, alignment, 8, n_src=6, **DEFAULTS)
    spans_ = [e.span for e, _ in result]
    assert spans_ == sorted(spans_)
    assert all(a[1] <= b[0] for a, b in zip(spans_, spans_[1:]))  # non-overlapping
    labels = {e.label for e in ents}
    for ent, score in result:
        assert ent.label in labels and 0 <= ent.start < ent.end <= 8
        # the score is the align score of the range against the entity it came from
        assert any(
            score == pytest.approx(align_scores([p.span], [ent.span], alignment, 6, 8)[0, 0])
            for p in ents
            if p.label == ent.label
        )

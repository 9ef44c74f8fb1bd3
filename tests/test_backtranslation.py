"""Back-translation refinement with a deterministic test translator."""
from __future__ import annotations

from typing import Dict, List

import pytest

from spacy_xproj.align.backtranslation import (
    back_translate,
    best_match,
    mark_entities,
    parse_marked,
    refine_pairs,
)
from spacy_xproj.types import Alignment, Entity, Pair, Side


def dictionary_translator(table: Dict[str, str]):
    """Translate whole texts by lookup; unknown texts are returned unchanged (deterministic)."""
    calls: List[List[str]] = []

    def translate(texts: List[str], src_lang: str, tgt_lang: str) -> List[str]:
        calls.append(list(texts))
        return [table.get(t, t) for t in texts]

    translate.calls = calls  # type: ignore[attr-defined]
    return translate


def split(text: str) -> List[str]:
    return text.replace(".", " .").split()


def test_mark_entities():
    words = ["Angela", "Merkel", "visited", "Paris", "."]
    ents = [Entity(0, 2, "PER"), Entity(3, 4, "LOC")]
    assert mark_entities(words, ents) == "[Angela Merkel] visited [Paris]."
    assert mark_entities(["in", "Berlin"], [Entity(1, 2, "LOC")]) == "in [Berlin]"


def test_argmax_fix_picks_the_most_similar_not_the_last():
    # both candidates score above 0.5 against "Bundeskanzlerin Merkel"; the paper's loop would
    # keep the last one above the threshold (index 1), a true argmax keeps the best (index 0)
    inner = "Bundeskanzlerin Merkel"
    candidates = ["Bundeskanzlerin Merkel", "Bundeskanzler Merkels"]
    from spacy_xproj.align.backtranslation import similarity

    assert similarity(inner, candidates[1]) > 0.5
    assert best_match(inner, candidates) == 0
    assert best_match(inner, list(reversed(candidates))) == 1
    assert best_match("xyz", candidates) == -1


def test_back_translation_labels_and_unmatched_markers():
    table = {
        "[Angela Merkel] visited [Paris] with [Kohl].": "[Angela Merkel] besuchte [Paris] mit [dem Altkanzler].",
        "Angela Merkel": "Angela Merkel",
        "Paris": "Paris",
        "Kohl": "Kohl",
    }
    tr = dictionary_translator(table)
    words = ["Angela", "Merkel", "visited", "Paris", "with", "Kohl", "."]
    ents = [Entity(0, 2, "PER"), Entity(3, 4, "LOC"), Entity(5, 6, "PER")]
    (bt,) = back_translate([(words, ents)], tr, "en", "de", split=split)
    assert bt.words == ["Angela", "Merkel", "besuchte", "Paris", "mit", "dem", "Altkanzler", "."]
    assert bt.ents == [Entity(0, 2, "PER"), Entity(3, 4, "LOC")]
    assert bt.unmatched == 1 and bt.missing == 1  # "[dem Altkanzler]" matched nothing; brackets removed
    assert "[" not in "".join(bt.words) and "]" not in "".join(bt.words)
    # one call for the marked sentences, one for all entities
    assert len(tr.calls) == 2 and tr.calls[1] == ["Angela Merkel", "Paris", "Kohl"]


def test_each_entity_translation_is_used_once():
    bt = parse_marked("[Paris] und [Paris]", ["Paris"], ["LOC"], split)
    assert bt.ents == [Entity(0, 1, "LOC")] and bt.unmatched == 1
    assert bt.words == ["Paris", "und", "Paris"]


def test_refine_pairs_aligns_tgt_with_back_translation():
    table = {"[Merkel] spoke.": "[Merkel] sprach.", "Merkel": "Merkel"}
    pair = Pair(
        "p1",
        Side("en", ["Merkel", "spoke", "."], [Entity(0, 1, "PER")]),
        Side("de", ["Gestern", "sprach", "Merkel", "."]),
        meta={"keep": 1},
    )

    def identity_aligner(src: List[List[str]], tgt: List[List[str]]) -> List[Alignment]:
        return [Alignment((i, j) for i, a in enumerate(s) for j, b in enumerate(t) if a == b) for s, t in zip(src, tgt)]

    (out,) = refine_pairs([pair], dictionary_translator(table), identity_aligner, split=split)
    assert out.id == "p1" and out.tgt == pair.tgt
    assert out.src.lang == "de" and out.src.words == ["Merkel", "sprach", "."]
    assert out.src.ents == [Entity(0, 1, "PER")]
    assert out.alignment.links == [(0, 2), (1, 1), (2, 3)]
    assert out.meta["keep"] == 1 and out.meta["back_translation"]["src_lang"] == "en"
    out.validate()


def test_translator_must_return_one_text_per_input():
    with pytest.raises(ValueError, match="one translation per input"):
        back_translate([(["a"], [Entity(0, 1, "PER")])], lambda t, s, g: [], "en", "de", split=split)

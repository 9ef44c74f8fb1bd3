"""Span rules (names continued over capitalised words), n-gram candidates that grow with the
source entity, and the cased-sentence test of DerivedFormLabel.v2."""
from __future__ import annotations

import pytest
from spacy.util import registry

from spacy_xproj.cli.project import build_projector_config
from spacy_xproj.errors import ConfigError
from spacy_xproj.projection.candidates import ngram_limit
from spacy_xproj.projection.component import DEFAULT_PROJECTOR, project_pair
from spacy_xproj.projection.labels import has_capitals, is_derived_form
from spacy_xproj.projection.matching import ProjectionInput
from spacy_xproj.projection.span_rules import continue_names, is_capitalised_word, names_capitalised, spelled_out
from spacy_xproj.types import Alignment, Entity, Pair, Side

# "... hidden within UK figures ." -> "... dentro de las cifras del Reino Unido ."
UK_SRC = ["We", "saw", "it", "within", "UK", "figures", "."]
UK_TGT = ["Lo", "vimos", "en", "las", "cifras", "del", "Reino", "Unido", "."]
UK_LINKS = [(0, 0), (1, 1), (3, 2), (5, 4), (4, 6), (6, 8)]
UK = Entity(4, 5, "LOC")


def spans(matches):
    return [span for _, span, _ in matches]


def test_word_tests():
    assert is_capitalised_word("Unido") and is_capitalised_word("EU") and is_capitalised_word("-Europa")
    assert not is_capitalised_word("unido") and not is_capitalised_word("A") and not is_capitalised_word("1999")
    assert not is_capitalised_word("欧洲")
    assert names_capitalised(UK_SRC, UK_TGT, 1.5)
    german = ["Wir", "haben", "die", "Zahlen", "im", "Bericht", "des", "Vereinigten", "Königreichs", "Stellen", "gesehen"]
    assert not names_capitalised(UK_SRC, german, 1.5)  # 6 capitalised words against 1 (+1)


def test_a_name_continues_over_an_unlinked_capitalised_word():
    assert spans(continue_names(UK_SRC, UK_TGT, UK_LINKS, [(UK, (6, 7), 0.9)], 1.5, None)) == [(6, 8)]
    # a link to a word inside the entity does not stop it; a link to another source word does
    assert spans(continue_names(UK_SRC, UK_TGT, UK_LINKS + [(4, 7)], [(UK, (6, 7), 0.9)], 1.5, None)) == [(6, 8)]
    assert spans(continue_names(UK_SRC, UK_TGT, UK_LINKS + [(5, 7)], [(UK, (6, 7), 0.9)], 1.5, None)) == [(6, 7)]
    # the score and the source entity ride along unchanged
    ((ent, _, score),) = continue_names(UK_SRC, UK_TGT, UK_LINKS, [(UK, (6, 7), 0.9)], 1.5, None)
    assert ent == UK and score == 0.9


def test_a_name_continues_to_the_left_but_not_onto_a_sentence_start():
    src = ["They", "went", "to", "America", "."]
    tgt = ["Fueron", "a", "Estados", "Unidos", "."]
    ent = Entity(3, 4, "LOC")
    assert spans(continue_names(src, tgt, [(3, 3)], [(ent, (3, 4), 1.0)], 1.5, None)) == [(2, 4)]
    start = ["Estados", "Unidos", "lo", "sabe", "."]
    assert spans(continue_names(src, start, [(3, 1)], [(ent, (1, 2), 1.0)], 1.5, None)) == [(1, 2)]
    quoted = ["Dijo", ":", "Estados", "Unidos", "."]  # after a colon or quote a capital says nothing
    assert spans(continue_names(src, quoted, [(3, 3)], [(ent, (3, 4), 1.0)], 1.5, None)) == [(3, 4)]


def test_a_name_spelled_out_letter_for_letter_is_complete():
    # "President of Nigeria Muhammadu Buhari" -> "Ààrẹ Nàìjíríà Muhammadu Buhari": the name is copied
    # whole, so the unlinked country name before it is another name, not more of this one
    src = ["President", "Muhammadu", "Buhari", "spoke", "."]
    tgt = ["Ààrẹ", "Nàìjíríà", "Muhammadu", "Buhari", "sọ̀rọ̀", "."]
    ent = Entity(1, 3, "PER")
    links = [(0, 0), (1, 2), (2, 3), (3, 4), (4, 5)]
    assert spelled_out(src[1:3], tgt[2:4], 0.5) and not spelled_out(["Margaret", "Court"], ["Margaret"], 0.5)
    assert spans(continue_names(src, tgt, links, [(ent, (2, 4), 1.0)], 1.5, 0.5)) == [(2, 4)]
    assert spans(continue_names(src, tgt, links, [(ent, (2, 4), 1.0)], 1.5, None)) == [(1, 4)]
    # a part of the name is missing: it continues ("Margaret" -> "Margaret Court")
    src = ["Margaret", "Court", "won", "."]
    tgt = ["Margaret", "Court", "borí", "."]
    assert spans(continue_names(src, tgt, [(0, 0)], [(Entity(0, 2, "PER"), (0, 1), 1.0)], 1.5, 0.5)) == [(0, 2)]


def test_what_a_name_does_not_take():
    # another projection's word
    two = [(UK, (6, 7), 0.9), (Entity(5, 6, "MISC"), (7, 8), 0.5)]
    assert spans(continue_names(UK_SRC, UK_TGT, UK_LINKS, two, 1.5, None)) == [(6, 7), (7, 8)]
    # a lower-case source entity (no name), a lower-case edge word (a derived form)
    src = ["the", "internal", "market", "grows"]
    tgt = ["el", "mercado", "Único", "crece"]
    assert spans(continue_names(src, tgt, [(2, 1)], [(Entity(1, 3, "LOC"), (1, 2), 1.0)], 1.5, None)) == [(1, 2)]
    src = ["East", "European", "ships"]
    tgt = ["den", "osteuropäischen", "Schiffen"]
    assert spans(continue_names(src, tgt, [(1, 1)], [(Entity(0, 2, "MISC"), (1, 2), 1.0)], 1.5, None)) == [(1, 2)]
    # a sentence that capitalises much more than the source does (German nouns)
    src = ["The", "Commission", "took", "steps", "on", "this", "matter", "and", "that", "one"]
    tgt = ["Die", "Kommission", "Schritte", "hat", "in", "Sachen", "Verkehr", "und", "Umwelt", "unternommen"]
    assert spans(continue_names(src, tgt, [(1, 1)], [(Entity(1, 2, "ORG"), (1, 2), 1.0)], 1.5, None)) == [(1, 2)]
    assert spans(continue_names(src, tgt, [(1, 1)], [(Entity(1, 2, "ORG"), (1, 2), 1.0)], 10.0, None)) == [(1, 3)]


def test_the_default_projector_continues_names_and_the_cli_switches_it():
    pair = Pair("uk", Side("en", UK_SRC, [UK]), Side("es", UK_TGT), Alignment(UK_LINKS), {})
    resolve = lambda block: registry.resolve({"p": block})["p"]  # noqa: E731
    assert project_pair(pair, resolve(dict(DEFAULT_PROJECTOR))).tgt.ents == [Entity(6, 8, "LOC")]
    off = build_projector_config(continue_names=False)
    assert "span_rule" not in off and project_pair(pair, resolve(off)).tgt.ents == [Entity(6, 7, "LOC")]
    heuristic = build_projector_config("heuristic", continue_names=True)
    assert project_pair(pair, resolve(heuristic)).tgt.ents == [Entity(6, 8, "LOC")]
    assert "span_rule" not in build_projector_config("heuristic")  # the paper's heuristic: no rules
    with pytest.raises(ConfigError, match="case_ratio"):
        registry.xproj_span_rules.get("spacy-xproj.NameContinuation.v1")(case_ratio=0)


def test_ngram_limit_grows_with_the_longest_source_entity():
    ents = [Entity(0, 9, "MISC"), Entity(10, 11, "ORG")]
    assert ngram_limit(10, 2.0, ents) == 18 and ngram_limit(10, 2.0, ents[1:]) == 10
    assert ngram_limit(10, None, ents) == 10 and ngram_limit(None, 2.0, ents) is None and ngram_limit(10, 2.0, []) == 10
    words = [f"w{k}" for k in range(30)]
    inp = ProjectionInput(words, ents, words, Alignment([]))
    v1 = registry.xproj_candidates.get("spacy-xproj.NgramCandidates.v1")()
    v2 = registry.xproj_candidates.get("spacy-xproj.NgramCandidates.v2")()
    assert max(e - s for s, e in v1(inp)) == 10 and max(e - s for s, e in v2(inp)) == 18
    assert set(v1(inp)) < set(v2(inp))
    with pytest.raises(ConfigError, match="source_factor"):
        registry.xproj_candidates.get("spacy-xproj.NgramCandidates.v2")(source_factor=0)


def test_derived_form_v2_counts_a_capital_first_word():
    src = ["We", "need", "Community", "rules", "."]
    tgt = ["Necesitamos", "normas", "comunitarias", "."]
    ent = Entity(2, 3, "ORG")
    assert has_capitals(tgt) and not has_capitals([w.lower() for w in tgt])
    assert is_derived_form(src, ent, tgt, (2, 3), first_word_counts=True)
    assert not is_derived_form(src, ent, tgt, (2, 3))  # v1: no capital after the first word
    assert not is_derived_form(src, ent, [w.lower() for w in tgt], (2, 3), first_word_counts=True)
    v1 = registry.xproj_label_rules.get("spacy-xproj.DerivedFormLabel.v1")()
    v2 = registry.xproj_label_rules.get("spacy-xproj.DerivedFormLabel.v2")()
    inp = ProjectionInput(src, [ent], tgt, Alignment([(2, 2)]))
    assert (v1(inp, ent, (2, 3)), v2(inp, ent, (2, 3))) == ("ORG", "MISC")

"""Candidate tagger (issue 9): pure IOB functions, the reader, the scorer, the component API.

Fast tests; the training / serialisation / packaging tests are in test_candidate_tagger_train.py.
"""
from __future__ import annotations

import numpy as np
import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.tokens import Doc, DocBin, Span
from spacy.training import Example

import spacy_xproj  # noqa: F401  (registers the factory, reader, scorer)
from spacy_xproj.candidate_tagger.component import CandidateTagger
from spacy_xproj.candidate_tagger.corpus import create_candidate_corpus, read_conll_sentences
from spacy_xproj.candidate_tagger.iob import B, I, O, span_scores, spans_from_tags, tags_from_spans
from spacy_xproj.candidate_tagger.scoring import score_candidates
from spacy_xproj.errors import InputError
from spacy_xproj.projection.matching import ProjectionInput
from spacy_xproj.types import Alignment


# -- pure functions ----------------------------------------------------------------------------
@st.composite
def sentence_with_spans(draw):
    n = draw(st.integers(0, 30))
    cuts = sorted(draw(st.sets(st.integers(0, n), max_size=12)))
    spans, prev = [], None
    for c in cuts:  # consecutive cut points give adjacent, non-overlapping spans; keep a random subset
        if prev is not None and c > prev and draw(st.booleans()):
            spans.append((prev, c))
        prev = c
    return n, spans


@settings(max_examples=200, deadline=None)
@given(sentence_with_spans())
def test_spans_tags_round_trip(case):
    n, spans = case
    tags = tags_from_spans(n, spans)
    assert len(tags) == n
    assert spans_from_tags(tags) == sorted(spans)


def test_stray_inside_tag_opens_a_span_and_begin_splits_adjacent_spans():
    assert spans_from_tags([O, I, I, O, B, B, I]) == [(1, 3), (4, 5), (5, 7)]
    assert spans_from_tags([]) == []


def test_tags_from_spans_rejects_bad_spans():
    with pytest.raises(ValueError, match="overlaps"):
        tags_from_spans(5, [(0, 3), (2, 4)])
    with pytest.raises(ValueError, match="outside"):
        tags_from_spans(3, [(2, 4)])
    with pytest.raises(ValueError, match="empty"):
        tags_from_spans(3, [(1, 1)])


def test_span_scores_average_begin_and_inside_probabilities():
    probs = np.array([[0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [0.9, 0.05, 0.05]])
    assert span_scores(probs, [(0, 2), (2, 3)]) == pytest.approx([(0.8 + 0.6) / 2, 0.05])


# -- reader ------------------------------------------------------------------------------------
def _count(path):
    n_sent = n_ent = 0
    for words, ents in read_conll_sentences(path):
        n_sent += 1
        n_ent += len(ents)
    return n_sent, n_ent


def test_reader_counts_on_real_files(conll_dir, europarl_dir, masakhaner_dir):
    # figures from ../shared/data/README.md (conlleval chunking)
    assert _count(conll_dir / "dev.txt") == (3250, 5942)
    assert _count(conll_dir / "test.txt") == (3453, 5648)
    assert _count(europarl_dir / "de-europarl.test.conll02") == (799, 693)
    assert _count(europarl_dir / "en-europarl.test.conll02") == (799, 702)
    assert _count(masakhaner_dir / "hau" / "test.txt")[1] == 4109


def test_reader_reads_wikineural_index_columns(data_root):
    path = data_root / "wikineural_en" / "val.conllu"
    first_words, _ = next(read_conll_sentences(path))
    assert first_words[:3] == ["Her", "visit", "to"]
    assert sum(1 for _ in read_conll_sentences(path)) == 11590


def test_reader_is_the_package_conll_reader(tmp_path):
    # The reader is spacy_xproj.corpus.conll's: the original 4-column CoNLL-2003 layout with
    # -DOCSTART- works, and the conlleval rule applies (a stray I- opens an entity, I- of another
    # type starts a new one).
    path = tmp_path / "conll03.txt"
    path.write_text(
        "-DOCSTART- -X- -X- O\n\n"
        "EU NNP B-NP I-ORG\nrejects VBZ B-VP O\nGerman JJ B-NP I-MISC\ncall NN I-NP I-LOC\n\n"
        "Peter NNP B-NP B-PER\nBlackburn NNP I-NP I-PER\n",
        encoding="utf8",
    )
    assert list(read_conll_sentences(path)) == [
        (["EU", "rejects", "German", "call"], [(0, 1, "ORG"), (2, 3, "MISC"), (3, 4, "LOC")]),
        (["Peter", "Blackburn"], [(0, 2, "PER")]),
    ]


def test_corpus_examples_collapse_labels_and_fill_span_key(conll_dir):
    nlp = spacy.blank("xx")
    examples = list(create_candidate_corpus(str(conll_dir / "train.txt"), limit=50)(nlp))
    assert len(examples) == 50
    words, ents = next(iter(read_conll_sentences(conll_dir / "train.txt")))
    ref = examples[0].reference
    assert [t.text for t in examples[0].predicted] == words == [t.text for t in ref]
    assert [(e.start, e.end) for e in ref.ents] == [(s, e) for s, e, _ in ents]
    assert [(s.start, s.end) for s in ref.spans["xproj_candidates"]] == [(s, e) for s, e, _ in ents]
    assert {e.label_ for eg in examples for e in eg.reference.ents} == {"CAND"}
    long_skipped = list(create_candidate_corpus(str(conll_dir / "train.txt"), limit=50, max_length=10)(nlp))
    assert all(len(eg.predicted) <= 10 for eg in long_skipped) and len(long_skipped) == 50


def test_corpus_can_drop_an_entity_type(masakhaner_dir):
    nlp = spacy.blank("xx")
    path = masakhaner_dir / "hau" / "test.txt"
    kept = [(s, e) for _, ents in read_conll_sentences(path) for s, e, lab in ents if lab != "DATE"]
    examples = create_candidate_corpus(str(path), ignore_labels=["DATE"])(nlp)
    got = [(s.start, s.end) for eg in examples for s in eg.reference.spans["xproj_candidates"]]
    assert got == kept and 0 < len(kept) < 4109


def test_corpus_reads_docbin(tmp_path):
    nlp = spacy.blank("xx")
    doc = Doc(nlp.vocab, words=["Angela", "Merkel", "visited", "New", "York"])
    doc.ents = [Span(doc, 0, 2, "PER"), Span(doc, 3, 5, "LOC")]
    DocBin(docs=[doc]).to_disk(tmp_path / "x.spacy")
    (eg,) = list(create_candidate_corpus(str(tmp_path / "x.spacy"))(nlp))
    assert [(s.start, s.end, s.label_) for s in eg.reference.spans["xproj_candidates"]] == [(0, 2, "CAND"), (3, 5, "CAND")]


@pytest.mark.parametrize(
    "content, line, problem",
    [
        ("EU B-ORG\nrejects O extra\n", 2, "3 columns"),
        ("EU B-ORG\n\nrejects\n", 3, "1 columns"),
        ("EU B-ORG\nrejects Q-X\n", 2, "unknown tag"),
        ("EU\tB-ORG\n\tO\n", 2, "empty token"),
    ],
)
def test_reader_bad_input_names_file_and_line(tmp_path, content, line, problem):
    path = tmp_path / "bad.txt"
    path.write_text(content, encoding="utf8")
    with pytest.raises(InputError) as err:
        list(read_conll_sentences(path))
    assert err.value.line == line and str(path) in str(err.value) and problem in str(err.value)


def test_corpus_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        create_candidate_corpus(str(tmp_path / "nope.txt"))


# -- scorer ------------------------------------------------------------------------------------
def _example(nlp, pred_spans, gold_ents):
    words = [f"w{i}" for i in range(10)]
    pred = Doc(nlp.vocab, words=words)
    pred.spans["xproj_candidates"] = [Span(pred, s, e, "CAND") for s, e in pred_spans]
    gold = Doc(nlp.vocab, words=words)
    gold.ents = [Span(gold, s, e, label) for s, e, label in gold_ents]
    return Example(pred, gold)


def test_scorer_is_label_agnostic_span_prf():
    nlp = spacy.blank("xx")
    egs = [
        _example(nlp, [(0, 2), (3, 4), (5, 8)], [(0, 2, "PER"), (3, 4, "LOC"), (5, 7, "ORG")]),
        _example(nlp, [], [(1, 2, "MISC")]),
    ]
    s = score_candidates(egs)
    assert s["cand_p"] == pytest.approx(2 / 3)
    assert s["cand_r"] == pytest.approx(2 / 4)
    assert s["cand_f"] == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    assert "cand_per_type" not in s


def test_scorer_prefers_reference_span_key_over_ents():
    nlp = spacy.blank("xx")
    eg = _example(nlp, [(0, 2)], [(5, 6, "PER")])
    eg.reference.spans["xproj_candidates"] = [Span(eg.reference, 0, 2, "CAND")]
    assert score_candidates([eg])["cand_f"] == pytest.approx(1.0)


# -- component API -----------------------------------------------------------------------------
def test_component_defaults_and_bad_settings():
    nlp = spacy.blank("xx")
    tagger = nlp.add_pipe("xproj_candidate_tagger")
    assert isinstance(tagger, CandidateTagger)
    assert tagger.cfg == {"spans_key": "xproj_candidates", "label_weight": 3.0}
    assert nlp.get_pipe_meta("xproj_candidate_tagger").assigns == ["doc.spans"]
    with pytest.raises(NotImplementedError, match="class-agnostic"):
        tagger.add_label("PER")
    for bad in ({"label_weight": 0.0}, {"spans_key": ""}):
        with pytest.raises(ValueError):
            spacy.blank("xx").add_pipe("xproj_candidate_tagger", config=bad)


def test_in_memory_training_learns_and_weights_favour_recall(conll_dir):
    """nlp.update lowers the loss; a larger label_weight never proposes fewer spans."""
    data = str(conll_dir / "train.txt")
    results = {}
    for lam in (1.0, 6.0):
        nlp = spacy.blank("xx")
        nlp.add_pipe("xproj_candidate_tagger", config={"label_weight": lam})
        examples = list(create_candidate_corpus(data, limit=60)(nlp))
        nlp.initialize(lambda: examples)
        opt = nlp.create_optimizer()
        losses = []
        for _ in range(8):
            l = {}
            nlp.update(examples, sgd=opt, losses=l)
            losses.append(l["xproj_candidate_tagger"])
        assert losses[-1] < 0.6 * losses[0], losses
        docs = list(nlp.pipe(eg.predicted for eg in examples))
        for doc in docs:
            group = doc.spans["xproj_candidates"]
            assert len(group.attrs["scores"]) == len(group)
            assert all(0.0 <= s <= 1.0 for s in group.attrs["scores"])
            assert doc.ents == ()  # only the span key is written
        results[lam] = sum(len(d.spans["xproj_candidates"]) for d in docs)
    assert results[6.0] >= results[1.0]


def test_empty_docs_get_an_empty_group():
    nlp = spacy.blank("xx")
    nlp.add_pipe("xproj_candidate_tagger")
    nlp.initialize()  # no examples: the model initialises from shapes alone
    docs = list(nlp.pipe(["", "Hello World"]))
    assert len(docs[0].spans["xproj_candidates"]) == 0 and "xproj_candidates" in docs[1].spans

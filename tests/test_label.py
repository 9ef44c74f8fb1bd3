"""Labelling: IOB chunking, HF token classifier (first subword, probabilities, IOB1, windows),
spaCy pipeline labeller, xproj_labeller component and ``xproj label``."""
from __future__ import annotations

import numpy as np
import pytest
import spacy
import torch
from typer.testing import CliRunner

import spacy_xproj  # noqa: F401
from spacy_xproj.cli.app import app
from spacy_xproj.corpus.jsonl import read_pairs, write_pairs
from spacy_xproj.errors import ConfigError
from spacy_xproj.iob import probs_to_iob2
from spacy_xproj.label.component import label_pairs
from spacy_xproj.label.hf import make_hf_token_classifier, map_entities, map_prob_labels, tags_to_spans
from spacy_xproj.label.spacy_pipeline import make_spacy_labeller
from spacy_xproj.types import Entity, Pair, Side

from tiny_xlmr import XLMR_CONLL03_LABELS, build_taggers

torch.set_num_threads(1)

SENTS = [
    ["Muhammadu", "Buhari", "visited", "Abuja", "on", "Monday", "."],
    ["Hello"],
    [],
    ["The", "minister", "of", "health", "met", "WHO", "officials", "in", "Geneva", "."],
]


@pytest.fixture(scope="session")
def tagger(tmp_path_factory):
    return str(build_taggers(tmp_path_factory.getbasetemp() / "tiny_models")["xlmr"])


@pytest.mark.parametrize(
    "tags,spans",
    [
        (["I-PER", "I-PER", "O", "I-LOC"], [(0, 2, "PER"), (3, 4, "LOC")]),  # IOB1
        (["I-PER", "B-PER", "I-PER"], [(0, 1, "PER"), (1, 3, "PER")]),  # IOB1 adjacent entities
        (["B-PER", "I-PER", "I-ORG", "O"], [(0, 2, "PER"), (2, 3, "ORG")]),  # stray I- opens
        (["O", "I-MISC", "B-LOC", "B-LOC"], [(1, 2, "MISC"), (2, 3, "LOC"), (3, 4, "LOC")]),
        (["S-PER", "B-ORG", "E-ORG", "O", "B-LOC"], [(0, 1, "PER"), (1, 3, "ORG"), (4, 5, "LOC")]),
        (["PER", "PER", "O", "LOC"], [(0, 2, "PER"), (3, 4, "LOC")]),  # IO tags
        ([], []),
        (["O", "O"], []),
    ],
)
def test_tags_to_spans(tags, spans):
    assert tags_to_spans(tags) == spans


def test_label_map_and_drop():
    spans = [(0, 1, "PERSON"), (1, 2, "MISC"), (2, 3, "GPE"), (3, 4, "DATE")]
    m = {"PERSON": "PER", "GPE": "LOC"}
    assert map_entities(spans, m, ["MISC"], keep_unmapped=True) == [
        Entity(0, 1, "PER"), Entity(2, 3, "LOC"), Entity(3, 4, "DATE")]
    assert map_entities(spans, m, ["MISC"], keep_unmapped=False) == [Entity(0, 1, "PER"), Entity(2, 3, "LOC")]


def test_prob_labels_are_renamed_and_merged():
    labels = ["O", "B-GPE", "I-GPE", "B-LOC", "I-LOC", "PER"]
    probs = np.array([[0.1, 0.2, 0.1, 0.3, 0.1, 0.2]], dtype=np.float32)
    np_ = map_prob_labels(labels, probs, {"GPE": "LOC"}, scheme="iob2")
    assert np_.labels == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]  # IOB2: every type has B- and I-
    assert np.allclose(np_.probs, [[0.1, 0.5, 0.2, 0.0, 0.2]])
    # auto-detected: PER has no B- label, so the model is IOB1 and the first word's I- is a start
    np_ = map_prob_labels(labels, probs, {"GPE": "LOC"})
    assert np_.labels == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    assert np.allclose(np_.probs, [[0.1, 0.7, 0.0, 0.2, 0.0]])


def test_hf_labeller_probabilities_first_subword(tagger):
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    lab = make_hf_token_classifier(tagger, label_map={"PER": "PER", "ORG": "ORG", "LOC": "LOC"})
    results = lab(SENTS)
    assert len(results) == len(SENTS)
    tok = AutoTokenizer.from_pretrained(tagger)
    model = AutoModelForTokenClassification.from_pretrained(tagger).eval()
    for words, r in zip(SENTS, results):
        assert r.probs is not None
        # the model is IOB1 (no B-PER): probabilities come back as IOB2
        assert r.probs.labels == ["O", "B-LOC", "I-LOC", "B-MISC", "I-MISC", "B-ORG", "I-ORG", "B-PER", "I-PER"]
        assert np.allclose(r.probs.probs.sum(axis=1), 1.0, atol=1e-5)
        if not words:
            assert r.ents == [] and r.spans == []
            continue
        # The first-subword rule, recomputed independently from the model.
        enc = tok(words, is_split_into_words=True, return_tensors="pt")
        with torch.no_grad():
            p = torch.softmax(model(**enc).logits[0], -1).numpy()
        word_ids = enc.word_ids(0)
        firsts = [word_ids.index(w) for w in range(len(words))]
        assert any(word_ids.count(w) > 1 for w in range(len(words))) or len(words) < 3
        assert np.allclose(r.probs.probs, probs_to_iob2(XLMR_CONLL03_LABELS, p[firsts])[1], atol=1e-5)
        # Entities are the argmax tags chunked conlleval-style, MISC dropped.
        tags = [XLMR_CONLL03_LABELS[j] for j in p[firsts].argmax(-1)]
        spans = tags_to_spans(tags)
        assert r.spans == [(s, e) for s, e, _ in spans]
        assert r.ents == [Entity(s, e, t) for s, e, t in spans if t != "MISC"]


def test_slow_tokenizer_path_matches_fast(tagger):
    fast = make_hf_token_classifier(tagger)(SENTS)
    slow = make_hf_token_classifier(tagger, use_fast=False)(SENTS)
    for a, b in zip(fast, slow):
        assert a.ents == b.ents
        assert np.allclose(a.probs.probs, b.probs.probs, atol=1e-5)


def test_long_input_is_windowed_not_crashing(tagger):
    lab = make_hf_token_classifier(tagger)
    long = ["Abuja", "is", "the", "capital", "."] * 20  # far beyond the model's 64 positions
    weird = ["\u200b", "a" * 300, "b"]  # a zero-width word (no subwords) and a huge word
    r = lab([long, weird])
    assert lab.windowed == 2
    assert r[0].probs.probs.shape == (100, 9) and np.allclose(r[0].probs.probs.sum(1), 1, atol=1e-5)
    assert r[1].probs.probs.shape == (3, 9) and np.allclose(r[1].probs.probs.sum(1), 1, atol=1e-5)
    for e in r[0].ents:
        assert 0 <= e.start < e.end <= 100


def test_hf_labeller_bad_model(tmp_path):
    with pytest.raises(ConfigError, match="cannot load"):
        make_hf_token_classifier(str(tmp_path / "nope"))([["a"]])


def test_component_on_translation_and_doc(tagger, tmp_path):
    nlp = spacy.blank("xx")
    nlp.add_pipe("xproj_labeller", config={"labeller": {"model": tagger}, "target": "translation"})
    doc = nlp.make_doc("Shugaba ya ziyarci Abuja")
    doc._.xproj_translation = spacy.blank("en").make_doc("Muhammadu Buhari visited Abuja on Monday .")
    doc = nlp(doc)
    tr = doc._.xproj_translation
    expected = make_hf_token_classifier(tagger)([SENTS[0]])[0]
    assert [(e.start, e.end, e.label_) for e in tr.ents] == [(e.start, e.end, e.label) for e in expected.ents]
    assert [(s.start, s.end) for s in tr.spans["xproj_candidates"]] == expected.spans
    assert np.allclose(tr._.xproj_probs.probs, expected.probs.probs)
    assert doc.ents == () and doc._.xproj_probs is None  # the doc itself is untouched
    with pytest.raises(ValueError, match="translation is not set"):
        nlp("no translation here")
    nlp2 = spacy.blank("en")
    nlp2.add_pipe("xproj_labeller", config={"labeller": {"model": tagger}, "target": "doc", "set_probs": False})
    d2 = list(nlp2.pipe(["Muhammadu Buhari visited Abuja on Monday ."] * 3, batch_size=2))
    assert all(d._.xproj_probs is None for d in d2)
    assert [(e.start, e.end, e.label_) for e in d2[2].ents] == [(e.start, e.end, e.label) for e in expected.ents]
    nlp2.to_disk(tmp_path / "p")
    assert spacy.load(tmp_path / "p").pipe_names == ["xproj_labeller"]


@pytest.fixture(scope="session")
def ruler_pipeline(tmp_path_factory):
    """A tiny on-disk spaCy pipeline whose entity_ruler sets doc.ents (no downloads)."""
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([
        {"label": "PERSON", "pattern": [{"LOWER": "muhammadu"}, {"LOWER": "buhari"}]},
        {"label": "GPE", "pattern": "Abuja"},
        {"label": "DATE", "pattern": "Monday"},
        {"label": "NORP", "pattern": "Nigerian"},
    ])
    path = tmp_path_factory.mktemp("ruler") / "pipe"
    nlp.to_disk(path)
    return str(path)


def test_spacy_labeller(ruler_pipeline):
    lab = make_spacy_labeller(ruler_pipeline)
    r = lab(SENTS + [["Nigerian", "Muhammadu", "Buhari"]])
    assert r[0].ents == [Entity(0, 2, "PER"), Entity(3, 4, "LOC")]  # DATE dropped (unmapped)
    assert r[0].spans == [(0, 2), (3, 4), (5, 6)]  # candidates keep every predicted span
    assert r[0].probs is None and r[2].ents == []
    assert r[4].ents == [Entity(1, 3, "PER")]
    keep = make_spacy_labeller(ruler_pipeline, keep_unmapped=True)([SENTS[0]])[0]
    assert Entity(5, 6, "DATE") in keep.ents


def test_spacy_labeller_v2_sees_one_unicode_form(tmp_path):
    """A Yorùbá name written with decomposed accents (as in MasakhaNER 2.0 yor test) is found by a
    pipeline that knows its composed (NFC) spelling only through v2, which normalises what the
    model sees; the words of the input stay as written. v1 passes them unchanged and misses it."""
    import unicodedata

    from spacy_xproj.label.spacy_pipeline import make_spacy_labeller_v2

    name = "Ọ̀yọ́"
    nlp = spacy.blank("xx")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "LOC", "pattern": [{"ORTH": unicodedata.normalize("NFC", name)}]}])
    nlp.to_disk(tmp_path / "pipe")
    words = ["Ìlú", unicodedata.normalize("NFD", name), "."]
    assert words[1] != unicodedata.normalize("NFC", name)
    assert make_spacy_labeller(str(tmp_path / "pipe"))([words])[0].ents == []
    assert make_spacy_labeller_v2(str(tmp_path / "pipe"))([words])[0].ents == [Entity(1, 2, "LOC")]
    assert make_spacy_labeller_v2(str(tmp_path / "pipe"), unicode_form=None)([words])[0].ents == []
    pairs = [Pair("p", Side("en", [], []), Side("yor", words, []))]
    out = label_pairs(pairs, make_spacy_labeller_v2(str(tmp_path / "pipe")), "tgt", set_ents=True)
    assert out[0].tgt.words == words and out[0].tgt.ents == [Entity(1, 2, "LOC")]
    with pytest.raises(ConfigError, match="unicode_form"):
        make_spacy_labeller_v2(str(tmp_path / "pipe"), unicode_form="NFX")


def test_spacy_labeller_needs_ner(tmp_path):
    spacy.blank("en").to_disk(tmp_path / "blank")
    with pytest.raises(ConfigError, match="no component that sets doc.ents"):
        make_spacy_labeller(str(tmp_path / "blank"))([["a"]])
    with pytest.raises(ConfigError, match="cannot load"):
        make_spacy_labeller(str(tmp_path / "missing"))([["a"]])


def _pairs():
    return [
        Pair(f"p{i}", Side("en", words, [Entity(0, 1, "ORG")] if words else []), Side("hau", ["Shugaba", "Buhari"] * (i + 1), [Entity(1, 2, "PER")]))
        for i, words in enumerate(SENTS)
    ]


def test_label_pairs_src_and_tgt(ruler_pipeline, tagger):
    pairs = _pairs()
    src = label_pairs(pairs, make_spacy_labeller(ruler_pipeline), "src")
    assert src[0].src.ents == [Entity(0, 2, "PER"), Entity(3, 4, "LOC")]
    assert src[0].tgt == pairs[0].tgt
    tgt = label_pairs(pairs, make_hf_token_classifier(tagger), "tgt", probs=True, candidates=True)
    for before, after in zip(pairs, tgt):
        assert after.tgt.ents == before.tgt.ents  # gold target entities are kept
        assert after.tgt.probs.probs.shape == (len(before.tgt.words), 9)
        assert isinstance(after.meta["tgt_candidates"], list)
        assert after.src == before.src
    mt = label_pairs(pairs, make_hf_token_classifier(tagger), "tgt", set_ents=True)
    assert mt[0].tgt.ents == make_hf_token_classifier(tagger)([pairs[0].tgt.words])[0].ents


def test_cli_label(tagger, ruler_pipeline, tmp_path):
    src = tmp_path / "in.jsonl"
    write_pairs(src, _pairs())
    out = tmp_path / "out.jsonl"
    r = CliRunner().invoke(app, ["label", str(src), str(out), "--model", tagger, "--side", "tgt", "--candidates", "--no-progress"])
    assert r.exit_code == 0, r.output
    assert "4 in, 4 out" in r.output
    pairs = list(read_pairs(out))
    assert all(p.tgt.probs is not None and "tgt_candidates" in p.meta for p in pairs)
    assert np.allclose(pairs[0].tgt.probs.probs.sum(1), 1, atol=1e-4)
    out2 = tmp_path / "out2.jsonl"
    r = CliRunner().invoke(app, ["label", str(out), str(out2), "--model", ruler_pipeline, "--backend", "spacy", "--side", "src", "--no-progress"])
    assert r.exit_code == 0, r.output
    first = next(iter(read_pairs(out2)))
    assert first.src.ents == [Entity(0, 2, "PER"), Entity(3, 4, "LOC")]
    assert first.tgt.probs is not None  # the earlier step's output is kept
    r = CliRunner().invoke(app, ["label", str(src), str(tmp_path / "o3.jsonl"), "--model", tagger, "--backend", "flair"])
    assert r.exit_code != 0 and "unknown --backend" in str(r.exception)

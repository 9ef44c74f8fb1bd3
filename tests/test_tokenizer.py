"""spacy-xproj.NormalisingTokenizer.v1: composed and decomposed accents give a model the same tokens
and features, while doc.text stays the input."""
from __future__ import annotations

import pickle
import unicodedata
from pathlib import Path

import pytest
import spacy
from spacy.attrs import IS_ALPHA, LOWER, NORM, PREFIX, SHAPE, SUFFIX

from spacy_xproj.corpus.conll import read_conll_sentences
from spacy_xproj.errors import ConfigError
from spacy_xproj.tokenizer import NormalisingTokenizer, normalised_boundaries

REPO = Path(__file__).resolve().parents[1]
FEATURES = [NORM, PREFIX, SUFFIX, SHAPE, LOWER, IS_ALPHA]
YORUBA = "Ọ̀gbẹ́ni Adébáyọ̀ lọ sí Ìbàdàn, Èkó (Nàìjíríà) lánàá."


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.fixture(scope="module")
def cnn_nlp():
    """The pipeline of configs/cnn.cfg (the target NER config), initialised, untrained."""
    nlp = spacy.util.load_model_from_config(spacy.util.load_config(REPO / "configs" / "cnn.cfg"), auto_fill=True)
    nlp.initialize()
    return nlp


def test_cnn_config_uses_the_normalising_tokenizer(cnn_nlp):
    assert isinstance(cnn_nlp.tokenizer, NormalisingTokenizer) and cnn_nlp.tokenizer.form == "NFC"


def test_both_forms_give_the_same_tokens_and_features_and_keep_the_text(cnn_nlp):
    a, b = cnn_nlp.make_doc(nfc(YORUBA)), cnn_nlp.make_doc(nfd(YORUBA))
    assert len(nfd(YORUBA)) > len(nfc(YORUBA))  # the two texts really differ
    assert a.text == nfc(YORUBA) and b.text == nfd(YORUBA)
    assert [nfc(t.text) for t in b] == [t.text for t in a]
    assert [t.text for t in b][-2:] == [nfd("lánàá"), "."]  # spaCy alone keeps "lánàá." in NFD
    assert (a.to_array(FEATURES) == b.to_array(FEATURES)).all()
    # character offsets refer to the text as given
    assert [b.text[t.idx:t.idx + len(t)] for t in b] == [t.text for t in b]


def test_plain_spacy_differs_on_decomposed_text():
    """What the tokenizer fixes: spaCy's own tokenizer and features see two different texts."""
    nlp = spacy.blank("xx")
    a, b = nlp(nfc(YORUBA)), nlp(nfd(YORUBA))
    assert len(a) != len(b) or not (a.to_array(FEATURES) == b.to_array(FEATURES)).all()


def test_model_output_is_the_same_for_both_forms(cnn_nlp):
    a, b = cnn_nlp(nfc(YORUBA)), cnn_nlp(nfd(YORUBA))
    assert a.tensor.shape == b.tensor.shape and (a.tensor == b.tensor).all()


def test_masakhaner_yoruba_test_sentences(cnn_nlp, data_root):
    """Real decomposed text: the MasakhaNER 2.0 Yorùbá test split, as given and in NFC."""
    path = data_root / "masakhaner2" / "yor" / "test.txt"
    texts = [" ".join(s.words) for s in read_conll_sentences(path)][:300]
    decomposed = [t for t in texts if t != nfc(t)]
    assert len(decomposed) > 100
    for text in decomposed:
        a, b = cnn_nlp.make_doc(nfc(text)), cnn_nlp.make_doc(text)
        assert b.text == text and len(a) == len(b), text
        assert (a.to_array(FEATURES) == b.to_array(FEATURES)).all(), text


def test_compositions_across_letters_fall_back_to_the_text_as_given(cnn_nlp):
    korean = nfd("한국어 문장입니다.")  # Hangul jamo compose across starters
    assert korean != nfc(korean) and normalised_boundaries(korean, "NFC") is None
    doc = cnn_nlp.make_doc(korean)
    assert doc.text == korean and "".join(t.text_with_ws for t in doc) == korean
    assert doc[0].norm_ == nfc(korean.split()[0])  # the features are still normalised


def test_boundaries_map_normalised_offsets_to_the_text():
    text = nfd("Èkó ọ̀")
    mapping = normalised_boundaries(text, "NFC")
    normal = nfc(text)
    assert mapping[len(normal)] == len(text) and mapping[0] == 0
    assert text[:mapping[normal.index(" ")]] == nfd("Èkó")


def test_saved_loaded_and_pickled_pipelines_keep_it(cnn_nlp, tmp_path):
    cnn_nlp.to_disk(tmp_path / "model")
    loaded = spacy.load(tmp_path / "model")
    copied = pickle.loads(pickle.dumps(cnn_nlp))
    for nlp in (loaded, copied):
        assert isinstance(nlp.tokenizer, NormalisingTokenizer)
        a, b = nlp(nfc(YORUBA)), nlp(nfd(YORUBA))
        assert (a.to_array(FEATURES) == b.to_array(FEATURES)).all() and (a.tensor == b.tensor).all()
    # spaCy's tokenizer settings travel through the wrapper
    assert loaded.tokenizer.to_bytes() == cnn_nlp.tokenizer.to_bytes()
    assert [t for t, _ in cnn_nlp.tokenizer.explain("Abuja.")] == ["TOKEN", "SUFFIX"]


def test_spacy_tokenizer_settings_are_reached_through_it():
    nlp = spacy.blank("xx", config={"nlp": {"tokenizer": {"@tokenizers": "spacy-xproj.NormalisingTokenizer.v1"}}})
    text = nfd("Ìbàdàn, Èkó")
    assert [t.text for t in nlp(text)] == [nfd("Ìbàdàn"), ",", nfd("Èkó")]
    nlp.tokenizer.add_special_case(nfc("Èkó"), [{"ORTH": nfc("È")}, {"ORTH": nfc("kó")}])
    nlp.tokenizer.suffix_search = None  # set on spaCy's tokenizer, not on the wrapper
    assert nlp.tokenizer.tokenizer.suffix_search is None
    assert [t.text for t in nlp(text)] == [nfd("Ìbàdàn,"), nfd("È"), nfd("kó")]


def test_unknown_form_is_refused():
    config = spacy.util.load_config(REPO / "configs" / "cnn.cfg")
    config["nlp"]["tokenizer"]["form"] = "NFX"
    with pytest.raises(ConfigError, match="NFC, NFD, NFKC, NFKD"):
        spacy.util.load_model_from_config(config, auto_fill=True)


def test_raw_text_benchmark_sees_the_difference(tmp_path):
    """bench/raw_text_f1.py on a decomposed CoNLL file: a rule-based pipeline written in NFC finds the
    names only with the normalising tokenizer."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("raw_text_f1", REPO / "bench" / "raw_text_f1.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    conll = tmp_path / "test.txt"
    conll.write_text(nfd("Adébáyọ̀ B-PER\nlọ O\nsí O\nÌbàdàn B-LOC\nlánàá O\n. O\n\nÈkó B-LOC\ndára O\n\n"), encoding="utf8")
    patterns = [{"label": label, "pattern": [{"LOWER": nfc(word).lower()}]}
                for label, word in [("PER", "Adébáyọ̀"), ("LOC", "Ìbàdàn"), ("LOC", "Èkó"), ("ORG", "lánàá")]]
    scores = {}
    for name, config in [("plain", {}),
                         ("normalising", {"nlp": {"tokenizer": {"@tokenizers": "spacy-xproj.NormalisingTokenizer.v1"}}})]:
        nlp = spacy.blank("xx", config=config)
        nlp.add_pipe("entity_ruler").add_patterns(patterns)
        nlp.to_disk(tmp_path / name)
        scores[name] = bench.main([str(tmp_path / name), str(conll)])
    assert scores["plain"] == (0.0, 0.0, 0.0)
    p, r, f = scores["normalising"]  # three gold names found, and "lánàá" (no name) as a false positive
    assert (p, r) == (0.75, 1.0) and f == pytest.approx(6 / 7)

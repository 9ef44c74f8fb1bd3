"""scripts/self_train.py (the `parallel-selftrain` step): a teacher labels unlabelled target text, the
sentences it finds entities in go beside the teacher's training data, and a student trains on them.

The teacher here is a real spaCy pipeline whose entities are known in advance (an entity ruler with
gold names of the text), so the test can check which sentences reach the student's training data.
"""
from __future__ import annotations

import importlib.util
import json
from itertools import islice
from pathlib import Path

import pytest
import spacy
from spacy.tokens import DocBin

from spacy_xproj.corpus.conll import read_conll
from spacy_xproj.corpus.jsonl import read_pairs, write_pairs
from spacy_xproj.types import Entity, Pair, Side

REPO = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location("self_train", REPO / "scripts" / "self_train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write_conll(path: Path, sentences) -> Path:
    """Token-per-line CoNLL with the gold tags (the script must ignore them)."""
    lines = []
    for pair in sentences:
        tags = ["O"] * len(pair.tgt.words)
        for e in pair.tgt.ents:
            tags[e.start:e.end] = [f"B-{e.label}"] + [f"I-{e.label}"] * (e.end - e.start - 1)
        lines += [f"{w} {t}" for w, t in zip(pair.tgt.words, tags)] + [""]
    path.write_text("\n".join(lines) + "\n", encoding="utf8")
    return path


@pytest.fixture(scope="module")
def setup(tmp_path_factory, masakhaner_dir):
    tmp = tmp_path_factory.mktemp("selftrain")
    train = list(islice(read_conll(masakhaner_dir / "hau" / "train.txt", "hau"), 80))
    dev = list(islice(read_conll(masakhaner_dir / "hau" / "dev.txt", "hau"), 40))
    text = _write_conll(tmp / "text.txt", train[:60])  # the "unlabelled" text: its tags are ignored
    test = _write_conll(tmp / "test.txt", train[:5])  # five of its sentences stand for the test split
    # teacher: an entity ruler with the gold PER names of the text, and a full stop it calls an ORG
    # (an entity of punctuation, which the script must drop before the student sees it)
    names = sorted({tuple(p.tgt.words[e.start:e.end]) for p in train[:60] for e in p.tgt.ents if e.label == "PER"})
    nlp = spacy.blank("xx")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "PER", "pattern": [{"ORTH": w} for w in n]} for n in names]
                                              + [{"label": "ORG", "pattern": [{"ORTH": "."}]}])
    nlp.to_disk(tmp / "teacher")
    # the teacher's training folder (projected sentences stand-in) and dev set
    nlp_xx = spacy.blank("xx")
    (tmp / "train").mkdir()
    docs = []
    for p in train[60:] + dev:
        doc = spacy.tokens.Doc(nlp_xx.vocab, words=p.tgt.words)
        doc.ents = [spacy.tokens.Span(doc, e.start, e.end, label=e.label) for e in p.tgt.ents if e.label != "DATE"]
        docs.append(doc)
    DocBin(docs=docs[:20]).to_disk(tmp / "train" / "projected.spacy")
    DocBin(docs=docs[20:]).to_disk(tmp / "dev.spacy")
    return tmp, train, names, text, test


def _expected_sentences(sentences, names) -> list:
    """Sentences of the text that contain one of the teacher's names."""
    def has(words):
        return any(tuple(words[i:i + len(n)]) == n for n in names for i in range(len(words)))
    return [p for p in sentences if has(p.tgt.words)]


def test_self_training_labels_the_text_and_trains_a_student(setup, monkeypatch):
    tmp, train, names, text, test = setup
    monkeypatch.chdir(tmp)
    script = _script()
    out = tmp / "final"
    summary = script.main([
        "teacher", "final", "--text", str(text), "--lang", "hau", "--train", "train", "--dev", "dev.spacy",
        "--work", "work", "--config", str(REPO / "configs" / "cnn.cfg"), "--exclude", str(test),
        "--nlp.lang", "xx", "--training.max_steps", "10", "--training.eval_frequency", "5",
    ])
    expected = _expected_sentences(train[5:60], names)  # the five "test" sentences are excluded
    assert expected and len(expected) < 55
    full_stops = [e for p in read_pairs(tmp / "work" / "labelled.jsonl") for e in p.tgt.ents if e.label == "ORG"]
    assert len(full_stops) > len(expected)  # sentences with a full stop but no name are there, then dropped
    assert summary == {"self_train": True, "teacher": "teacher", "text": str(text), "sentences": 60, "excluded": 5,
                       "punctuation_edged_entities_dropped": len(full_stops), "labelled_with_entities": len(expected)}
    assert json.loads((out / "selftrain.json").read_text()) == summary
    # the student's training folder: the teacher's data, then the labelled sentences with exactly the ruler's names
    assert sorted(p.name for p in (tmp / "work" / "train").iterdir()) == ["projected.spacy", "teacher.spacy"]
    nlp = spacy.blank("xx")
    labelled = list(DocBin().from_disk(tmp / "work" / "train" / "teacher.spacy").get_docs(nlp.vocab))
    assert [[t.text for t in d] for d in labelled] == [p.tgt.words for p in expected]
    for doc in labelled:
        assert doc.ents and all(e.label_ == "PER" and tuple(t.text for t in e) in names for e in doc.ents)
    # the gold tags of the text never reach the student: only the teacher's PER names do
    assert {e.label_ for d in labelled for e in d.ents} == {"PER"}
    student = spacy.load(out / "model-best")
    assert "ner" in student.pipe_names and not (tmp / "final.partial").exists()


def test_teacher_entities_beginning_or_ending_with_punctuation_are_dropped():
    script = _script()
    words = ['""""', "Tunaamini", "BBC", ",", "Dar", "-", "es", "Salaam", "#", "Ruto", "."]
    pair = Pair("p1", Side("en", ["x"]), Side("swa", words, [
        Entity(0, 2, "PER"),  # a run of quotes first
        Entity(2, 4, "ORG"),  # a comma last
        Entity(4, 8, "LOC"),  # punctuation inside is fine
        Entity(8, 10, "PER"),  # a hashtag first
        Entity(9, 10, "PER"),
        Entity(10, 11, "ORG"),  # nothing but punctuation
    ]))
    untouched = Pair("p2", Side("en", ["x"]), Side("swa", ["Musa", "2", "."], [Entity(0, 2, "PER")]))
    assert script.drop_punctuation_edged(pair) == 4
    assert pair.tgt.ents == [Entity(4, 8, "LOC"), Entity(9, 10, "PER")]
    assert pair.tgt.words == words  # the words stay
    assert script.drop_punctuation_edged(untouched) == 0
    assert untouched.tgt.ents == [Entity(0, 2, "PER")]  # a digit is not punctuation
    assert script.drop_punctuation_edged(Pair("p3", Side("en", ["x"]), Side("yor", ["–", "ọ̀", "…"], [
        Entity(0, 2, "PER"), Entity(1, 2, "PER"), Entity(1, 3, "LOC")]))) == 2  # dashes and ellipses are punctuation


def test_self_training_off_copies_the_teacher(setup, monkeypatch):
    tmp, *_ = setup
    monkeypatch.chdir(tmp)
    summary = _script().main(["teacher", "off", "--text", "none", "--train", "train", "--dev", "dev.spacy",
                              "--work", "work_off", "--config", str(REPO / "configs" / "cnn.cfg")])
    assert summary == {"self_train": False, "model": "teacher"}
    assert spacy.load(tmp / "off" / "model-best").pipe_names == ["entity_ruler"]
    assert len(DocBin().from_disk(tmp / "work_off" / "train" / "teacher.spacy")) == 0  # the packaging step counts 0


def test_self_training_text_is_checked_before_anything_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    script = _script()
    with pytest.raises(SystemExit, match="self_train_text auto: assets/masakhaner2/hau/train.txt is not a file"):
        script.main(["--check", "--text", "auto", "--lang", "hau"])
    with pytest.raises(SystemExit, match="needs --lang"):
        script.main(["--check", "--text", "auto"])
    assert script.main(["--check", "--text", "none"]) == {"self_train": False, "text": None}
    pairs = tmp_path / "text.jsonl"
    write_pairs(pairs, [])
    assert script.main(["--check", "--text", str(pairs)]) == {"self_train": True, "text": str(pairs)}
    assert "self-training text: " in capsys.readouterr().out
    with pytest.raises(SystemExit, match="is not a trained spaCy pipeline"):
        script.main(["nowhere", "out", "--text", str(pairs), "--train", ".", "--dev", ".", "--work", "w",
                     "--config", str(REPO / "configs" / "cnn.cfg")])
    with pytest.raises(SystemExit):
        script.main(["nowhere", "--text", "none"])
    assert "missing: OUT, --train, --dev, --work, --config" in capsys.readouterr().err

"""DocBin writing/reading, the PairCorpus reader, and a short real `spacy train` run on both."""
from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest
import spacy

from spacy_xproj.corpus.conll import read_conll
from spacy_xproj.corpus.docbin import read_docbin, write_docbin
from spacy_xproj.corpus.jsonl import write_pairs
from spacy_xproj.corpus.readers import create_pair_corpus
from spacy_xproj.errors import InputError
from spacy_xproj.types import Entity, Pair, Side

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "tests" / "configs" / "ner_tiny.cfg"


def test_docbin_round_trip_keeps_ids_words_and_overlaps(tmp_path: Path) -> None:
    pairs = [
        Pair("a", Side("en", ["x"]), Side("de", ["Anna", "in", "Berlin"], [Entity(0, 1, "PER"), Entity(2, 3, "LOC")])),
        Pair("b", Side("en", ["y"]), Side("de", ["New", "York", "City"], [Entity(0, 2, "LOC"), Entity(1, 3, "LOC")])),
        Pair("c", Side("en", ["z"]), Side("de", [])),
    ]
    stats: dict = {}
    path = tmp_path / "d.spacy"
    assert write_docbin(path, pairs, side="tgt", stats=stats) == 3
    assert stats == {"overlapping": 1, "empty": 1}
    back = list(read_docbin(path, "de", side="tgt", other_lang="en"))
    assert [p.id for p in back] == ["a", "b", "c"]
    assert [(p.tgt.words, sorted(p.tgt.ents)) for p in back] == [(p.tgt.words, sorted(p.tgt.ents)) for p in pairs]
    assert back[0].src == Side("en", [])
    src_side = list(read_docbin(path, "de", side="src"))
    assert src_side[0].src.words == ["Anna", "in", "Berlin"] and src_side[0].tgt.words == []


def test_read_docbin_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.spacy"
    bad.write_bytes(b"not a docbin")
    with pytest.raises(InputError, match="not a spaCy DocBin"):
        list(read_docbin(bad))


def test_pair_corpus_reader(tmp_path: Path) -> None:
    pairs = [
        Pair("a", Side("en", ["Anna", "sleeps"], [Entity(0, 1, "PER")]), Side("de", ["Anna", "schläft"], [Entity(0, 1, "PER")])),
        Pair("b", Side("en", ["It", "rains"]), Side("de", ["Es", "regnet"])),
        Pair("c", Side("en", ["Bob"], [Entity(0, 1, "PER")]), Side("de", ["Bob"], [Entity(0, 1, "PER")])),
    ]
    path = tmp_path / "p.jsonl"
    write_pairs(path, pairs)
    nlp = spacy.blank("de")
    reader = spacy.registry.readers.get("spacy-xproj.PairCorpus.v1")
    assert reader is create_pair_corpus
    examples = list(reader(str(path))(nlp))
    assert [[t.text for t in eg.reference] for eg in examples] == [["Anna", "schläft"], ["Es", "regnet"], ["Bob"]]
    assert [[(e.text, e.label_) for e in eg.reference.ents] for eg in examples] == [[("Anna", "PER")], [], [("Bob", "PER")]]
    assert all([t.text for t in eg.predicted] == [t.text for t in eg.reference] for eg in examples)
    assert examples[1].reference[0].ent_iob_ == "O"  # unlabelled words are annotated as outside
    assert len(list(create_pair_corpus(str(path), skip_unlabelled=True)(nlp))) == 2
    assert len(list(create_pair_corpus(str(path), limit=2)(nlp))) == 2
    src = list(create_pair_corpus(str(path), side="src")(nlp))
    assert src[0].reference.text.startswith("Anna sleeps")
    with pytest.raises(ValueError, match="side"):
        create_pair_corpus(str(path), side="both")


@pytest.mark.slow
def test_spacy_train_on_docbin_and_pair_corpus(tmp_path: Path, masakhaner_dir: Path) -> None:
    """A DocBin written from real pairs trains with `python -m spacy train`; dev is read by PairCorpus."""
    train_pairs = list(itertools.islice(read_conll(masakhaner_dir / "hau" / "train.txt", "ha"), 80))
    dev_pairs = list(itertools.islice(read_conll(masakhaner_dir / "hau" / "dev.txt", "ha"), 30))
    train_path, dev_path = tmp_path / "train.spacy", tmp_path / "dev.jsonl"
    assert write_docbin(train_path, train_pairs) == 80
    write_pairs(dev_path, dev_pairs)
    out = tmp_path / "model"
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(REPO))
    proc = subprocess.run(
        [sys.executable, "-m", "spacy", "train", str(CONFIG), "--output", str(out),
         "--paths.train", str(train_path), "--paths.dev", str(dev_path)],
        capture_output=True, text=True, cwd=REPO, env=env, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (out / "model-last" / "meta.json").exists()
    nlp = spacy.load(out / "model-last")
    assert set(nlp.get_pipe("ner").labels) == {"PER", "ORG", "LOC", "DATE"}
    doc = nlp(" ".join(dev_pairs[0].tgt.words))
    assert len(doc) > 0  # the trained pipeline runs

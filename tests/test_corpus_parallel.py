"""Europarl-NER and MAFAND-MT readers: counts, pairing by position, bad input."""
from __future__ import annotations

import gzip
import itertools
import json
import shutil
from pathlib import Path

import pytest

from spacy_xproj.corpus.europarl import europarl_file, read_europarl
from spacy_xproj.corpus.mafand import read_mafand
from spacy_xproj.errors import InputError
from spacy_xproj.types import Entity


def test_europarl_en_de_counts(europarl_dir: Path) -> None:
    pairs = read_europarl(europarl_dir, src="en", tgt="de")
    assert len(pairs) == 799
    assert sum(len(p.src.ents) for p in pairs) == 702
    assert sum(len(p.tgt.ents) for p in pairs) == 693
    assert sum(len(p.src.words) for p in pairs) == 22320 and sum(len(p.tgt.words) for p in pairs) == 20187
    assert pairs[5].id == "europarl-ner/en-de/5" and pairs[5].src.lang == "en" and pairs[5].tgt.lang == "de"
    # sentence 472: adjacent entities are both kept (B- closes the running span)
    assert Entity(21, 22, "ORG") in pairs[472].src.ents and Entity(22, 56, "MISC") in pairs[472].src.ents
    assert Entity(18, 19, "ORG") in pairs[472].tgt.ents and Entity(19, 51, "PER") in pairs[472].tgt.ents
    # swapping the direction swaps the sides, nothing else
    rev = read_europarl(europarl_dir, src="de", tgt="en")
    assert [p.tgt.words for p in rev] == [p.src.words for p in pairs]


def test_europarl_mismatched_sentence_counts(tmp_path: Path, europarl_dir: Path) -> None:
    shutil.copy(europarl_file(europarl_dir, "en"), europarl_file(tmp_path, "en"))
    text = europarl_file(europarl_dir, "de").read_text(encoding="utf8")
    europarl_file(tmp_path, "de").write_text(text.split("\n\n", 1)[1], encoding="utf8")  # drop one sentence
    with pytest.raises(InputError, match="not sentence-parallel.*799 sentences.*798"):
        read_europarl(tmp_path)
    with pytest.raises(InputError, match="'fr'.*not found"):
        read_europarl(tmp_path, "en", "fr")


def test_mafand_real_files(mafand_dir: Path) -> None:
    pairs = list(read_mafand(mafand_dir / "en-hau" / "dev.jsonl"))
    assert len(pairs) == 1300
    assert pairs[0].src.lang == "en" and pairs[0].tgt.lang == "hau"
    assert pairs[0].src.words[:3] == ["The", "clear", "phenomena"] and pairs[0].src.words[-1] == "."
    assert [p.id for p in pairs[:2]] == ["mafand/en-hau/dev/0", "mafand/en-hau/dev/1"]
    # gzipped train of en-swa, swapped direction (Swahili as source)
    swa = list(itertools.islice(read_mafand(mafand_dir / "en-swa" / "train.jsonl.gz", src_lang="swa", tgt_lang="en"), 300))
    assert len(swa) == 300 and swa[0].src.lang == "swa" and swa[0].tgt.lang == "en"
    with gzip.open(mafand_dir / "en-swa" / "train.jsonl.gz", "rt", encoding="utf8") as fh:
        first = json.loads(fh.readline())["translation"]
    assert " ".join(swa[0].src.words).replace(" ", "") == first["swa"].replace(" ", "")
    assert swa[0].id == "mafand/swa-en/train/0"


def test_mafand_whitespace_runs_and_newlines(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps({"translation": {"en": "Hello \n  world.", "zul": "Sawubona\tmhlaba ."}}) + "\n")
    (pair,) = list(read_mafand(path))
    assert pair.src.words == ["Hello", "world", "."] and pair.tgt.words == ["Sawubona", "mhlaba", "."]


@pytest.mark.parametrize(
    "line,problem",
    [
        ('{"translation": {"en": "a", "hau": "b"}', "invalid JSON"),
        ('{"en": "a", "hau": "b"}', "expected an object"),
        ('{"translation": {"en": "a"}}', "target language"),
        ('{"translation": {"en": "  ", "hau": "b"}}', "'en' sentence is empty"),
        ('{"translation": {"en": 3, "hau": "b"}}', "no 'en' sentence"),
        ("", "empty line"),
    ],
)
def test_mafand_bad_input(tmp_path: Path, line: str, problem: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"translation": {"en": "ok", "hau": "ok"}}\n' + line + "\n", encoding="utf8")
    with pytest.raises(InputError, match=problem) as info:
        list(read_mafand(path))
    assert info.value.line == 2 and str(path) in str(info.value)

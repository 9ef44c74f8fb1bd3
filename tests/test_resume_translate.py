"""Kill ``xproj translate`` part way (SIGKILL) on real MAFAND-MT pairs, rerun, compare.

The final output must be byte-identical to an uninterrupted run with no duplicated or missing ids;
the rerun skips the records that were already written and takes the translations that the killed
run had finished (but not yet written) from the SQLite cache instead of translating them again.
"""
from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path

import pytest

from resume_util import complete_lines, ids_of, kill_part_way, summary_counts, xproj
from spacy_xproj.corpus.jsonl import read_pairs, write_pairs
from spacy_xproj.corpus.mafand import read_mafand
from spacy_xproj.translate import languages
from spacy_xproj.types import Side
from tiny_seq2seq import build_all

pytestmark = pytest.mark.slow  # translates 2,000 sentences several times in subprocesses

N_PAIRS = 2000


@pytest.fixture(scope="module")
def tiny_nllb(tmp_path_factory) -> Path:
    return build_all(tmp_path_factory.getbasetemp() / "tiny_models")["nllb"]


@pytest.fixture(scope="module")
def english_only(tmp_path_factory, mafand_dir: Path) -> Path:
    """The first N_PAIRS MAFAND-MT en-hau train pairs with the Hausa side emptied (translate-train)."""
    path = tmp_path_factory.mktemp("resume_tr") / "en.jsonl"
    pairs = itertools.islice(read_mafand(mafand_dir / "en-hau" / "train.jsonl", "en", "hau"), N_PAIRS)

    def english(p):
        p.tgt = Side("hau", [])
        return p

    assert write_pairs(path, (english(p) for p in pairs)) == N_PAIRS
    return path


def _cached_texts(cache: Path) -> set:
    with sqlite3.connect(cache) as conn:  # a killed writer's committed batches are in the WAL
        return {row[0] for row in conn.execute("SELECT text FROM translations")}


def test_translate_killed_and_resumed_is_byte_identical(tmp_path: Path, tiny_nllb: Path, english_only: Path) -> None:
    def args(out: Path, cache: Path):
        return ["translate", str(english_only), str(out), "--model", str(tiny_nllb), "--src", "en",
                "--tgt", "hau", "--max-length", "6", "--batch-size", "16", "--cache", str(cache), "--no-progress"]

    full = tmp_path / "full.jsonl"
    r = xproj(args(full, tmp_path / "full.sqlite"))
    assert r.returncode == 0, r.stderr[-3000:]
    assert summary_counts(r.stdout)["out"] == N_PAIRS

    part, cache = tmp_path / "part.jsonl", tmp_path / "part.sqlite"
    at_kill, _ = kill_part_way(args(part, cache), part, min_lines=200)
    assert at_kill < N_PAIRS, "killed too late to test anything"
    cached_at_kill = _cached_texts(cache)

    r = xproj(args(part, cache))
    assert r.returncode == 0, r.stderr[-3000:]
    counts = summary_counts(r.stdout)
    assert counts["in"] == N_PAIRS and counts["out"] == N_PAIRS
    batch = 16 * 4  # translate's run batch: four model batches
    assert counts["skipped"] >= 200 - batch  # committed batches are not redone
    assert counts["skipped"] in (at_kill, at_kill - batch)  # at most the uncommitted batch is redone
    # Translations finished before the kill but not yet written are cache hits, not re-translated.
    resumed = list(read_pairs(english_only))[counts["skipped"]:]
    texts = [languages.detokenize(p.src.words, "en") for p in resumed]
    assert counts["cached"] >= sum(t in cached_at_kill for t in texts)

    assert part.read_bytes() == full.read_bytes()
    ids = ids_of(part)
    assert ids == [p.id for p in read_pairs(english_only)]  # none missing, none duplicated
    assert complete_lines(part) == N_PAIRS

"""Kill ``xproj align`` (eflomal) part way (SIGKILL) on real MAFAND-MT pairs, rerun, compare.

eflomal is corpus-level; ``xproj align`` first learns its statistics on the whole input file and
then aligns batch by batch with them (see `xproj align --help`), so the statistics, and therefore
every batch, are the same in a resumed run. The resumed run re-learns the statistics (that step
writes no output) but skips every batch that was already written.
"""
from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from conftest import require_module

from resume_util import complete_lines, ids_of, kill_part_way, summary_counts, xproj
from spacy_xproj.corpus.jsonl import read_pairs, write_pairs
from spacy_xproj.corpus.mafand import read_mafand

require_module("eflomal")

pytestmark = pytest.mark.slow  # aligns 2,000 pairs three times in subprocesses (full, killed, resumed)

N_PAIRS = 2000
CONFIG = """
[aligner]
@xproj_aligners = "spacy-xproj.Eflomal.v1"
rel_iterations = 0.2
seed = 7
"""


@pytest.fixture(scope="module")
def mafand_pairs(tmp_path_factory, mafand_dir: Path) -> Path:
    path = tmp_path_factory.mktemp("resume_al") / "pairs.jsonl"
    pairs = itertools.islice(read_mafand(mafand_dir / "en-hau" / "train.jsonl", "en", "hau"), N_PAIRS)
    assert write_pairs(path, pairs) == N_PAIRS
    return path


def test_align_killed_and_resumed_is_byte_identical(tmp_path: Path, mafand_pairs: Path) -> None:
    cfg = tmp_path / "eflomal.cfg"
    cfg.write_text(CONFIG, encoding="utf8")

    def args(out: Path):
        return ["align", str(mafand_pairs), str(out), "--config", str(cfg), "--batch-size", "250", "--no-progress"]

    full = tmp_path / "full.jsonl"
    r = xproj(args(full))
    assert r.returncode == 0, r.stderr[-3000:]
    assert summary_counts(r.stdout)["out"] == N_PAIRS

    part = tmp_path / "part.jsonl"
    at_kill, _ = kill_part_way(args(part), part, min_lines=500)
    assert at_kill < N_PAIRS, "killed too late to test anything"

    r = xproj(args(part))
    assert r.returncode == 0, r.stderr[-3000:]
    counts = summary_counts(r.stdout)
    assert counts["in"] == N_PAIRS and counts["out"] == N_PAIRS
    # Committed batches are not redone; a kill after a batch's write but before its commit record
    # redoes that one batch (batch k is always records 250k..250k+249).
    assert counts["skipped"] >= 250 and counts["skipped"] in (at_kill, at_kill - 250)
    assert part.read_bytes() == full.read_bytes()
    assert ids_of(part) == [p.id for p in read_pairs(mafand_pairs)]  # none missing or duplicated
    assert complete_lines(part) == N_PAIRS
    assert all(p.alignment is not None and len(p.alignment) for p in read_pairs(part))

"""Kill ``xproj project`` part way (SIGKILL), rerun, compare — heuristic and candidate matching.

Input: the 799 Europarl-NER en-de pairs (gold English entities) aligned with eflomal, three times
over with distinct ids (2,397 real sentence pairs; the only parallel data with gold entities here).
"""
from __future__ import annotations

from pathlib import Path
from typing import List

import pytest

from conftest import require_module
from spacy.util import registry

import spacy_xproj  # noqa: F401  (registers the aligners)
from resume_util import complete_lines, ids_of, kill_part_way, summary_counts, xproj
from spacy_xproj.corpus.europarl import read_europarl
from spacy_xproj.corpus.jsonl import read_pairs, write_pairs
from spacy_xproj.types import Pair

require_module("eflomal")

pytestmark = pytest.mark.slow  # projects 2,400 pairs several times in subprocesses
COPIES = 3


@pytest.fixture(scope="module")
def aligned_europarl(tmp_path_factory, europarl_dir: Path) -> Path:
    pairs = read_europarl(europarl_dir, "en", "de")
    aligner = registry.xproj_aligners.get("spacy-xproj.Eflomal.v1")(rel_iterations=0.3, seed=3)
    alignments = aligner([p.src.words for p in pairs], [p.tgt.words for p in pairs])
    out: List[Pair] = []
    for c in range(COPIES):
        for p, al in zip(pairs, alignments):
            out.append(Pair(f"{p.id}/copy{c}", p.src, p.tgt, al, {}))
    path = tmp_path_factory.mktemp("resume_pr") / "aligned.jsonl"
    write_pairs(path, out)
    return path


@pytest.mark.parametrize(
    "options",
    [
        ["--method", "candidates", "--solver", "greedy", "--batch-size", "32"],
        ["--method", "heuristic", "--batch-size", "8"],
    ],
    ids=["candidates-greedy", "heuristic"],
)
def test_project_killed_and_resumed_is_byte_identical(tmp_path: Path, aligned_europarl: Path, options) -> None:
    n = COPIES * 799

    def args(out: Path):
        return ["project", str(aligned_europarl), str(out), *options, "--no-progress"]

    full = tmp_path / "full.jsonl"
    r = xproj(args(full))
    assert r.returncode == 0, r.stderr[-3000:]
    assert summary_counts(r.stdout)["out"] == n

    part = tmp_path / "part.jsonl"
    at_kill, _ = kill_part_way(args(part), part, min_lines=64)
    assert at_kill < n, "killed too late to test anything"
    r = xproj(args(part))
    assert r.returncode == 0, r.stderr[-3000:]
    counts = summary_counts(r.stdout)
    assert counts["in"] == n and counts["out"] == n
    batch = int(options[options.index("--batch-size") + 1])
    # Committed batches are not redone; at most the batch written but not yet committed is.
    assert counts["skipped"] >= 64 - batch and counts["skipped"] in (at_kill, at_kill - batch)
    assert part.read_bytes() == full.read_bytes()
    assert ids_of(part) == [p.id for p in read_pairs(aligned_europarl)]
    assert complete_lines(part) == n
    assert sum(len(p.tgt.ents) for p in read_pairs(part)) > 1000  # it really projected

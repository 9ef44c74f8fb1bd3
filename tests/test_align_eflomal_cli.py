"""``xproj align`` over pair JSONL with eflomal: output, meta, resume after an interruption."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import require_module
from typer.testing import CliRunner

require_module("eflomal")

from spacy_xproj.cli.app import app  # noqa: E402
from spacy_xproj.corpus.europarl import read_europarl  # noqa: E402
from spacy_xproj.corpus.jsonl import read_pairs, write_pairs  # noqa: E402


@pytest.fixture()
def input_file(tmp_path: Path, europarl_dir: Path) -> Path:
    path = tmp_path / "in.jsonl"
    write_pairs(path, read_europarl(europarl_dir)[:40])
    return path


def _run(*args: str):
    result = CliRunner().invoke(app, ["align", *args, "--no-progress"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def test_align_writes_alignments_and_resumes_identically(tmp_path: Path, input_file: Path):
    full = tmp_path / "full.jsonl"
    result = _run(str(input_file), str(full), "--batch-size", "15")
    assert "40 in, 40 out" in result.output
    out = list(read_pairs(full))
    assert [p.id for p in out] == [p.id for p in read_pairs(input_file)]
    assert all(p.alignment is not None and len(p.alignment) > 0 for p in out)
    assert out[0].meta["aligner"] == {"name": "spacy-xproj.Eflomal.v2", "initialized_on": "input"}
    # the directional links of every run ride along (span-level agreement in the coverage score);
    # the kept links are exactly those with more than half of their votes
    from spacy_xproj.align.eflomal_backend import vote_links
    from spacy_xproj.projection.scores import RUNS_KEY
    for p in out[:5]:
        runs = p.meta[RUNS_KEY]
        assert len(runs) == 4 and all(len(r) == 2 for r in runs)
        assert vote_links([d for r in runs for d in r], 0.5).links == p.alignment.links

    # interrupted run: the first batch committed plus half a line of the next, then rerun the
    # same command (the run record says what an interrupted run had committed)
    part = tmp_path / "part.jsonl"
    lines = full.read_bytes().splitlines(keepends=True)
    part.write_bytes(b"".join(lines[:15]) + lines[15][:30])
    record = json.loads((tmp_path / "full.jsonl.run.json").read_text(encoding="utf8"))
    record.update(records=15, bytes=len(b"".join(lines[:15])), complete=False)
    (tmp_path / "part.jsonl.run.json").write_text(json.dumps(record), encoding="utf8")
    result = _run(str(input_file), str(part), "--batch-size", "15")
    assert "15 skipped" in result.output
    assert part.read_bytes() == full.read_bytes()


def test_align_with_init_corpus_and_errors(tmp_path: Path, input_file: Path):
    text = tmp_path / "bitext.txt"
    text.write_text(
        "".join(f"{' '.join(p.src.words)} ||| {' '.join(p.tgt.words)}\n" for p in read_pairs(input_file)),
        encoding="utf8",
    )
    out = tmp_path / "out.jsonl"
    _run(str(input_file), str(out), "--init", str(text), "--batch-size", "1")
    pairs = list(read_pairs(out))
    assert pairs[0].meta["aligner"]["initialized_on"] == "bitext.txt"
    assert all(len(p.alignment) > 0 for p in pairs)
    bad = CliRunner().invoke(app, ["align", str(input_file), str(tmp_path / "x.jsonl"), "--aligner", "nonsense"])
    assert bad.exit_code != 0 and "unknown aligner" in str(bad.exception)

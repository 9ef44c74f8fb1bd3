"""Progress output: a bar on a terminal, plain lines (no carriage returns, no colour codes) in logs."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from spacy_xproj.progress import progress, progress_mode


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_lines_when_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XPROJ_PROGRESS", raising=False)
    monkeypatch.setenv("XPROJ_PROGRESS_INTERVAL", "0")
    log = io.StringIO()
    assert progress_mode(log) == "lines"
    with progress("align", unit="pair", initial=10, stream=log) as bar:
        bar.update(5)
        bar.update(5)
    text = log.getvalue()
    assert text.splitlines()[-1].startswith("align: 20 pairs (")
    assert "\r" not in text and "\x1b" not in text


def test_lines_are_rate_limited(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XPROJ_PROGRESS", "lines")
    monkeypatch.setenv("XPROJ_PROGRESS_INTERVAL", "3600")
    log = io.StringIO()
    bar = progress("project", stream=log)
    for _ in range(1000):
        bar.update(1)
    bar.close()
    assert log.getvalue() == ""  # a short run prints nothing; the CLI's summary says what happened


def test_bar_on_a_terminal_and_switches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XPROJ_PROGRESS", raising=False)
    term = FakeTerminal()
    assert progress_mode(term) == "bar"
    bar = progress("convert", stream=term)
    bar.update(3)
    bar.close()
    assert "convert" in term.getvalue() and "\r" in term.getvalue()  # tqdm redraws in place
    monkeypatch.setenv("XPROJ_PROGRESS", "off")
    quiet = FakeTerminal()
    progress("convert", stream=quiet).update(3)
    assert quiet.getvalue() == ""
    monkeypatch.setenv("XPROJ_PROGRESS", "lines")
    assert progress_mode(FakeTerminal()) == "lines"
    assert progress("x", enabled=False, stream=FakeTerminal()).__class__.__name__ == "Progress"


def test_cli_log_has_no_bar_fragments(tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_text("".join(f"Word{i} O\nKano B-LOC\n\n" for i in range(50)), encoding="utf-8")
    env = {**os.environ, "XPROJ_PROGRESS_INTERVAL": "0"}
    env.pop("XPROJ_PROGRESS", None)
    res = subprocess.run(
        [sys.executable, "-m", "spacy_xproj", "convert", str(src), str(tmp_path / "out.jsonl"),
         "--from", "conll", "--to", "pairs", "--tgt-lang", "hau"],
        capture_output=True, text=True, env=env, check=True,
    )
    assert "convert: 50 sentences (" in res.stderr
    assert "\r" not in res.stderr + res.stdout and "\x1b" not in res.stderr + res.stdout

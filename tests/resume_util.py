"""Helpers for the kill-and-resume tests (tests/test_resume_*.py).

``kill_part_way`` starts ``python -m spacy_xproj ...`` as a subprocess (cwd = the repository root,
so the checkout's package is the one run), waits until the output file holds at least
``min_lines`` complete records, and SIGKILLs it — the way a preempted GPU job or an OOM kill ends.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

REPO = Path(__file__).resolve().parents[1]


def cli_env() -> Dict[str, str]:
    env = dict(os.environ)
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        TOKENIZERS_PARALLELISM="false",
        PYTHONUNBUFFERED="1",
    )
    return env


def xproj(args: Sequence[str], timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``python -m spacy_xproj ARGS`` to completion; returns the completed process."""
    return subprocess.run(
        [sys.executable, "-m", "spacy_xproj", *args], cwd=REPO, env=cli_env(),
        capture_output=True, text=True, timeout=timeout,
    )


def complete_lines(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open("rb") as fh:
        return fh.read().count(b"\n")


def kill_part_way(args: Sequence[str], out: Path, min_lines: int, timeout: float = 300) -> Tuple[int, str]:
    """Start the command, SIGKILL it once ``out`` has ``min_lines`` complete lines.

    Returns ``(lines in the output at the moment of the kill, stderr so far)``. Fails when the
    command finished (or died) before it could be killed: the test would then prove nothing.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "spacy_xproj", *args], cwd=REPO, env=cli_env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + timeout
    try:
        while complete_lines(out) < min_lines:
            if proc.poll() is not None:
                _, err = proc.communicate()
                raise AssertionError(f"the command ended (rc={proc.returncode}) before it could be killed:\n{err[-3000:]}")
            if time.monotonic() > deadline:
                raise AssertionError("the command wrote too little output before the timeout")
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL, f"not killed (rc={proc.returncode})"
    return complete_lines(out), err


def ids_of(path: Path) -> List[str]:
    with path.open(encoding="utf8") as fh:
        return [json.loads(line)["id"] for line in fh]


def summary_counts(stdout: str) -> Dict[str, int]:
    """Parse ``RunSummary.format()``: ``cmd: N in, N out; N skipped (already done); N cached; ...``."""
    import re

    line = next(l for l in stdout.splitlines()[::-1] if " in, " in l and " out" in l)
    m = re.search(r"(\d+) in, (\d+) out; (\d+) skipped[^;]*; (\d+) cached", line)
    assert m, line
    return dict(zip(("in", "out", "skipped", "cached"), map(int, m.groups())))

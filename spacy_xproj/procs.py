"""Child processes and scratch folders that do not outlive their run.

* :func:`user_cache_dir` — the per-user cache folder (``$XPROJ_CACHE_DIR``, else
  ``$XDG_CACHE_HOME/spacy-xproj``, else ``~/.cache/spacy-xproj``; a private folder under the system
  temp folder when none of these can be written).
* :func:`scratch_dir` — a private scratch folder ``<cache>/runs/<prefix>-<pid>-<random>`` removed
  when the block ends (also on errors, Ctrl-C and SIGTERM, which the CLI turns into an exception).
  A folder left by a run that was SIGKILLed (its pid no longer runs) is removed by the next run
  that makes a scratch folder.
* :func:`run_child` — runs a program whose process is killed with its parent: on Linux it asks the
  kernel (``prctl(PR_SET_PDEATHSIG, SIGKILL)``) to kill the child when the parent dies, even by
  SIGKILL; on any exception in the parent (including SIGTERM) the child is killed and reaped.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence

_RUN_NAME = re.compile(r"^(?P<prefix>[A-Za-z0-9_.]+)-(?P<pid>\d+)-[A-Za-z0-9_]+$")
_PR_SET_PDEATHSIG = 1


def user_cache_dir() -> Path:
    """The per-user cache folder (created, mode 0700)."""
    candidates: List[Path] = []
    if os.environ.get("XPROJ_CACHE_DIR"):
        candidates.append(Path(os.environ["XPROJ_CACHE_DIR"]))
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        candidates.append(Path(base) / "spacy-xproj")
        uid = os.getuid() if hasattr(os, "getuid") else "user"
        candidates.append(Path(tempfile.gettempdir()) / f"spacy-xproj-{uid}")
    last: Optional[OSError] = None
    for path in candidates:
        try:
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
            if os.access(path, os.W_OK | os.X_OK):
                return path
        except OSError as err:
            last = err
    from .errors import ConfigError

    raise ConfigError(
        f"no writable cache folder ({', '.join(map(str, candidates))}: {last}); set XPROJ_CACHE_DIR "
        "to a folder you can write"
    )


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def sweep_stale(folder: Path) -> int:
    """Remove scratch folders in ``folder`` whose process no longer runs; return how many."""
    removed = 0
    if not folder.is_dir():
        return 0
    for entry in folder.iterdir():
        m = _RUN_NAME.match(entry.name)
        if m and entry.is_dir() and not entry.is_symlink() and not _alive(int(m.group("pid"))):
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    return removed


@contextlib.contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A private scratch folder for one step, removed afterwards (see the module docs)."""
    runs = user_cache_dir() / "runs"
    runs.mkdir(parents=True, exist_ok=True, mode=0o700)
    sweep_stale(runs)
    path = Path(tempfile.mkdtemp(prefix=f"{prefix}-{os.getpid()}-", dir=runs))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _die_with_parent(parent: int) -> None:  # pragma: no cover - runs in the child
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except Exception:
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def run_child(args: Sequence[str], cwd: Optional[str] = None, env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    """Run ``args`` to completion (stdout/stderr captured); the child never outlives this process."""
    parent = os.getpid()
    preexec = (lambda: _die_with_parent(parent)) if sys.platform.startswith("linux") else None
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=preexec)
    try:
        out, err = proc.communicate()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return subprocess.CompletedProcess(list(args), proc.returncode, out, err)

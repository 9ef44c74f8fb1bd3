"""Progress reporting that suits where the output goes.

On a terminal, long commands show a tqdm bar. When stderr is not a terminal (a log file, a pipe,
``spacy project run`` capturing the output, CI), a bar would fill the log with carriage-return
fragments, so plain lines are printed instead, at most one per ``XPROJ_PROGRESS_INTERVAL`` seconds
(default 30), e.g. ``align: 12000 pairs (85.3/s)``. ``XPROJ_PROGRESS`` forces a mode: ``bar``,
``lines`` or ``off`` (``auto``, the default, chooses by the terminal).
"""
from __future__ import annotations

import os
import sys
import time
from typing import IO, Optional

MODE_ENV = "XPROJ_PROGRESS"
INTERVAL_ENV = "XPROJ_PROGRESS_INTERVAL"
MODES = ("auto", "bar", "lines", "off")


class Progress:
    """Counts finished items; subclasses decide how (and whether) to show them."""

    def __init__(self, desc: str, unit: str, initial: int = 0) -> None:
        self.desc, self.unit, self.n = desc, unit, initial

    def update(self, n: int = 1) -> None:
        self.n += n

    def close(self) -> None:
        pass

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Bar(Progress):
    def __init__(self, desc: str, unit: str, initial: int, total: Optional[int], stream: IO[str]) -> None:
        super().__init__(desc, unit, initial)
        from tqdm import tqdm

        self._bar = tqdm(desc=desc, unit=unit, initial=initial, total=total, file=stream, leave=False)

    def update(self, n: int = 1) -> None:
        super().update(n)
        self._bar.update(n)

    def close(self) -> None:
        self._bar.close()


class _Lines(Progress):
    def __init__(self, desc: str, unit: str, initial: int, total: Optional[int], stream: IO[str], interval: float) -> None:
        super().__init__(desc, unit, initial)
        self.total, self.stream, self.interval = total, stream, interval
        self._start = self._last = time.monotonic()
        self._initial = initial

    def update(self, n: int = 1) -> None:
        super().update(n)
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            rate = (self.n - self._initial) / max(now - self._start, 1e-9)
            of = f"/{self.total}" if self.total else ""
            self.stream.write(f"{self.desc}: {self.n}{of} {self.unit}s ({rate:.1f}/s)\n")
            self.stream.flush()


def progress_mode(stream: Optional[IO[str]] = None) -> str:
    """The mode in effect for ``stream`` (default stderr): ``bar``, ``lines`` or ``off``."""
    mode = os.environ.get(MODE_ENV, "auto").strip().lower() or "auto"
    if mode not in MODES:
        mode = "auto"
    if mode == "auto":
        stream = stream if stream is not None else sys.stderr
        isatty = getattr(stream, "isatty", None)
        mode = "bar" if isatty is not None and isatty() else "lines"
    return mode


def progress(
    desc: str,
    *,
    unit: str = "pair",
    initial: int = 0,
    total: Optional[int] = None,
    enabled: bool = True,
    stream: Optional[IO[str]] = None,
) -> Progress:
    """A progress reporter for ``desc``: a bar on a terminal, periodic lines otherwise, nothing when
    ``enabled`` is false or ``XPROJ_PROGRESS=off`` (see the module doc). Call ``update(n)`` and ``close()``."""
    stream = stream if stream is not None else sys.stderr
    mode = progress_mode(stream) if enabled else "off"
    if mode == "bar":
        try:
            return _Bar(desc, unit, initial, total, stream)
        except ImportError:  # tqdm is a dependency; fall back to lines anyway
            mode = "lines"
    if mode == "lines":
        try:
            interval = float(os.environ.get(INTERVAL_ENV, "30"))
        except ValueError:
            interval = 30.0
        return _Lines(desc, unit, initial, total, stream, interval)
    return Progress(desc, unit, initial)

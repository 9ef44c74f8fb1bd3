"""Errors with a location. Bad input must say *what* and *where*; never a bare traceback."""
from __future__ import annotations

from typing import Any, Optional, Union
from pathlib import Path


class XprojError(ValueError):
    """Base class for user-facing errors of spacy-xproj."""


class InputError(XprojError):
    """Malformed input data: names the source (file), the line or record, and the problem."""

    def __init__(
        self,
        problem: str,
        source: Optional[Union[str, Path]] = None,
        line: Optional[int] = None,
        record: Optional[str] = None,
    ) -> None:
        where = []
        if source is not None:
            where.append(str(source))
        if line is not None:
            where.append(f"line {line}")
        if record is not None:
            where.append(f"record {record!r}")
        self.problem = problem
        self.source = source
        self.line = line
        self.record = record
        super().__init__(f"{': '.join([', '.join(where)]) + ': ' if where else ''}{problem}")

    def __reduce__(self) -> Any:
        # Pickled whole (not just the message), so an error raised on a worker process keeps
        # its file, line and record when the driver re-raises it.
        return (type(self), (self.problem, self.source, self.line, self.record))


class ConfigError(XprojError):
    """A configuration problem that is detected before any work starts; the message says the fix."""


class MissingExtraError(ImportError):
    """An optional dependency is missing; the message names the extra to install."""

    def __init__(self, package: str, extra: str, feature: str) -> None:
        super().__init__(
            f"{feature} needs the '{package}' package. Install it with: "
            f"pip install 'spacy-xproj[{extra}]'"
        )


class RunWarning(UserWarning):
    """A warning that long commands count in their run summary under ``kind`` (and show once)."""

    kind = "warning"


class LongSentenceWarning(RunWarning):
    """A sentence side was too long for the aligner and was aligned in pieces."""

    kind = "long_sentence_split"

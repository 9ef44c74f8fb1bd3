"""Pair JSONL: one pair per line, streamed, append-only, resumable by id.

A run that is killed part way leaves at most one incomplete last line; ``repair_tail`` cuts it off
before a resumed run appends, so the finished file is byte-identical to an uninterrupted run.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Iterable, Iterator, List, Optional, Set, Union

from ..atomic import atomic_open
from ..errors import InputError
from ..types import Pair

PathLike = Union[str, Path]


def dumps_pair(pair: Pair) -> str:
    """Serialise one pair to a single JSON line (no trailing newline); stable key order."""
    return json.dumps(pair.to_json(), ensure_ascii=False, separators=(",", ":"))


def read_pairs(path: PathLike, validate: bool = True) -> Iterator[Pair]:
    """Stream pairs from a JSONL file. Errors name the file, the line and the problem.

    Blank lines are not allowed (they would hide lost records); duplicate ids are an error.
    """
    path = Path(path)
    seen: Set[str] = set()
    with path.open("r", encoding="utf8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                raise InputError("empty line (every line must be one pair record)", path, lineno)
            try:
                value = json.loads(line)
            except json.JSONDecodeError as err:
                raise InputError(f"invalid JSON: {err.msg} (column {err.colno})", path, lineno) from None
            try:
                pair = Pair.from_json(value)
            except (ValueError, KeyError, TypeError) as err:
                rid = value.get("id") if isinstance(value, dict) else None
                raise InputError(str(err), path, lineno, rid) from None
            if pair.id in seen:
                raise InputError(f"duplicate id {pair.id!r}", path, lineno)
            seen.add(pair.id)
            if validate:
                try:
                    pair.validate()
                except InputError as err:
                    raise InputError(err.problem, path, lineno, pair.id) from None
            yield pair


def write_pairs(path: PathLike, pairs: Iterable[Pair]) -> int:
    """Write a complete pair file atomically (temp file + rename). Returns the count written."""
    n = 0
    with atomic_open(path, "w") as fh:  # a failed write leaves neither output nor temp file
        for pair in pairs:
            fh.write(dumps_pair(pair) + "\n")
            n += 1
    return n


def repair_tail(path: PathLike) -> int:
    """Cut an incomplete last line (left by a killed run) off ``path``; return bytes removed."""
    path = Path(path)
    if not path.exists():
        return 0
    size = path.stat().st_size
    if size == 0:
        return 0
    with path.open("rb+") as fh:
        fh.seek(-1, os.SEEK_END)
        if fh.read(1) == b"\n":
            return 0
        # Walk back to the last newline.
        pos = size - 1
        chunk = 1 << 16
        while pos > 0:
            start = max(0, pos - chunk)
            fh.seek(start)
            data = fh.read(pos - start)
            idx = data.rfind(b"\n")
            if idx >= 0:
                keep = start + idx + 1
                fh.truncate(keep)
                return size - keep
            pos = start
        fh.truncate(0)
        return size


def finished_ids(path: PathLike) -> List[str]:
    """Ids already written to an output file, in order (after repairing a cut-off last line)."""
    path = Path(path)
    if not path.exists():
        return []
    repair_tail(path)
    ids: List[str] = []
    with path.open("r", encoding="utf8") as fh:
        for lineno, line in enumerate(fh, start=1):
            try:
                ids.append(str(json.loads(line)["id"]))
            except (json.JSONDecodeError, KeyError, TypeError):
                raise InputError(
                    "cannot resume: this line of the existing output is not a pair record "
                    "(delete the output to start over)",
                    path,
                    lineno,
                ) from None
    return ids


class PairAppender:
    """Append pairs to a JSONL file, flushing and syncing after each batch."""

    def __init__(self, path: PathLike) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: Optional[IO[str]] = None

    def __enter__(self) -> "PairAppender":
        self._fh = self.path.open("a", encoding="utf8")
        return self

    def write(self, pairs: Iterable[Pair]) -> int:
        assert self._fh is not None, "use PairAppender as a context manager"
        n = 0
        for pair in pairs:
            self._fh.write(dumps_pair(pair) + "\n")
            n += 1
        self._fh.flush()
        os.fsync(self._fh.fileno())
        return n

    def __exit__(self, *exc: object) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

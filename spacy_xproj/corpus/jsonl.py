"""Pair JSONL: one pair per line, streamed, append-only, resumable by id.

Long commands append whole batches (:class:`PairAppender`) and record how many bytes are committed
(see :mod:`spacy_xproj.runner`); a resumed run cuts off anything past that, so the finished file is
byte-identical to an uninterrupted run. Output is strict JSON (no ``NaN``/``Infinity``).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable, Iterator, List, Optional, Set, Union

from ..atomic import atomic_open
from ..textio import iter_lines, parse_json_line
from ..errors import InputError
from ..types import Pair

PathLike = Union[str, Path]


def dumps_pair(pair: Pair) -> str:
    """Serialise one pair to a single JSON line (no trailing newline); stable key order.

    Strict JSON: a NaN or infinite number (a score, a probability) is an :class:`InputError`
    naming the record, never written as the non-JSON ``NaN``/``Infinity``.
    """
    try:
        return json.dumps(pair.to_json(), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:
        raise InputError(
            "the record holds a NaN or infinite number, which JSON cannot represent (check the scores "
            "or probabilities that produced it)", record=pair.id,
        ) from None


def read_pairs(path: PathLike, validate: bool = True) -> Iterator[Pair]:
    """Stream pairs from a JSONL file. Errors name the file, the line and the problem.

    Blank lines are not allowed (they would hide lost records); duplicate ids are an error; so are
    invalid UTF-8, ``NaN``/``Infinity`` (not JSON), a missing file or a folder.
    """
    path = Path(path)
    seen: Set[str] = set()
    for lineno, line in iter_lines(path):
        pair = parse_pair_line(line, path, lineno)
        if pair.id in seen:
            raise InputError(f"duplicate id {pair.id!r}", path, lineno)
        seen.add(pair.id)
        if validate:
            validate_pair(pair, path, lineno)
        yield pair


def parse_pair_line(line: str, path: PathLike, lineno: int) -> Pair:
    """One line of a pair file as a :class:`Pair`, not yet validated (:func:`read_pairs` checks
    duplicate ids, then :func:`validate_pair`). Errors name the file, the line and the problem."""
    value = parse_json_line(line, path, lineno, "one pair record")
    try:
        pair = Pair.from_json(value)
    except (ValueError, KeyError, TypeError) as err:
        rid = value.get("id") if isinstance(value, dict) else None
        raise InputError(str(err), path, lineno, rid) from None
    return pair


def validate_pair(pair: Pair, path: PathLike, lineno: int) -> None:
    """:meth:`Pair.validate`, with the error naming the file and the line."""
    try:
        pair.validate()
    except InputError as err:
        raise InputError(err.problem, path, lineno, pair.id) from None


def encode_pairs(pairs: Iterable[Pair]) -> bytes:
    """A batch of pairs as the bytes of their JSONL lines (what :class:`PairAppender` writes)."""
    return "".join(dumps_pair(pair) + "\n" for pair in pairs).encode("utf8")


def write_pairs(path: PathLike, pairs: Iterable[Pair]) -> int:
    """Write a complete pair file atomically (temp file + rename). Returns the count written."""
    n = 0
    with atomic_open(path, "w") as fh:  # a failed write leaves neither output nor temp file
        for pair in pairs:
            fh.write(dumps_pair(pair) + "\n")
            n += 1
    return n


def write_text(path: PathLike, pairs: Iterable[Pair], side: str = "tgt") -> int:
    """Write the ``side`` of every pair as raw text, ``{"text": words joined by spaces}`` per line,
    atomically: the input of ``spacy pretrain`` (``spacy.JsonlCorpus.v1``). Returns the count
    written, one line per pair; a pair without words gives ``{"text": ""}`` (spaCy's reader skips
    texts shorter than its ``min_length``, 5 words in configs/cnn.cfg)."""
    if side not in ("src", "tgt"):
        raise ValueError(f"side must be 'src' or 'tgt', got {side!r}")
    n = 0
    with atomic_open(path, "w") as fh:
        for pair in pairs:
            words = getattr(pair, side).words
            fh.write(json.dumps({"text": " ".join(words)}, ensure_ascii=False) + "\n")
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
    """Append whole batches of pairs to a JSONL file: one ``write`` per batch, then ``fsync``.

    :meth:`write` returns the file size after the batch, which the caller records as committed
    (see :mod:`spacy_xproj.runner`): bytes past the last committed size are a torn batch.
    """

    def __init__(self, path: PathLike) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd: Optional[int] = None

    def __enter__(self) -> "PairAppender":
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        self._fd = os.open(self.path, flags, 0o666)
        return self

    def write(self, pairs: Iterable[Pair]) -> int:
        """Write the batch; return the file size after it (bytes)."""
        return self.write_bytes(encode_pairs(pairs))

    def write_bytes(self, data: bytes) -> int:
        """Write a batch already encoded by :func:`encode_pairs`; return the file size after it."""
        assert self._fd is not None, "use PairAppender as a context manager"
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        os.fsync(self._fd)
        return os.fstat(self._fd).st_size

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

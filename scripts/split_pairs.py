"""Split (or cut) a pair JSONL file into consecutive parts, line by line, without re-encoding.

Project helper (no `xproj` command splits files):

    python scripts/split_pairs.py IN.jsonl --limit 0 --part train.jsonl:500 --part dev.jsonl:100 --part test.jsonl:rest

`--limit N` keeps only the first N records first (0 = all). Parts are taken in order; a size of
`rest` takes every remaining record (only the last part may say so), and a size of `auto` takes a
third of the records, at most 500 (the `parallel` dev set: 500 sentences choose a checkpoint
reliably, and a language with little parallel text keeps two thirds of it for training instead of
failing for want of 500 sentences). Records are copied verbatim
(ids, order and content unchanged); each output is written atomically. Asking for more records than
the file has is an error, so a part is never silently short.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import List, Optional, Tuple, Union

AUTO_MAX = 500  # `auto`: at most this many records ...
AUTO_SHARE = 3  # ... and at most a third of them

Size = Union[int, str, None]  # a number, "auto", or None for `rest`


def parse_part(spec: str) -> Tuple[Path, Size]:
    path, sep, size = spec.rpartition(":")
    if not sep or not path:
        raise argparse.ArgumentTypeError(f"part must be PATH:SIZE, PATH:auto or PATH:rest, got {spec!r}")
    if size == "rest":
        return Path(path), None
    if size == "auto":
        return Path(path), size
    if not size.isdigit():
        raise argparse.ArgumentTypeError(f"part size must be a number, 'auto' or 'rest', got {size!r}")
    return Path(path), int(size)


def auto_size(n_records: int) -> int:
    """The size of an ``auto`` part: a third of ``n_records``, at most :data:`AUTO_MAX`."""
    return min(AUTO_MAX, n_records // AUTO_SHARE)


def resolve_size(size: Size, n_records: int) -> Optional[int]:
    """A part's number of records (None: the rest)."""
    if size == "auto":
        return auto_size(n_records)
    return None if size is None else int(size)


def write_atomic(path: Path, lines: List[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf8") as fh:
        fh.writelines(lines)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def split(src: Path, parts: List[Tuple[Path, Size]], limit: int = 0) -> List[int]:
    lines = [line if line.endswith("\n") else line + "\n"
             for line in src.read_text(encoding="utf8").splitlines() if line.strip()]
    if limit:
        lines = lines[:limit]
    if any(size is None for _, size in parts[:-1]):
        raise SystemExit("error: only the last part may be 'rest'")
    has_auto = any(size == "auto" for _, size in parts)
    if has_auto and auto_size(len(lines)) == 0:
        raise SystemExit(f"error: {src}: {len(lines)} records are too few to hold a third of them out"
                         " (at least 3 are needed)")
    sizes = [resolve_size(size, len(lines)) for _, size in parts]
    fixed = sum(size for size in sizes if size is not None)
    if fixed > len(lines):
        hint = "" if has_auto else " (the size 'auto' takes a third of them, at most 500)"
        raise SystemExit(f"error: {src}: the parts need {fixed} records but only {len(lines)} are available{hint}")
    counts, start = [], 0
    for (path, _), size in zip(parts, sizes):
        end = len(lines) if size is None else start + size
        write_atomic(path, lines[start:end])
        counts.append(end - start)
        start = end
    return counts


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("src", type=Path)
    parser.add_argument("--part", dest="parts", type=parse_part, action="append", required=True)
    parser.add_argument("--limit", type=int, default=0, help="keep only the first N records (0 = all)")
    args = parser.parse_args(argv)
    counts = split(args.src, args.parts, args.limit)
    for (path, _), n in zip(args.parts, counts):
        print(f"{path}: {n} records")


if __name__ == "__main__":
    main(sys.argv[1:])

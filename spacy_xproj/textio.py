"""Reading text inputs line by line with errors that name the file and the line.

:func:`iter_lines` opens a plain or gzipped (``.gz``) UTF-8 file and yields ``(line_number, text)``.
Every operating-system, decoding and compression problem becomes an
:class:`~spacy_xproj.errors.InputError` naming the file (and the line where known) and the fix:
a missing file, a folder, invalid UTF-8, a truncated or fake ``.gz`` file, a file that cannot be
read. :func:`strict_json_loads` parses one JSON value and refuses ``NaN``/``Infinity`` (not JSON)
and values nested deeper than Python can parse.
"""
from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from typing import Any, Iterator, Tuple, Union

from .errors import InputError

PathLike = Union[str, Path]


def check_input_file(path: PathLike) -> Path:
    """``path`` as a Path, or an InputError when it is missing or a folder."""
    path = Path(path)
    if not path.exists():
        raise InputError("input file not found (check the path)", path)
    if path.is_dir():
        raise InputError("the input is a folder; give a file", path)
    return path


def iter_lines(path: PathLike) -> Iterator[Tuple[int, str]]:
    """Yield ``(line_number, line)`` (1-based, newline kept) from a UTF-8 file, gzipped if ``.gz``."""
    path = check_input_file(path)
    for lineno, raw in iter_raw_lines(path):
        yield lineno, decode_line(raw, path, lineno)


def decode_line(raw: bytes, path: PathLike, lineno: int) -> str:
    """One line's bytes as text; invalid UTF-8 is an InputError naming the file and the line."""
    try:
        return raw.decode("utf8")
    except UnicodeDecodeError as err:
        raise InputError(
            f"not valid UTF-8 at byte {err.start} of the line (convert the file to UTF-8)",
            path, lineno,
        ) from None


def iter_raw_lines(path: PathLike) -> Iterator[Tuple[int, bytes]]:
    """Yield ``(line_number, bytes)`` (1-based, newline kept, not decoded), gunzipped if ``.gz``.

    :func:`iter_lines` decodes these with :func:`decode_line`; an engine that parses on its workers
    reads raw lines here and decodes them there, with the same errors.
    """
    path = check_input_file(path)
    lineno = 0
    try:
        raw_fh = gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")
        with raw_fh as fh:
            for lineno, raw in enumerate(fh, start=1):
                yield lineno, raw
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise InputError(
            f"the compressed file is damaged or truncated after line {lineno} ({err}); download or "
            "compress it again", path,
        ) from None
    except OSError as err:
        if isinstance(err, InputError):  # pragma: no cover - InputError is not an OSError
            raise
        raise InputError(f"cannot read the file: {err.strerror or err}", path, lineno or None) from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number (use a finite number or null)")


def strict_json_loads(text: str) -> Any:
    """``json.loads`` that refuses NaN/Infinity and over-deep nesting (``ValueError``)."""
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError("the JSON value is nested too deeply") from None


def parse_json_line(line: str, path: PathLike, lineno: int, what: str) -> Any:
    """One JSON record per line: the parsed value, or an :class:`InputError` naming the file and the
    line (an empty line, invalid JSON, NaN/Infinity, over-deep nesting). ``what`` names a record
    in the empty-line message (e.g. "one pair record")."""
    if not line.strip():
        raise InputError(f"empty line (every line must be {what})", path, lineno)
    try:
        return strict_json_loads(line)
    except json.JSONDecodeError as err:
        raise InputError(f"invalid JSON: {err.msg} (column {err.colno})", path, lineno) from None
    except ValueError as err:
        raise InputError(f"invalid JSON: {err}", path, lineno) from None

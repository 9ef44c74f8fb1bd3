"""The one loop behind every long command (translate, label, align, project).

``run_pairs`` streams an input pair file, processes it in batches in input order and appends each
finished batch whole, shows a progress bar, and returns a ``RunSummary`` that the CLI prints.

Resuming. Batch ``k`` is always records ``k*B .. (k+1)*B-1`` of the input (``B`` = batch size), so
a batch's content depends on the input alone. Each batch is written with one ``write`` and synced,
and only then recorded as committed in the run record ``OUT.run.json`` beside the output (records
and bytes committed, plus the command, its settings and the input's SHA-256). A rerun truncates
anything past the committed bytes (a batch torn by a kill) and continues with the next batch, so a
run killed at any moment and rerun produces exactly the bytes of an uninterrupted run — for every
step, including corpus-level aligners whose output depends on which pairs share a batch. A rerun
with other settings or another input is refused with the difference and ``--overwrite``.

One writer per output: the run holds ``OUT.lock`` (see :class:`spacy_xproj.atomic.OutputLock`).

Who does what. The runner reads the input as raw lines and hands the engine one :class:`Chunk`
(the raw lines of one batch) at a time; :class:`BatchStep`, run by the engine (in this process, or
on a Ray actor), parses and validates the lines, runs the step, checks that it returned one record
per input with the same ids, and serialises the output lines. The runner then checks the ids for
duplicates across the whole input, raises the batch's error if it had one (so errors come in input
order, after every earlier batch was committed), appends the bytes and commits them.
"""
from __future__ import annotations

import enum
import hashlib
import itertools
import json
import math
import os
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, Union

from .atomic import OutputLock, refuse_same_file
from .corpus.jsonl import PairAppender
from .errors import ConfigError, InputError, RunWarning
from .textio import check_input_file
from .progress import progress as progress_bar
from .types import Pair

BatchFn = Callable[[List[Pair]], List[Pair]]
RECORD_FORMAT = "spacy-xproj.run.v1"
# Command-line parameters that do not change the records written (or that change as the run goes).
# Settings that do not change the output bytes (how and where it runs) are not recorded, so a run
# may resume with another engine or worker count.
NOT_SETTINGS = {"in_path", "out_path", "progress", "overwrite", "restart_on_change", "cache",
                "engine", "ray_address", "workers", "gpus_per_worker"}


@dataclass
class RunSummary:
    """Counts of a run; ``warnings`` maps a warning kind to how often it happened."""

    command: str
    records_in: int = 0
    records_out: int = 0
    skipped: int = 0  # already in the output from an earlier run (resume)
    cached: int = 0  # served from a cache instead of recomputed
    warnings: Dict[str, int] = field(default_factory=dict)

    def warn(self, kind: str, n: int = 1) -> None:
        self.warnings[kind] = self.warnings.get(kind, 0) + n

    def as_dict(self) -> Dict[str, object]:
        return {
            "command": self.command,
            "records_in": self.records_in,
            "records_out": self.records_out,
            "skipped": self.skipped,
            "cached": self.cached,
            "warnings": dict(self.warnings),
        }

    def format(self) -> str:
        parts = [
            f"{self.command}: {self.records_in} in, {self.records_out} out",
            f"{self.skipped} skipped (already done)",
            f"{self.cached} cached",
        ]
        if self.warnings:
            parts.append("warnings: " + ", ".join(f"{k}={v}" for k, v in sorted(self.warnings.items())))
        else:
            parts.append("no warnings")
        return "; ".join(parts)


def record_path_for(out_path: Union[str, Path]) -> Path:
    """The run record beside an output: ``OUT.run.json``."""
    out_path = Path(out_path)
    return out_path.with_name(out_path.name + ".run.json")


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _describe(value: Any) -> Any:
    """A JSON-able description of a setting; files by content, folders by names, sizes, mtimes."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return [_describe(v) for v in value]
    if isinstance(value, (Path, str)) and str(value) and os.path.exists(value):
        path = Path(value)
        if path.is_file():
            return {"path": str(value), "sha256": _sha256_file(path)}
        if path.is_dir():
            digest = hashlib.sha256()
            for f in sorted(p for p in path.rglob("*") if p.is_file()):
                st = f.stat()
                digest.update(f"{f.relative_to(path)}\t{st.st_size}\t{st.st_mtime_ns}\n".encode("utf8"))
            return {"path": str(value), "files": digest.hexdigest()}
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def cli_settings() -> Tuple[Optional[Dict[str, Any]], bool, bool]:
    """The current ``xproj`` command's settings (its parameters), its ``--overwrite`` and its
    ``--restart-on-change`` flags."""
    try:  # typer >= 0.23 vendors its own click
        from typer._click.globals import get_current_context
    except ImportError:  # pragma: no cover - older typer uses click itself
        try:
            from click import get_current_context
        except ImportError:
            return None, False, False
    ctx = get_current_context(silent=True)
    if ctx is None:
        return None, False, False
    settings = {k: _describe(v) for k, v in sorted(ctx.params.items()) if k not in NOT_SETTINGS}
    return settings, bool(ctx.params.get("overwrite", False)), bool(ctx.params.get("restart_on_change", False))


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def _difference(old: Dict[str, Any], new: Dict[str, Any]) -> Optional[str]:
    """A short description of what differs between two run identities, or None."""
    if old.get("command") != new.get("command"):
        return f"it was written by `xproj {old.get('command')}`, not `xproj {new.get('command')}`"
    if old.get("input") != new.get("input"):
        return "the input file's content changed since it was written"
    if old.get("batch_size") != new.get("batch_size"):
        return f"batch size {old.get('batch_size')} then, {new.get('batch_size')} now"
    a, b = old.get("settings") or {}, new.get("settings") or {}
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            def show(v: Any) -> str:
                if isinstance(v, dict) and "path" in v:
                    return f"{v['path']} (content {'/'.join(k for k in v if k != 'path')} {str(v.get('sha256') or v.get('files'))[:12]})"
                return json.dumps(v)
            return f"{_option(key)} was {show(a.get(key))}, now {show(b.get(key))}"
    return None


def _read_record(path: Path) -> Optional[Dict[str, Any]]:
    if not path.exists():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf8"))
    except (ValueError, UnicodeDecodeError, OSError):
        record = None
    if not isinstance(record, dict) or record.get("format") != RECORD_FORMAT:
        raise InputError("the run record is damaged; rerun with --overwrite to start afresh", path)
    return record


def _resume_point(out_path: Path, record_path: Path, identity: Dict[str, Any], restart: bool = False) -> Tuple[int, int]:
    """``(records, bytes)`` committed by an earlier run of the same work; cuts a torn tail off."""
    if not out_path.exists():
        return 0, 0
    if out_path.is_dir():
        raise InputError("the output is a folder; give a file name", out_path)
    record = _read_record(record_path)
    size = out_path.stat().st_size
    if record is None:
        if size == 0:
            return 0, 0
        raise InputError(
            f"the output exists but has no run record ({record_path.name}), so it cannot be resumed "
            "safely; rerun with --overwrite to replace it", out_path,
        )
    diff = _difference(record.get("identity", {}), identity)
    if diff is not None and restart:
        sys.stderr.write(f"note: {out_path}: {diff}; starting afresh\n")
        out_path.unlink()
        record_path.unlink()
        return 0, 0
    if diff is not None:
        raise InputError(
            f"cannot resume: {diff}; rerun with --overwrite to start afresh (or write to another file)",
            out_path,
        )
    records, committed = int(record.get("records", 0)), int(record.get("bytes", 0))
    if size < committed:
        raise InputError(
            f"the output is shorter ({size} bytes) than its run record says ({committed}); it was "
            "changed by something else: rerun with --overwrite to start afresh", out_path,
        )
    if size > committed:  # a batch torn by a kill: not committed, redo it
        with out_path.open("rb+") as fh:
            fh.truncate(committed)
            fh.flush()
            os.fsync(fh.fileno())
    return records, committed


def _write_record(path: Path, identity: Dict[str, Any], records: int, size: int, complete: bool) -> None:
    record = {"format": RECORD_FORMAT, "records": records, "bytes": size, "complete": complete,
              "identity": identity}
    with open_record(path) as fh:
        fh.write(json.dumps(record, indent=1, sort_keys=True) + "\n")


def open_record(path: Path):
    from .atomic import atomic_open

    return atomic_open(path, "w", lock=False)  # the output's lock covers its record


def run_pairs(
    in_path: Union[str, Path],
    out_path: Union[str, Path],
    process: BatchFn,
    *,
    command: str,
    batch_size: int = 32,
    summary: Optional[RunSummary] = None,
    progress: bool = True,
    settings: Optional[Dict[str, Any]] = None,
    overwrite: Optional[bool] = None,
    restart_on_change: Optional[bool] = None,
    engine: Optional[Any] = None,
) -> RunSummary:
    """Process ``in_path`` into ``out_path`` batch by batch, resuming where an earlier run stopped.

    ``process`` receives a batch of pairs and must return exactly one pair per input pair with the
    same ids in the same order; anything else is an error (nothing is dropped silently).
    ``settings`` (default: the parameters of the running ``xproj`` command) are recorded with the
    output; a rerun with other settings or another input is refused unless ``overwrite``
    (default: the command's ``--overwrite``), which starts afresh; ``restart_on_change`` (default:
    the command's ``--restart-on-change``) resumes an output of the same work and starts afresh
    otherwise.
    ``engine`` (``spacy_xproj.engine``; default: the local engine) maps the batches to their
    results in input order, in this process or on Ray actors; the writing stays here.
    """
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(f"the batch size must be a positive whole number, got {batch_size!r} (e.g. --batch-size 32)")
    in_path, out_path = check_input_file(in_path), Path(out_path)
    refuse_same_file(out_path, in_path)
    if out_path.is_dir():
        raise InputError("the output is a folder; give a file name", out_path)
    ctx_settings, ctx_overwrite, ctx_restart = cli_settings()
    settings = settings if settings is not None else (ctx_settings or {})
    overwrite = ctx_overwrite if overwrite is None else overwrite
    restart_on_change = ctx_restart if restart_on_change is None else restart_on_change
    summary = summary or RunSummary(command)
    record_path = record_path_for(out_path)
    refuse_same_file(record_path, in_path)

    with OutputLock(out_path):
        if overwrite:
            for p in (out_path, record_path):
                if p.exists() and not p.is_dir():
                    p.unlink()
        identity = {
            "command": command,
            "batch_size": batch_size,
            "input": {"sha256": _sha256_file(in_path), "bytes": in_path.stat().st_size},
            "settings": settings,
        }
        committed, committed_bytes = _resume_point(out_path, record_path, identity, bool(restart_on_change))
        return _run(in_path, out_path, record_path, process, identity, committed, committed_bytes,
                    command, batch_size, summary, progress, engine)


@dataclass
class Chunk:
    """One batch of the input as it is read: raw lines (bytes, newline kept), not yet parsed.

    The runner hands these to the engine, so the process that writes does not parse: parsing,
    the step and serialising the output all happen in :class:`BatchStep`, wherever the engine runs
    it (here for the local engine, on a worker for Ray).
    """

    start: int  # line number (1-based) of the first line
    lines: List[bytes]

    def __len__(self) -> int:
        return len(self.lines)


@dataclass
class ChunkResult:
    """What :class:`BatchStep` returns for a chunk: the output lines, ready to append.

    ``ids`` are the ids of the input records parsed, in order (the writer checks them for
    duplicates across the whole input); ``error`` is the first error of the chunk, raised by the
    writer in input order after that check, so a failing run commits exactly the batches before it.
    """

    data: bytes
    ids: List[str]
    records: int
    error: Optional[BaseException] = None


class BatchStep:
    """Parse a chunk, run the step on it (counting warnings), check it, serialise the output."""

    def __init__(self, process: BatchFn, summary: "RunSummary", source: Path, command: str) -> None:
        self.process = process
        self.summary = summary
        self.source = source
        self.command = command
        self.shown: set = set()

    def __call__(self, chunk: Chunk) -> ChunkResult:
        from .corpus.jsonl import encode_pairs, parse_pair_line, validate_pair
        from .textio import decode_line

        ids: List[str] = []
        batch: List[Pair] = []
        try:
            for offset, raw in enumerate(chunk.lines):
                lineno = chunk.start + offset
                pair = parse_pair_line(decode_line(raw, self.source, lineno), self.source, lineno)
                ids.append(pair.id)
                validate_pair(pair, self.source, lineno)
                batch.append(pair)
            result = _counting_warnings(self.process, batch, self.summary, self.shown)
            if [p.id for p in result] != ids:
                raise InputError(
                    f"{self.command}: the step returned ids {[p.id for p in result][:5]}... for input ids "
                    f"{ids[:5]}... (one output per input, same order, is required)"
                )
            return ChunkResult(encode_pairs(result), ids, len(result))
        except Exception as err:  # raised by the writer, in input order, after the duplicate check
            return ChunkResult(b"", ids, 0, err)


def _chunks(lines: Iterator[Tuple[int, bytes]], size: int, summary: RunSummary) -> Iterator[Chunk]:
    """Chunk ``k`` is lines ``k*size .. (k+1)*size-1`` of what is left: membership depends on the input alone."""
    chunk: Optional[Chunk] = None
    for lineno, raw in lines:
        summary.records_in += 1
        if chunk is None:
            chunk = Chunk(lineno, [])
        chunk.lines.append(raw)
        if len(chunk.lines) >= size:
            yield chunk
            chunk = None
    if chunk is not None:
        yield chunk


def _run(in_path: Path, out_path: Path, record_path: Path, process: BatchFn, identity: Dict[str, Any],
         committed: int, committed_bytes: int, command: str, batch_size: int, summary: RunSummary,
         progress: bool, engine: Optional[Any] = None) -> RunSummary:
    from .corpus.jsonl import parse_pair_line, validate_pair
    from .textio import decode_line, iter_raw_lines

    lines = iter_raw_lines(in_path)
    done_ids = _output_ids(out_path, committed)
    seen: set = set()
    # The records an earlier run committed: checked (as the reader checks them) but not redone.
    for lineno, raw in itertools.islice(lines, committed):
        summary.records_in += 1
        pair = parse_pair_line(decode_line(raw, in_path, lineno), in_path, lineno)
        if pair.id in seen:
            raise InputError(f"duplicate id {pair.id!r}", in_path, lineno)
        seen.add(pair.id)
        validate_pair(pair, in_path, lineno)
        if pair.id != done_ids[summary.skipped]:
            raise InputError(
                f"cannot resume: the existing output has id {done_ids[summary.skipped]!r} where the "
                f"input has {pair.id!r}; rerun with --overwrite to start afresh",
                out_path, summary.skipped + 1,
            )
        summary.skipped += 1
    if summary.skipped < committed:
        raise InputError(
            f"cannot resume: the existing output has {committed} records but the input only "
            f"{summary.records_in}; rerun with --overwrite to start afresh", out_path,
        )
    summary.records_out = summary.skipped

    bar = progress_bar(command, unit="pair", initial=summary.skipped, enabled=progress)
    # The output is opened only when the first batch is done, so a run that fails at its start
    # (a model that does not load, a bad first record) leaves no output file behind.
    created = not out_path.exists()
    out: Optional[PairAppender] = None
    mapped: Any = None
    try:
        if engine is None:
            from .engine import LocalEngine

            engine = LocalEngine()
        step = BatchStep(process, summary, in_path, command)
        mapped = engine.map(step, _chunks(lines, batch_size, summary), summary)
        for chunk, result in mapped:
            for offset, rid in enumerate(result.ids):
                if rid in seen:
                    raise InputError(f"duplicate id {rid!r}", in_path, chunk.start + offset)
                seen.add(rid)
            if result.error is not None:
                raise result.error
            if out is None:
                _write_record(record_path, identity, committed, committed_bytes, False)
                out = PairAppender(out_path).__enter__()
            committed_bytes = out.write_bytes(result.data)
            committed += result.records
            _write_record(record_path, identity, committed, committed_bytes, False)
            summary.records_out = committed
            if bar is not None:
                bar.update(len(chunk))
        if out is None:
            out_path.parent.mkdir(parents=True, exist_ok=True)
            out_path.touch()  # an empty input (or a finished run) gives an output file
        _write_record(record_path, identity, committed, committed_bytes, True)
    except BaseException:
        # Nothing half-written: cut the output back to the last committed batch (and remove it
        # and its record when this run created it and committed nothing).
        if out is not None:
            out.__exit__(None, None, None)
            out = None
        try:
            if created and committed == 0:
                for p in (out_path, record_path):
                    if p.exists():
                        p.unlink()
            elif out_path.exists() and out_path.stat().st_size > committed_bytes:
                os.truncate(out_path, committed_bytes)
        except OSError:
            pass  # the next run cuts the torn tail off anyway
        raise
    finally:
        if mapped is not None and hasattr(mapped, "close"):
            mapped.close()  # an engine stops its workers
        if out is not None:
            out.__exit__(None, None, None)
        if bar is not None:
            bar.close()
    return summary


def _counting_warnings(process: BatchFn, batch: List[Pair], summary: RunSummary, shown: set) -> List[Pair]:
    """Run the step; count each :class:`RunWarning` in the summary under its ``kind`` and show the
    first of each kind (so a long sentence aligned in pieces is never silent)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RunWarning)
        result = process(batch)
    for w in caught:
        if issubclass(w.category, RunWarning):
            kind = getattr(w.category, "kind", "warning")
            summary.warn(kind)
            if kind not in shown:
                shown.add(kind)
                sys.stderr.write(f"warning: {w.message}\n")
            continue
        warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    return result


def _output_ids(path: Path, n: int) -> List[str]:
    """The ids of the first ``n`` records of an output (checked against the input on resume)."""
    ids: List[str] = []
    if n == 0:
        return ids
    with path.open("rb") as fh:
        for lineno, line in enumerate(fh, start=1):
            if lineno > n:
                break
            try:
                ids.append(str(json.loads(line)["id"]))
            except (ValueError, KeyError, TypeError, UnicodeDecodeError):
                raise InputError(
                    "cannot resume: this line of the existing output is not a pair record; rerun "
                    "with --overwrite to start afresh", path, lineno,
                ) from None
    if len(ids) < n:
        raise InputError("cannot resume: the output has fewer records than its run record says; rerun "
                         "with --overwrite", path)
    return ids

"""The one loop behind every long command (translate, label, align, project).

``run_pairs`` streams an input pair file, skips the ids already in the output (resume), processes
the rest in batches in input order, appends each finished batch (flushed and synced), shows a
progress bar, and returns a ``RunSummary`` that the CLI prints. Because records are processed and
written in input order, an interrupted run followed by a rerun produces exactly the bytes of an
uninterrupted run.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Union

from .corpus.jsonl import PairAppender, finished_ids, read_pairs
from .errors import InputError
from .progress import progress as progress_bar
from .types import Pair

BatchFn = Callable[[List[Pair]], List[Pair]]


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


def _batches(items: Iterator[Pair], size: int) -> Iterator[List[Pair]]:
    batch: List[Pair] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def run_pairs(
    in_path: Union[str, Path],
    out_path: Union[str, Path],
    process: BatchFn,
    *,
    command: str,
    batch_size: int = 32,
    summary: Optional[RunSummary] = None,
    progress: bool = True,
) -> RunSummary:
    """Process ``in_path`` into ``out_path`` batch by batch, resuming where an earlier run stopped.

    ``process`` receives a batch of pairs and must return exactly one pair per input pair with the
    same ids in the same order; anything else is an error (nothing is dropped silently).
    """
    in_path, out_path = Path(in_path), Path(out_path)
    if in_path.resolve() == out_path.resolve():
        raise InputError("the output must be a different file from the input", out_path)
    summary = summary or RunSummary(command)
    done = finished_ids(out_path)
    pairs = read_pairs(in_path)

    # The output must be a prefix of the input: otherwise it belongs to a different input.
    position = 0
    pending: List[Pair] = []
    for pair in pairs:
        summary.records_in += 1
        if position < len(done):
            if pair.id != done[position]:
                raise InputError(
                    f"cannot resume: the existing output has id {done[position]!r} where the input "
                    f"has {pair.id!r} (is the output from another input? delete it to start over)",
                    out_path,
                    position + 1,
                )
            position += 1
            summary.skipped += 1
            continue
        pending.append(pair)
        break
    if position < len(done) and not pending:
        raise InputError(
            f"cannot resume: the existing output has {len(done)} records but the input only "
            f"{summary.records_in}",
            out_path,
        )
    summary.records_out = summary.skipped

    def rest() -> Iterator[Pair]:
        yield from pending
        for p in pairs:
            summary.records_in += 1
            yield p

    bar = progress_bar(command, unit="pair", initial=summary.skipped, enabled=progress)
    # The output is opened only when the first batch is done, so a run that fails at its start
    # (a model that does not load, a bad first record) leaves no output file behind.
    out: Optional[PairAppender] = None
    try:
        for batch in _batches(rest(), batch_size):
            result = process(batch)
            if [p.id for p in result] != [p.id for p in batch]:
                raise InputError(
                    f"{command}: the step returned ids {[p.id for p in result][:5]}... for input ids "
                    f"{[p.id for p in batch][:5]}... (one output per input, same order, is required)"
                )
            if out is None:
                out = PairAppender(out_path).__enter__()
            summary.records_out += out.write(result)
            bar.update(len(batch))
    finally:
        if out is not None:
            out.__exit__(None, None, None)
    if out is None and not out_path.exists():  # an empty input gives an empty output
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.touch()
    bar.close()
    return summary

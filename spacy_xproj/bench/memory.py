"""Streaming-memory benchmark: peak memory of a long command over 10,000 vs 100,000 pairs.

``python -m spacy_xproj.bench.memory [--pairs 10000 100000] [--json OUT]`` writes a synthetic pair
file of each size (random words, 1-3 source entities, near-diagonal alignments), then streams it
through the loop of every long command (``run_pairs``: read, process in batches, append) with the
heuristic projector — once fresh, once resuming over a half-finished output — each in its own
Python process, and reports the peak of Python allocations (``tracemalloc``) and the peak resident
set size (``ru_maxrss``). Memory is bounded when the peak does not grow with the file: the loop
keeps one batch of pairs, plus the ids (duplicate check, resume) — a few dozen bytes per record.

Not a test: numbers depend on the machine; docs/reliability.md records one run with its command.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Dict, Iterator, List

from ..types import Alignment, Entity, Pair, Side

WORDS = ["Kano", "Abuja", "ministan", "the", "of", "Buhari", "shugaban", "ya", "ziyarci", "na", "da", "a"]


def synthetic_pairs(n: int, seed: int = 0) -> Iterator[Pair]:
    """``n`` pairs of 10-40 words per side, 1-3 source entities, near-diagonal alignments."""
    rnd = random.Random(seed)
    for k in range(n):
        ns, nt = rnd.randint(10, 40), rnd.randint(10, 40)
        src = [rnd.choice(WORDS) + str(rnd.randint(0, 999)) for _ in range(ns)]
        tgt = [rnd.choice(WORDS) + str(rnd.randint(0, 999)) for _ in range(nt)]
        ents: List[Entity] = []
        for s in sorted(rnd.sample(range(0, ns - 3, 3), rnd.randint(1, 3))):
            ents.append(Entity(s, s + rnd.randint(1, 3), rnd.choice(["PER", "ORG", "LOC"])))
        links = [(i, min(nt - 1, max(0, round(i * nt / ns) + rnd.randint(-1, 1)))) for i in range(ns)]
        yield Pair(f"synthetic/{k}", Side("en", src), Side("xx", tgt), Alignment(links), {})


def _child(n: int, resume: bool) -> Dict[str, object]:
    """Measure one run in this process (called in a fresh subprocess)."""
    from ..corpus.jsonl import write_pairs
    from ..projection.component import make_heuristic_projector, project_pairs
    from ..runner import run_pairs

    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        write_pairs(src, synthetic_pairs(n))
        projector = make_heuristic_projector()
        if resume:  # a half-finished output, as an interrupted run leaves it (streamed too)

            class _Stop(Exception):
                pass

            def first_half(batch):
                if int(batch[0].id.rsplit("/", 1)[1]) >= n // 2:
                    raise _Stop()  # the run is interrupted here; its committed batches stay
                return project_pairs(batch, projector)

            try:
                run_pairs(src, out, first_half, command="project", batch_size=256, progress=False)
            except _Stop:
                pass
        base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        t0 = time.perf_counter()
        summary = run_pairs(src, out, lambda b: project_pairs(b, projector), command="project",
                            batch_size=256, progress=False)
        seconds = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert summary.records_out == n
        return {
            "pairs": n,
            "resume": resume,
            "file_mb": round(src.stat().st_size / 2**20, 1),
            "tracemalloc_peak_mb": round(peak / 2**20, 2),
            "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "rss_before_run_mb": round(base_rss / 1024, 1),
            "skipped": summary.skipped,
            "seconds_with_tracemalloc": round(seconds, 1),
        }


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spacy_xproj.bench.memory", description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--json", type=Path, default=None, help="Write the results here as JSON.")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--resume", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(_child(args.child, args.resume)))
        return 0
    from .machine import machine_info

    rows = []
    for n in args.pairs:
        for resume in (False, True):
            cmd = [sys.executable, "-m", "spacy_xproj.bench.memory", "--child", str(n)] + (["--resume"] if resume else [])
            r = subprocess.run(cmd, capture_output=True, text=True, check=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
            rows.append(json.loads(r.stdout.strip().splitlines()[-1]))
            print(rows[-1], flush=True)
    result = {"command": " ".join(["python -m spacy_xproj.bench.memory"] + (argv or sys.argv[1:])),
              "machine": machine_info(), "runs": rows}
    print("| pairs | resume | file MB | tracemalloc peak MB | max RSS MB (process) |")
    print("|---:|:---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['pairs']:,} | {'yes' if r['resume'] else 'no'} | {r['file_mb']} | {r['tracemalloc_peak_mb']} | {r['max_rss_mb']} |")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

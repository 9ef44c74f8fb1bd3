"""Throughput of the Ray engine: 1 vs 2 workers, and its overhead against the local engine.

Measures, in one run on one machine, through the same ``run_pairs`` loop the CLI uses:

* projection (candidate matching, greedy; or ``--method heuristic``) of ``--pairs`` pairs (default
  100,000: the 799 Europarl-NER en-de pairs with eflomal alignments, repeated with distinct ids):
  local engine, Ray with 1 worker, Ray with 2 workers;
* eflomal alignment of ``--align-pairs`` pairs (default 8,000) in batches of ``--align-batch``:
  the statistics are learned once on the driver (timed separately), then the batches are aligned by
  the local engine, Ray with 1 worker and Ray with 2 workers.

Reported: seconds, pairs/s, the 2-vs-1-worker speed-up and the Ray(1)/local time ratio (the
overhead), the mean seconds per batch (for cost estimates), the machine and its load average before
and after. The Ray instance is started before timing (its start-up is reported on its own); actor
start-up (each actor unpickles the component) is inside the timings, as it is in a real run.

    python bench/ray_scaling.py --out bench/ray_scaling.json

The numbers are only meaningful on an otherwise idle machine: compare the load averages printed
beside them with the number of cores.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence


def _load() -> List[float]:
    return [round(x, 2) for x in os.getloadavg()]


def europarl_pairs(n: int, aligned: bool) -> List[Any]:
    """``n`` pairs cycling over Europarl-NER en-de (distinct ids), optionally eflomal-aligned."""
    from spacy.util import registry

    import spacy_xproj  # noqa: F401
    from spacy_xproj.corpus.europarl import read_europarl
    from spacy_xproj.settings import data_dir
    from spacy_xproj.types import Pair

    base = read_europarl(data_dir() / "europarl_ner", "en", "de")
    alignments: Sequence[Any] = [None] * len(base)
    if aligned:
        aligner = registry.xproj_aligners.get("spacy-xproj.Eflomal.v1")(seed=1)
        alignments = aligner([p.src.words for p in base], [p.tgt.words for p in base])
    out = []
    for i in range(n):
        p, al = base[i % len(base)], alignments[i % len(base)]
        out.append(Pair(f"{p.id}/r{i // len(base)}", p.src, p.tgt, al, {}))
    return out


def _timed_run(src: Path, out: Path, process: Any, engine: Any, batch_size: int, summary: Any = None) -> Dict[str, Any]:
    from spacy_xproj.runner import run_pairs

    if out.exists():
        out.unlink()
    start = time.perf_counter()
    result = run_pairs(src, out, process, command="bench", batch_size=batch_size, progress=False,
                       engine=engine, summary=summary)
    seconds = time.perf_counter() - start
    n_batches = -(-result.records_out // batch_size)
    return {"seconds": round(seconds, 2), "pairs": result.records_out,
            "pairs_per_s": round(result.records_out / seconds, 1),
            "s_per_batch": round(seconds / max(n_batches, 1), 4), "batch_size": batch_size}


def _three_ways(src: Path, tmp: Path, make_process: Any, batch_size: int, summary_factory: Any = None) -> Dict[str, Any]:
    from spacy_xproj.engine import LocalEngine
    from spacy_xproj.engine.ray_engine import RayEngine

    rows: Dict[str, Any] = {}
    outputs = {}
    for name, engine in (("local", LocalEngine()), ("ray_1", RayEngine(workers=1)), ("ray_2", RayEngine(workers=2))):
        summary = summary_factory() if summary_factory else None
        out = tmp / f"{name}.jsonl"
        rows[name] = _timed_run(src, out, make_process(summary), engine, batch_size, summary)
        rows[name]["load_after"] = _load()
        outputs[name] = out.read_bytes()
        print(f"  {name}: {rows[name]}", file=sys.stderr, flush=True)
    rows["identical_outputs"] = outputs["local"] == outputs["ray_1"] == outputs["ray_2"]
    rows["speedup_2_vs_1_workers"] = round(rows["ray_1"]["seconds"] / rows["ray_2"]["seconds"], 2)
    rows["ray_1_over_local"] = round(rows["ray_1"]["seconds"] / rows["local"]["seconds"], 3)
    return rows


def bench_projection(n: int, method: str, batch_size: int, tmp: Path) -> Dict[str, Any]:
    from spacy_xproj.cli.project import build_projector, projection_step
    from spacy_xproj.corpus.jsonl import write_pairs
    from spacy_xproj.runner import RunSummary

    src = tmp / "aligned.jsonl"
    write_pairs(src, europarl_pairs(n, aligned=True))
    projector = build_projector(method)
    rows = _three_ways(src, tmp, lambda summary: projection_step(projector, summary, src), batch_size,
                       lambda: RunSummary("project"))
    return {"step": f"project ({method})", **rows}


def bench_eflomal(n: int, batch_size: int, tmp: Path) -> Dict[str, Any]:
    from spacy.util import registry

    from spacy_xproj.corpus.jsonl import write_pairs
    from spacy_xproj.types import Pair

    src = tmp / "raw.jsonl"
    pairs = europarl_pairs(n, aligned=False)
    write_pairs(src, pairs)
    aligner = registry.xproj_aligners.get("spacy-xproj.Eflomal.v1")(seed=1)
    start = time.perf_counter()
    aligner.initialize((p.src.words, p.tgt.words) for p in pairs)  # once, on the driver
    init_s = time.perf_counter() - start

    def make_process(_summary: Any) -> Any:
        def process(batch: List[Any]) -> List[Any]:
            links = aligner([p.src.words for p in batch], [p.tgt.words for p in batch])
            return [Pair(p.id, p.src, p.tgt, al, dict(p.meta)) for p, al in zip(batch, links)]

        return process

    rows = _three_ways(src, tmp, make_process, batch_size)
    return {"step": "align (eflomal)", "init_on_driver_s": round(init_s, 2), **rows}


def format_table(report: Dict[str, Any]) -> str:
    lines = [
        "| step | pairs | batch | local s | Ray 1 worker s | Ray 2 workers s | 2 vs 1 workers | Ray(1) / local | same bytes |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in report["results"]:
        lines.append(
            f"| {r['step']} | {r['local']['pairs']:,} | {r['local']['batch_size']} | {r['local']['seconds']} | "
            f"{r['ray_1']['seconds']} | {r['ray_2']['seconds']} | {r['speedup_2_vs_1_workers']}x | "
            f"{r['ray_1_over_local']} | {'yes' if r['identical_outputs'] else 'NO'} |"
        )
    lines.append("")
    price = report.get("price_per_core_hour", 0.05)
    lines.append(f"| step | core-seconds per pair (Ray, 1 worker) | core-hours per million pairs | cost per million at ${price}/core-hour |")
    lines.append("|---|---:|---:|---:|")
    for r in report["results"]:
        per_pair = r["ray_1"]["seconds"] / max(r["ray_1"]["pairs"], 1)
        hours = per_pair * 1e6 / 3600
        lines.append(f"| {r['step']} | {per_pair:.5f} | {hours:.2f} | ${hours * price:.2f} |")
    m = report["machine"]
    lines.append("")
    lines.append(
        f"Machine: {m.get('cpu')}, {m.get('usable_cores', m.get('cores'))} usable cores; load average "
        f"{report['load_before']} before, {report['load_after']} after; Ray start-up {report['ray_init_s']} s. "
        f"Command: `{report['command']}`"
    )
    return "\n".join(lines) + "\n"


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=100_000, help="pairs projected")
    ap.add_argument("--method", default="candidates", choices=["candidates", "heuristic"])
    ap.add_argument("--batch-size", type=int, default=2000, help="pairs per projection batch")
    ap.add_argument("--align-pairs", type=int, default=8000, help="pairs aligned with eflomal (0 = skip)")
    ap.add_argument("--align-batch", type=int, default=1000, help="pairs per eflomal batch")
    ap.add_argument("--price-per-core-hour", type=float, default=0.05, help="USD per CPU core-hour for the cost column (an assumption: set your own)")
    ap.add_argument("--out", type=Path, help="write the report as JSON here")
    args = ap.parse_args(argv)

    import ray

    from spacy_xproj.bench.machine import command_line, machine_info

    load_before = _load()
    start = time.perf_counter()
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"OMP_NUM_THREADS": "1"}})
    ray_init_s = round(time.perf_counter() - start, 2)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        print(f"projection of {args.pairs} pairs ...", file=sys.stderr, flush=True)
        results.append(bench_projection(args.pairs, args.method, args.batch_size, Path(tmp)))
        if args.align_pairs:
            print(f"eflomal alignment of {args.align_pairs} pairs ...", file=sys.stderr, flush=True)
            results.append(bench_eflomal(args.align_pairs, args.align_batch, Path(tmp)))
    report = {
        "machine": machine_info(), "load_before": load_before, "load_after": _load(),
        "ray_init_s": ray_init_s, "command": command_line(), "results": results,
        "price_per_core_hour": args.price_per_core_hour,
    }
    print(format_table(report))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf8")
    ray.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())

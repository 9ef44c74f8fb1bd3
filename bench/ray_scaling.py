"""Throughput of the Ray engine: 1 vs 2 workers, and its overhead against the local engine.

Measures, in one run on one machine, through the same ``run_pairs`` loop the CLI uses:

* projection (candidate matching, greedy; or ``--method heuristic``) of ``--pairs`` pairs (default
  100,000: the 799 Europarl-NER en-de pairs with eflomal alignments, repeated with distinct ids):
  local engine, Ray with 1 worker, Ray with 2 workers;
* eflomal alignment of ``--align-pairs`` pairs (default 8,000) in batches of ``--align-batch``:
  the statistics are learned once on the driver (timed separately), then the batches are aligned by
  the local engine, Ray with 1 worker and Ray with 2 workers.

Each configuration runs ``--repeat`` times, interleaved (local, Ray 1, Ray 2, local, ...), so
load from other jobs hits all three alike; the table shows the median of each.

Reported: seconds, pairs/s, the 2-vs-1-worker speed-up, the overhead of Ray with 1 worker against
the local engine (``Ray(1) / local - 1``), both **without** and **with** the start-up of the Ray
instance (``ray.init``, which a user waits for once per command on a machine without a running
cluster, timed on its own before the runs), and where the CPU time goes: the driver process, the
actors' start-up (a Python process that imports spaCy and unpickles the component), the actors'
batches (parsing, the step, serialising), and Ray's own processes (raylet, GCS, agents). Actor
start-up is inside the timings, as it is in a real run.

    python bench/ray_scaling.py --out bench/ray_scaling.json

The wall-clock numbers are only meaningful on an otherwise idle machine: compare the load averages
printed beside them with the number of cores. The CPU seconds are much less sensitive to load.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
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


def _proc_cpu(pid: int) -> float:
    """CPU seconds of a process and its reaped children (``/proc/PID/stat``)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def _ray_processes_cpu() -> float:
    """CPU seconds of Ray's own processes under this one (raylet, GCS, agents, idle workers), not
    of the engine's actors: those report their own CPU time (a killed actor's would be lost)."""
    parents: Dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    me, tree, frontier = os.getpid(), set(), {os.getpid()}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier and pid not in tree}
        tree |= frontier
    total = 0.0
    for pid in tree - {me}:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if f.read().startswith(b"ray::BatchWorker"):
                    continue
        except OSError:
            continue
        total += _proc_cpu(pid)
    return total


def _driver_cpu() -> float:
    """CPU seconds of this process and of the subprocesses it waited for (eflomal's binary)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def _timed_run(src: Path, out: Path, process: Any, engine: Any, batch_size: int, summary: Any = None) -> Dict[str, Any]:
    from spacy_xproj.runner import run_pairs

    if out.exists():
        out.unlink()
    time.sleep(1.0)  # let the previous run's actors exit and be reaped
    cpu_driver, cpu_ray = _driver_cpu(), _ray_processes_cpu()
    start = time.perf_counter()
    result = run_pairs(src, out, process, command="bench", batch_size=batch_size, progress=False,
                       engine=engine, summary=summary)
    seconds = time.perf_counter() - start
    cpu_driver = _driver_cpu() - cpu_driver
    time.sleep(1.0)
    cpu_ray = _ray_processes_cpu() - cpu_ray
    n_batches = -(-result.records_out // batch_size)
    row = {"seconds": round(seconds, 2), "pairs": result.records_out,
           "pairs_per_s": round(result.records_out / seconds, 1),
           "s_per_batch": round(seconds / max(n_batches, 1), 4), "batch_size": batch_size,
           "cpu_driver_s": round(cpu_driver, 2), "load_after": _load()}
    stats = getattr(engine, "stats", None)
    if stats:
        row["cpu_workers_in_batches_s"] = round(stats["worker_cpu_s"], 2)
        row["cpu_workers_start_s"] = round(stats["worker_start_cpu_s"], 2)
        row["cpu_ray_other_s"] = round(cpu_ray, 2)
        row["first_result_s"] = round(stats["first_result_s"], 2)
        row["driver_waiting_s"] = round(stats["wait_s"], 2)
    return row


def _median_row(rows: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The run with the median time, with every run's seconds beside it."""
    ordered = sorted(rows, key=lambda r: r["seconds"])
    row = dict(ordered[(len(ordered) - 1) // 2])
    row["all_seconds"] = [r["seconds"] for r in rows]
    return row


def _three_ways(src: Path, tmp: Path, make_process: Any, batch_size: int, repeat: int,
                summary_factory: Any = None) -> Dict[str, Any]:
    from spacy_xproj.engine import LocalEngine
    from spacy_xproj.engine.ray_engine import RayEngine

    runs: Dict[str, List[Dict[str, Any]]] = {"local": [], "ray_1": [], "ray_2": []}
    outputs: Dict[str, bytes] = {}
    for round_ in range(repeat):
        for name, engine in (("local", LocalEngine()), ("ray_1", RayEngine(workers=1)), ("ray_2", RayEngine(workers=2))):
            summary = summary_factory() if summary_factory else None
            out = tmp / f"{name}.jsonl"
            runs[name].append(_timed_run(src, out, make_process(summary), engine, batch_size, summary))
            if round_ == 0:
                outputs[name] = out.read_bytes()
            elif out.read_bytes() != outputs[name]:
                outputs[name] = b"changed between repeats"
            print(f"  {name} (round {round_ + 1}): {runs[name][-1]}", file=sys.stderr, flush=True)
    rows: Dict[str, Any] = {name: _median_row(r) for name, r in runs.items()}
    rows["identical_outputs"] = outputs["local"] == outputs["ray_1"] == outputs["ray_2"]
    rows["speedup_2_vs_1_workers"] = round(rows["ray_1"]["seconds"] / rows["ray_2"]["seconds"], 2)
    rows["ray_1_over_local"] = round(rows["ray_1"]["seconds"] / rows["local"]["seconds"], 3)
    return rows


def bench_projection(n: int, method: str, batch_size: int, tmp: Path, repeat: int = 1) -> Dict[str, Any]:
    from spacy_xproj.cli.project import build_projector, projection_step
    from spacy_xproj.corpus.jsonl import write_pairs
    from spacy_xproj.runner import RunSummary

    src = tmp / "aligned.jsonl"
    write_pairs(src, europarl_pairs(n, aligned=True))
    projector = build_projector(method)
    rows = _three_ways(src, tmp, lambda summary: projection_step(projector, summary, src), batch_size, repeat,
                       lambda: RunSummary("project"))
    return {"step": f"project ({method})", **rows}


def bench_eflomal(n: int, batch_size: int, tmp: Path, repeat: int = 1) -> Dict[str, Any]:
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

    rows = _three_ways(src, tmp, make_process, batch_size, repeat)
    return {"step": "align (eflomal)", "init_on_driver_s": round(init_s, 2), **rows}


def _pct(x: float) -> str:
    return f"{x * 100:+.0f}%"


def format_table(report: Dict[str, Any]) -> str:
    init = report["ray_init_s"]
    lines = [
        "| step | pairs | batch | local s | Ray 1 worker s | Ray 2 workers s | 2 vs 1 workers | Ray(1) overhead | with Ray start-up | same bytes |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in report["results"]:
        local, one = r["local"]["seconds"], r["ray_1"]["seconds"]
        lines.append(
            f"| {r['step']} | {r['local']['pairs']:,} | {r['local']['batch_size']} | {local} | "
            f"{one} | {r['ray_2']['seconds']} | {r['speedup_2_vs_1_workers']}x | "
            f"{_pct(one / local - 1)} | {_pct((one + init) / local - 1)} | {'yes' if r['identical_outputs'] else 'NO'} |"
        )
    lines.append("")
    lines.append("| step | engine | wall s | driver CPU s | actors' CPU: start-up s | actors' CPU: batches s | Ray's own processes CPU s | first result after s |")
    lines.append("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in report["results"]:
        for name, label in (("local", "local"), ("ray_1", "Ray, 1 worker"), ("ray_2", "Ray, 2 workers")):
            row = r[name]
            lines.append(
                f"| {r['step']} | {label} | {row['seconds']} | {row['cpu_driver_s']} | "
                f"{row.get('cpu_workers_start_s', '')} | {row.get('cpu_workers_in_batches_s', '')} | "
                f"{row.get('cpu_ray_other_s', '')} | {row.get('first_result_s', '')} |"
            )
    lines.append("")
    price = report.get("price_per_core_hour", 0.05)
    lines.append(f"| step | CPU core-seconds per pair (Ray, 1 worker) | core-hours per million pairs | cost per million at ${price}/core-hour |")
    lines.append("|---|---:|---:|---:|")
    for r in report["results"]:
        one = r["ray_1"]
        cpu = sum(one.get(k, 0.0) for k in ("cpu_driver_s", "cpu_workers_start_s", "cpu_workers_in_batches_s", "cpu_ray_other_s"))
        per_pair = cpu / max(one["pairs"], 1)  # all the CPU the run used, start-up included
        hours = per_pair * 1e6 / 3600
        lines.append(f"| {r['step']} | {per_pair:.5f} | {hours:.2f} | ${hours * price:.2f} |")
    for r in report["results"]:
        if "init_on_driver_s" in r:
            lines.append("")
            lines.append(f"{r['step']}: statistics learned on the driver first in {r['init_on_driver_s']} s (not in the times above).")
    m = report["machine"]
    lines.append("")
    lines.append(
        f"Machine: {m.get('cpu')}, {m.get('usable_cores', m.get('cores'))} usable cores; load average "
        f"{report['load_before']} before, {report['load_after']} after; Ray start-up (ray.init) {init} s; "
        f"median of {report.get('repeat', 1)} interleaved run(s) per configuration. "
        f"Command: `{report['command']}`"
    )
    cores = m.get("usable_cores", m.get("cores")) or 1
    if report["load_before"][0] > 0.5 * float(cores):  # type: ignore[arg-type]  # (the runs load it themselves)
        lines.append("")
        lines.append(
            f"**The machine was busy** (load average above half its {cores} cores before the runs): other jobs took CPU time, "
            "so the wall-clock columns (and the speed-up and overhead computed from them) do not show "
            "what the engines do; the CPU columns still do. Rerun on an idle machine."
        )
    return "\n".join(lines) + "\n"


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=100_000, help="pairs projected (0 = skip)")
    ap.add_argument("--method", default="candidates", choices=["candidates", "heuristic"])
    ap.add_argument("--batch-size", type=int, default=2000, help="pairs per projection batch")
    ap.add_argument("--align-pairs", type=int, default=8000, help="pairs aligned with eflomal (0 = skip)")
    ap.add_argument("--align-batch", type=int, default=1000, help="pairs per eflomal batch")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each configuration, interleaved; the median is reported")
    ap.add_argument("--price-per-core-hour", type=float, default=0.05, help="USD per CPU core-hour for the cost column (an assumption: set your own)")
    ap.add_argument("--out", type=Path, help="write the report as JSON here")
    args = ap.parse_args(argv)

    from spacy_xproj.bench.machine import command_line, machine_info
    from spacy_xproj.engine.ray_engine import ensure_ray

    load_before = _load()
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # the workers inherit it, as the local run has it
    start = time.perf_counter()
    ray = ensure_ray(None, log_to_driver=False)  # what `--engine ray` does without a cluster
    ray_init_s = round(time.perf_counter() - start, 2)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.pairs:
            print(f"projection of {args.pairs} pairs ...", file=sys.stderr, flush=True)
            results.append(bench_projection(args.pairs, args.method, args.batch_size, Path(tmp), args.repeat))
        if args.align_pairs:
            print(f"eflomal alignment of {args.align_pairs} pairs ...", file=sys.stderr, flush=True)
            results.append(bench_eflomal(args.align_pairs, args.align_batch, Path(tmp), args.repeat))
    report = {
        "machine": machine_info(), "load_before": load_before, "load_after": _load(),
        "ray_init_s": ray_init_s, "command": command_line(), "results": results,
        "price_per_core_hour": args.price_per_core_hour, "repeat": args.repeat,
    }
    print(format_table(report))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf8")
    ray.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())

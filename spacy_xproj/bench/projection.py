"""Projection benchmark: throughput and peak memory of the heuristic and of candidate matching with
the greedy, MILP and fast exact solvers, plus candidate extraction and align-score build times.

Method: single process, ``time.perf_counter`` around each call; each timed part is repeated
``repeat`` times and the fastest repetition is reported (the MILP runs once: it is slow and its
cost is dominated by CBC). Peak memory is measured in a separate pass under ``tracemalloc`` (Python
and numpy allocations of this process; CBC runs in a subprocess and is not included). Solvers are
timed on pre-built :class:`MatchingProblem` objects (candidates ``<= 1``), so their rate excludes
extraction and scoring; the heuristic rate excludes alignment. Alignment time is reported
separately. The MILP runs on the first ``milp_max_sentences`` problems of a set only (CBC takes
seconds per Europarl sentence); speed ratios and objective agreement are computed on exactly the
problems both solvers ran.
"""
from __future__ import annotations

import logging
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..projection.matching import MatchingProblem, ProjectionInput, objective

logger = logging.getLogger(__name__)

SOLVERS = {
    "greedy": "spacy-xproj.GreedySolver.v1",
    "milp": "spacy-xproj.MilpSolver.v1",
    "exact": "spacy-xproj.ExactSolver.v1",
}
METHODS = ("heuristic", *SOLVERS)


@dataclass
class BenchSettings:
    """What to run and how big (defaults: a few minutes on a 2-core machine)."""

    sets: Sequence[str] = ("europarl", "stress")
    methods: Sequence[str] = METHODS
    europarl_dir: Optional[Path] = None
    aligner: str = "eflomal"
    europarl_limit: Optional[int] = None
    europarl_max_lens: Sequence[Optional[int]] = (10,)
    stress_sentences: int = 20
    stress_words: Tuple[int, int] = (100, 300)
    stress_entities: Tuple[int, int] = (10, 20)
    stress_max_lens: Sequence[Optional[int]] = (10, None)
    seed: int = 0
    repeat: int = 3
    milp_max_sentences: Dict[str, Optional[int]] = field(default_factory=lambda: {"europarl": None, "stress": 5})
    #: Skip the MILP when a sentence has more positive (entity, candidate) pairs (binaries).
    max_milp_variables: int = 20000
    op: str = "<="
    n_proj: int = 1


def _registered(registry_name: str, name: str) -> Optional[Callable[..., Any]]:
    import spacy

    try:
        return getattr(spacy.registry, registry_name).get(name)
    except Exception:  # catalogue.RegistryError: not registered (yet)
        return None


def _time_each(fn: Callable[[Any], Any], items: Sequence[Any], repeat: int) -> Tuple[List[float], List[Any]]:
    """Per-call seconds of the fastest of ``repeat`` passes, and the outputs of the last pass."""
    best: Optional[List[float]] = None
    outputs: List[Any] = []
    for _ in range(max(1, repeat)):
        times, outputs = [], []
        for x in items:
            t0 = time.perf_counter()
            out = fn(x)
            times.append(time.perf_counter() - t0)
            outputs.append(out)
        if best is None or sum(times) < sum(best):
            best = times
    return best or [], outputs


def _peak_mb(fn: Callable[[Any], Any], items: Sequence[Any]) -> float:
    """Peak traced memory (MB) above the starting level during one pass (outputs discarded)."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    for x in items:
        fn(x)
    peak = tracemalloc.get_traced_memory()[1] - base
    if not was_tracing:
        tracemalloc.stop()
    return round(max(0, peak) / 1024**2, 3)


def _rate(n: int, seconds: float) -> Optional[float]:
    return round(n / seconds, 1) if seconds > 0 else None


def _summary(n: int, times: Sequence[float], peak: Optional[float]) -> Dict[str, Any]:
    total = float(sum(times))
    return {
        "sentences": n,
        "seconds": round(total, 6),
        "sentences_per_second": _rate(n, total),
        "ms_per_sentence": round(1000 * total / n, 4) if n else None,
        "peak_memory_mb": peak,
    }


def bench_set(name: str, inputs: List[ProjectionInput], settings: BenchSettings) -> Dict[str, Any]:
    """Benchmark every requested method on one input set."""
    out: Dict[str, Any] = {"methods": {}, "candidates": {}}
    n = len(inputs)
    if "heuristic" in settings.methods:
        factory = _registered("xproj_projectors", "spacy-xproj.HeuristicProjector.v1")
        if factory is None:
            out["methods"]["heuristic"] = {"skipped": "spacy-xproj.HeuristicProjector.v1 is not registered"}
        else:
            projector = factory()
            times, preds = _time_each(projector, inputs, settings.repeat)
            res = _summary(n, times, _peak_mb(projector, inputs))
            res.update(_f1(inputs, preds))
            out["methods"]["heuristic"] = res

    solver_names = [m for m in settings.methods if m in SOLVERS]
    max_lens = settings.europarl_max_lens if name == "europarl" else settings.stress_max_lens
    extractor_factory = _registered("xproj_candidates", "spacy-xproj.NgramCandidates.v1")
    scorer_factory = _registered("xproj_scorers", "spacy-xproj.AlignScore.v1")
    if not solver_names:
        return out
    if extractor_factory is None or scorer_factory is None:
        out["candidates"]["skipped"] = "spacy-xproj.NgramCandidates.v1 / AlignScore.v1 are not registered"
        return out
    scorer = scorer_factory()
    for max_len in max_lens:
        key = f"M={max_len if max_len is not None else 'inf'}"
        extractor = extractor_factory(max_len=max_len)
        work = [i for i in inputs if i.src_ents and i.tgt_words]
        t_ext, cands = _time_each(extractor, work, settings.repeat)
        pairs = list(zip(work, cands))
        t_score, scores = _time_each(lambda ic: scorer(ic[0], ic[1]), pairs, settings.repeat)
        part: Dict[str, Any] = {
            "sentences_with_entities": len(work),
            "mean_candidates": round(float(np.mean([len(c) for c in cands])), 1) if cands else 0,
            "max_candidates": max((len(c) for c in cands), default=0),
            "extraction": _summary(len(work), t_ext, _peak_mb(extractor, work)),
            "align_score_build": _summary(
                len(work), t_score, _peak_mb(lambda ic: scorer(ic[0], ic[1]), pairs)
            ),
            "solvers": {},
        }
        problems = [
            MatchingProblem(s, c, settings.op, settings.n_proj) for (_, c), s in zip(pairs, scores) if c
        ]
        objectives: Dict[str, List[float]] = {}
        per_call: Dict[str, List[float]] = {}
        for sname in solver_names:
            factory = _registered("xproj_solvers", SOLVERS[sname])
            if factory is None:
                part["solvers"][sname] = {"skipped": f"{SOLVERS[sname]} is not registered"}
                continue
            subset = problems
            if sname == "milp":
                n_vars = max((int((p.scores > 0).sum()) for p in problems), default=0)
                if n_vars > settings.max_milp_variables:
                    part["solvers"][sname] = {
                        "skipped": f"a sentence has {n_vars:,} positive (entity, candidate) pairs, i.e. MILP "
                        f"binaries — above max_milp_variables={settings.max_milp_variables:,}"
                    }
                    continue
            if sname == "milp":
                limit = settings.milp_max_sentences.get(name)
                subset = problems[:limit] if limit is not None else problems
            solver = factory()
            repeat = 1 if sname == "milp" else settings.repeat
            logger.info("%s %s: %s on %d problems", name, key, sname, len(subset))
            times, sols = _time_each(solver, subset, repeat)
            # Memory pass: every problem, except for the (slow) MILP: its first 5.
            res = _summary(len(subset), times, _peak_mb(solver, subset[:5] if sname == "milp" else subset))
            objs = [objective(p, s) for p, s in zip(subset, sols)]
            res["objective_sum"] = round(float(sum(objs)), 6)
            if hasattr(solver, "stats"):
                res["exact_stats"] = dict(vars(solver.stats))
                res["exact_fallbacks"] = getattr(solver, "fallbacks_used", 0)
            objectives[sname] = objs
            per_call[sname] = times
            part["solvers"][sname] = res
        part["comparisons"] = _compare(objectives, per_call)
        out["candidates"][key] = part
    return out


def _compare(objectives: Dict[str, List[float]], per_call: Dict[str, List[float]]) -> Dict[str, Any]:
    """Objective agreement and speed ratios on the sentences both solvers ran."""
    comp: Dict[str, Any] = {}
    if "exact" not in objectives:
        return comp
    for other in ("milp", "greedy"):
        if other not in objectives:
            continue
        k = min(len(objectives["exact"]), len(objectives[other]))
        ex, ot = np.array(objectives["exact"][:k]), np.array(objectives[other][:k])
        t_ex, t_ot = sum(per_call["exact"][:k]), sum(per_call[other][:k])
        comp[f"exact_vs_{other}"] = {
            "sentences": k,
            "equal_objective": int(np.sum(np.abs(ex - ot) <= 1e-9)),
            "exact_higher": int(np.sum(ex > ot + 1e-9)),
            "exact_lower": int(np.sum(ex < ot - 1e-9)),
            "max_abs_difference": float(np.max(np.abs(ex - ot))) if k else 0.0,
            "speedup": round(t_ot / t_ex, 2) if t_ex > 0 else None,
        }
    return comp


def _f1(inputs: Sequence[ProjectionInput], preds: Sequence[Any]) -> Dict[str, Any]:
    """Projection F1 against gold target entities, when the inputs carry them (Europarl)."""
    gold = [i.extra.get("gold") for i in inputs]
    if any(g is None for g in gold):
        return {}
    from ..evaluate.metrics import evaluate_entities

    pred_ents = [[e for e, _ in p] for p in preds]
    res = evaluate_entities(gold, pred_ents)
    return {"f1": round(res["overall"]["f1"], 4)}


def run_projection_bench(settings: BenchSettings, command: str = "") -> Dict[str, Any]:
    """Run the benchmark and return a JSON-ready report."""
    from ..settings import data_dir
    from .data import europarl_inputs, stress_inputs
    from .machine import machine_info, versions

    report: Dict[str, Any] = {
        "command": command,
        "machine": machine_info(),
        "versions": versions(),
        "settings": {
            k: (str(v) if isinstance(v, Path) else v) for k, v in vars(settings).items()
        },
        "sets": {},
    }
    for set_name in settings.sets:
        t0 = time.perf_counter()
        if set_name == "europarl":
            folder = settings.europarl_dir or (data_dir() / "europarl_ner")
            inputs, info = europarl_inputs(Path(folder), settings.aligner, settings.europarl_limit)
        elif set_name == "stress":
            inputs, info = stress_inputs(
                settings.stress_sentences, *settings.stress_words, *settings.stress_entities, seed=settings.seed
            )
        else:
            raise ValueError(f"unknown benchmark set {set_name!r}; use europarl or stress")
        result = bench_set(set_name, inputs, settings)
        result["info"] = info
        result["wall_seconds"] = round(time.perf_counter() - t0, 2)
        report["sets"][set_name] = result
    report["targets"] = targets(report)
    return report


def targets(report: Dict[str, Any]) -> Dict[str, Any]:
    """The issue's targets, measured in this run (Europarl, M=10 when present)."""
    out: Dict[str, Any] = {}
    eur = report["sets"].get("europarl")
    if not eur:
        return out
    heur = eur["methods"].get("heuristic", {})
    if "sentences_per_second" in heur:
        out["heuristic_sentences_per_second"] = {
            "measured": heur["sentences_per_second"], "target": 5000,
            "met": heur["sentences_per_second"] >= 5000,
        }
    part = eur["candidates"].get("M=10", {})
    comp = part.get("comparisons", {})
    if "exact_vs_milp" in comp:
        c = comp["exact_vs_milp"]
        out["exact_vs_milp_speedup"] = {
            "measured": c["speedup"], "target": 50,
            "met": bool(c["speedup"] and c["speedup"] >= 50 and c["equal_objective"] == c["sentences"]),
            "equal_objective": f"{c['equal_objective']}/{c['sentences']}",
        }
    if "exact_vs_greedy" in comp:
        c = comp["exact_vs_greedy"]
        out["exact_vs_greedy_speedup"] = {
            "measured": c["speedup"], "target": 1.0, "met": bool(c["speedup"] and c["speedup"] >= 1.0),
        }
    return out


def format_report(report: Dict[str, Any]) -> str:
    """A readable summary: header (machine, versions, command) and one table per set."""
    m, v = report["machine"], report["versions"]
    lines = [
        f"command: {report['command']}",
        f"machine: {m['cpu']}, {m['logical_cores']} logical cores ({m['usable_cores']} usable), "
        f"{m['memory_gb']} GB, load average at start {m['load_average_at_start']}",
        "versions: " + ", ".join(f"{k} {val}" for k, val in v.items() if val),
    ]
    for set_name, res in report["sets"].items():
        info = res.get("info", {})
        lines.append("")
        lines.append(f"== {set_name}: {info.get('sentences')} sentences, mean {info.get('mean_target_words')} target words"
                     + (f", alignment: {info.get('used')}" if "used" in info else ""))
        lines.append(f"{'part':<34}{'sent/s':>12}{'ms/sent':>11}{'peak MB':>10}  note")
        for meth, r in res["methods"].items():
            lines.append(_row(meth, r, f"F1 {r['f1']}" if "f1" in r else ""))
        for key, part in res["candidates"].items():
            if key == "skipped":
                lines.append(f"candidates: skipped ({part})")
                continue
            lines.append(f"-- candidates {key}: mean {part['mean_candidates']}, max {part['max_candidates']}")
            lines.append(_row("  n-gram extraction", part["extraction"]))
            lines.append(_row("  align score build", part["align_score_build"]))
            for sname, r in part["solvers"].items():
                note = f"objective {r['objective_sum']}" if "objective_sum" in r else ""
                lines.append(_row(f"  solver {sname}", r, note))
            for cname, c in part.get("comparisons", {}).items():
                lines.append(
                    f"  {cname}: {c['speedup']}x faster, equal objective {c['equal_objective']}/{c['sentences']}"
                    f" (exact higher {c['exact_higher']}, lower {c['exact_lower']})"
                )
    if report.get("targets"):
        lines.append("")
        for name, t in report["targets"].items():
            lines.append(f"target {name}: measured {t['measured']} (target {t['target']}): {'met' if t['met'] else 'MISSED'}")
    return "\n".join(lines)


def _row(label: str, r: Dict[str, Any], note: str = "") -> str:
    if "skipped" in r:
        return f"{label:<34}{'-':>12}{'-':>11}{'-':>10}  skipped: {r['skipped']}"
    sps = r.get("sentences_per_second")
    return (
        f"{label:<34}{(f'{sps:,.0f}' if sps else '-'):>12}{r.get('ms_per_sentence') or 0:>11.3f}"
        f"{r.get('peak_memory_mb') or 0:>10.2f}  n={r['sentences']} {note}"
    )

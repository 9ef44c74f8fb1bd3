"""``xproj europarl``: the intrinsic Europarl-NER projection benchmark (PAPER 3.7, 4.1).

Gold English entities are projected onto the real, sentence-parallel German sentence and scored
(entity-level micro P/R/F1, seqeval-equal) against the gold German entities, for every aligner
setting x projection method. No translation, no source model: it isolates alignment + projection.

Aligner settings are ``NAME[/KEY=VALUE...][:INIT][@BATCH]``: ``NAME`` is a short aligner name
(``eflomal``, ``simalign``, ``awesome``) or a registered ``@xproj_aligners`` name; ``KEY=VALUE``
are arguments of the registered function (JSON values, else strings), e.g.
``eflomal/prefix_len=5/symmetrize=intersection``; ``INIT`` (trainable aligners
only) is ``none`` (the aligned batch is its own corpus) or ``self`` (initialised on the benchmark
pairs first, then aligned with those statistics) or a path to a parallel corpus; ``BATCH`` is the
number of pairs aligned together (default: all at once).
"""
from __future__ import annotations

import json
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import typer

from .app import app

# Settings a method does not name take their registered function's defaults (e.g. the n-gram length).
METHODS: Dict[str, Dict[str, Any]] = {
    "heuristic": {"@xproj_projectors": "spacy-xproj.HeuristicProjector.v1"},
    "heuristic-nothr": {"@xproj_projectors": "spacy-xproj.HeuristicProjector.v1", "length_ratio_threshold": None},
    "candidates": {
        "@xproj_projectors": "spacy-xproj.CandidateProjector.v1",
        "extractor": {"@xproj_candidates": "spacy-xproj.NgramCandidates.v1"},
        "scorer": {"@xproj_scorers": "spacy-xproj.AlignScore.v1"},
        "solver": {"@xproj_solvers": "spacy-xproj.GreedySolver.v1"},
    },
    # The default (xproj project, the xproj_projector component): n-grams as long as twice the
    # longest source entity, coverage score with function-word borders discounted, names continued
    # over adjacent free capitalised words, derived forms of names labelled MISC.
    "coverage": {
        "@xproj_projectors": "spacy-xproj.CandidateProjector.v1",
        "extractor": {"@xproj_candidates": "spacy-xproj.NgramCandidates.v2"},
        "scorer": {"@xproj_scorers": "spacy-xproj.CoverageScore.v2"},
        "solver": {"@xproj_solvers": "spacy-xproj.GreedySolver.v1"},
        "span_rule": {"@xproj_span_rules": "spacy-xproj.NameContinuation.v1"},
        "label_rule": {"@xproj_label_rules": "spacy-xproj.DerivedFormLabel.v2"},
    },
    # The default before: n-grams of up to 10 words, no name continuation, DerivedFormLabel.v1.
    "coverage-v2": {
        "@xproj_projectors": "spacy-xproj.CandidateProjector.v1",
        "extractor": {"@xproj_candidates": "spacy-xproj.NgramCandidates.v1"},
        "scorer": {"@xproj_scorers": "spacy-xproj.CoverageScore.v2"},
        "solver": {"@xproj_solvers": "spacy-xproj.GreedySolver.v1"},
        "label_rule": {"@xproj_label_rules": "spacy-xproj.DerivedFormLabel.v1"},
    },
    # The default before that: CoverageScore.v1, every projection keeps its source label.
    "coverage-v1": {
        "@xproj_projectors": "spacy-xproj.CandidateProjector.v1",
        "extractor": {"@xproj_candidates": "spacy-xproj.NgramCandidates.v1"},
        "scorer": {"@xproj_scorers": "spacy-xproj.CoverageScore.v1"},
        "solver": {"@xproj_solvers": "spacy-xproj.GreedySolver.v1"},
    },
    # The learned score with the default's candidates and rules.
    "learned": {
        "@xproj_projectors": "spacy-xproj.CandidateProjector.v1",
        "extractor": {"@xproj_candidates": "spacy-xproj.NgramCandidates.v2"},
        "scorer": {"@xproj_scorers": "spacy-xproj.LearnedScore.v1"},
        "solver": {"@xproj_solvers": "spacy-xproj.GreedySolver.v1"},
        "span_rule": {"@xproj_span_rules": "spacy-xproj.NameContinuation.v1"},
        "label_rule": {"@xproj_label_rules": "spacy-xproj.DerivedFormLabel.v2"},
    },
    "surface": {
        "@xproj_projectors": "spacy-xproj.CandidateProjector.v1",
        "extractor": {"@xproj_candidates": "spacy-xproj.NgramCandidates.v1"},
        "scorer": {"@xproj_scorers": "spacy-xproj.SurfaceScore.v1"},
        "solver": {"@xproj_solvers": "spacy-xproj.GreedySolver.v1"},
    },
    # The solver names match `xproj project --solver`: milp = PuLP/CBC, exact = the exact DP solver
    # (same optimum; the DP is much faster).
    "candidates-milp": {
        "@xproj_projectors": "spacy-xproj.CandidateProjector.v1",
        "extractor": {"@xproj_candidates": "spacy-xproj.NgramCandidates.v1"},
        "scorer": {"@xproj_scorers": "spacy-xproj.AlignScore.v1"},
        "solver": {"@xproj_solvers": "spacy-xproj.MilpSolver.v1"},
    },
    "candidates-exact": {
        "@xproj_projectors": "spacy-xproj.CandidateProjector.v1",
        "extractor": {"@xproj_candidates": "spacy-xproj.NgramCandidates.v1"},
        "scorer": {"@xproj_scorers": "spacy-xproj.AlignScore.v1"},
        "solver": {"@xproj_solvers": "spacy-xproj.ExactSolver.v1"},
    },
}


@dataclass
class AlignerSetting:
    name: str
    init: str = "none"
    batch_size: Optional[int] = None
    options: Optional[Dict[str, Any]] = None

    @property
    def label(self) -> str:
        opts = "".join(f"/{k}={v}" for k, v in (self.options or {}).items())
        out = self.name + opts + ("" if self.init == "none" else f":{self.init}")
        return out + (f"@{self.batch_size}" if self.batch_size else "")

    @classmethod
    def parse(cls, text: str) -> "AlignerSetting":
        from ..errors import ConfigError

        batch: Optional[int] = None
        if "@" in text:
            text, b = text.rsplit("@", 1)
            if not b.isdigit() or int(b) < 1:
                raise ConfigError(f"aligner setting {text}@{b}: the batch size must be a positive integer")
            batch = int(b)
        name, _, init = text.partition(":")
        name, *raw = name.split("/")
        options: Dict[str, Any] = {}
        for item in raw:
            key, eq, value = item.partition("=")
            if not eq or not key:
                raise ConfigError(f"aligner option {item!r} must be KEY=VALUE")
            try:
                options[key] = json.loads(value)
            except json.JSONDecodeError:
                options[key] = value
        return cls(name, init or "none", batch, options or None)


@dataclass
class Row:
    aligner: str
    method: str
    precision: float
    recall: float
    f1: float
    projection_rate: float
    n_gold: int
    n_pred: int
    align_seconds: float
    project_seconds: float
    seeds: int = 1
    f1_min: Optional[float] = None
    f1_max: Optional[float] = None


def align_setting(setting: AlignerSetting, pairs: Sequence[Any], seed: Optional[int] = None) -> Tuple[List[Any], float]:
    """``pairs`` (src -> tgt) aligned under one aligner setting, and the seconds it took.

    As ``xproj align`` does, an aligner's directional runs (``Eflomal.v2``) go into the pair meta
    for the coverage score's span-level agreement."""
    from ..align.eflomal_backend import read_parallel
    from ..errors import ConfigError
    from ..projection.scores import RUNS_KEY
    from ..types import Pair
    from .align import build_aligner

    overrides = dict(setting.options or {})
    if seed is not None and setting.name == "eflomal":
        overrides["seed"] = seed
    aligner, _ = build_aligner(setting.name, overrides=overrides)
    src = [list(p.src.words) for p in pairs]
    tgt = [list(p.tgt.words) for p in pairs]
    start = time.perf_counter()
    if setting.init != "none":
        if not hasattr(aligner, "initialize"):
            raise ConfigError(f"aligner {setting.name!r} is not trainable; use {setting.name}:none")
        if setting.init == "self":
            aligner.initialize(zip(src, tgt))
        else:
            aligner.initialize(read_parallel(setting.init))
    size = setting.batch_size or max(1, len(pairs))
    aligned: List[Any] = []
    for k in range(0, len(pairs), size):
        alignments = aligner(src[k:k + size], tgt[k:k + size])
        runs = getattr(aligner, "last_runs", None) or [None] * len(alignments)
        aligned.extend(Pair(p.id, p.src, p.tgt, al, {RUNS_KEY: r} if r else {})
                       for p, al, r in zip(pairs[k:k + size], alignments, runs))
    return aligned, time.perf_counter() - start


def method_config(method: str, fusion_weights: Optional[Path] = None) -> Dict[str, Any]:
    """The projector config of a benchmark method (``learned`` reads ``fusion_weights`` if given)."""
    import copy

    cfg = copy.deepcopy(METHODS[method])
    if fusion_weights is not None and cfg["scorer"]["@xproj_scorers"] == "spacy-xproj.LearnedScore.v1":
        cfg["scorer"]["weights"] = str(fusion_weights)
    return cfg


def run_benchmark(
    pairs: Sequence[Any],
    settings: Sequence[AlignerSetting],
    methods: Sequence[str],
    seed: Optional[int] = None,
    log: Callable[[str], None] = lambda s: None,
    fusion_weights: Optional[Path] = None,
) -> List[Row]:
    """Every aligner setting x projection method on ``pairs`` (gold ``src.ents`` and ``tgt.ents``)."""
    from spacy.util import registry

    from ..errors import ConfigError
    from ..evaluate.metrics import evaluate_pairs
    from ..projection.component import project_pairs
    from ..types import Pair

    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ConfigError(f"unknown projection method(s) {unknown}; choose from {', '.join(METHODS)}")
    projectors = {m: registry.resolve({"p": method_config(m, fusion_weights)})["p"] for m in methods}
    rows: List[Row] = []
    for setting in settings:
        aligned, align_s = align_setting(setting, pairs, seed)
        for method in methods:
            start = time.perf_counter()
            projected = project_pairs(aligned, projectors[method])
            proj_s = time.perf_counter() - start
            res = evaluate_pairs(projected, pairs)
            o = res["overall"]
            row = Row(
                setting.label, method, o["precision"], o["recall"], o["f1"], res["projection_rate"],
                o["n_gold"], o["n_pred"], round(align_s, 2), round(proj_s, 2),
            )
            rows.append(row)
            log(f"{row.aligner:<24} {row.method:<18} F1 {row.f1:.4f}")
    return rows


def mean_rows(per_seed: Sequence[Sequence[Row]]) -> List[Row]:
    """Rows averaged over seeds (one list of rows per seed, same order): mean F1/P/R, projection
    rate, prediction count and seconds, with the lowest and highest F1 kept."""
    out: List[Row] = []
    for group in zip(*per_seed):
        n = len(group)
        f1s = [r.f1 for r in group]
        out.append(Row(
            group[0].aligner, group[0].method,
            sum(r.precision for r in group) / n, sum(r.recall for r in group) / n, sum(f1s) / n,
            sum(r.projection_rate for r in group) / n, group[0].n_gold,
            int(round(sum(r.n_pred for r in group) / n)),
            round(sum(r.align_seconds for r in group) / n, 2), round(sum(r.project_seconds for r in group) / n, 2),
            n, min(f1s), max(f1s),
        ))
    return out


def format_rows(rows: Sequence[Row]) -> str:
    """A markdown table of the rows (F1, P, R as percentages; with several seeds, F1 is the mean
    and ``±`` half the range between the lowest and highest seed)."""
    several = any(r.seeds > 1 for r in rows)
    lines = [
        "| aligner | method | F1 | P | R | proj. rate | pred / gold | align s | project s |"
        + (" seeds |" if several else ""),
        "|---|---|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if several else ""),
    ]
    for r in rows:
        f1 = f"{100 * r.f1:.1f}"
        if r.seeds > 1 and r.f1_min is not None and r.f1_max is not None:
            f1 += f" ± {50 * (r.f1_max - r.f1_min):.1f}"
        lines.append(
            f"| {r.aligner} | {r.method} | {f1} | {100 * r.precision:.1f} | {100 * r.recall:.1f} "
            f"| {r.projection_rate:.3f} | {r.n_pred} / {r.n_gold} | {r.align_seconds:.1f} | {r.project_seconds:.1f} |"
            + (f" {r.seeds} |" if several else "")
        )
    return "\n".join(lines)


def error_tables(
    pairs: Sequence[Any], settings: Sequence[AlignerSetting], methods: Sequence[str], seed: Optional[int] = None,
    fusion_weights: Optional[Path] = None,
) -> Dict[str, Dict[str, Dict[str, int]]]:
    """The error classes (``spacy_xproj.projection.diagnose``) of every aligner setting x method."""
    from spacy.util import registry

    from ..projection.component import project_pairs
    from ..projection.diagnose import classify_errors
    from ..types import Pair

    out: Dict[str, Dict[str, Dict[str, int]]] = {}
    for setting in settings:
        aligned, _ = align_setting(setting, pairs, seed)
        for method in methods:
            projector = registry.resolve({"p": method_config(method, fusion_weights)})["p"]
            out[f"{setting.label} {method}"] = classify_errors(aligned, project_pairs(aligned, projector))
    return out


@app.command("europarl")
def europarl_command(
    aligner: str = typer.Option(
        "eflomal", "--aligner", "-a",
        help="Comma-separated aligner settings NAME[:none|self|CORPUS][@BATCH], e.g. eflomal:self@32.",
    ),
    method: str = typer.Option(
        "heuristic,candidates,coverage", "--method", "-m", help=f"Comma-separated: {', '.join(METHODS)}."
    ),
    src: str = typer.Option("en", help="Source language of the Europarl-NER files."),
    tgt: str = typer.Option("de", help="Target language of the Europarl-NER files."),
    data: Optional[Path] = typer.Option(None, help="Europarl-NER folder (default: $XPROJ_DATA_DIR/europarl_ner)."),
    limit: Optional[int] = typer.Option(None, help="Use only the first N sentence pairs."),
    seed: Optional[int] = typer.Option(None, help="Aligner seed (eflomal)."),
    seeds: Optional[str] = typer.Option(
        None, "--seeds", help="Comma-separated eflomal seeds: one run each, the table shows means (F1 ± half its range)."
    ),
    fusion_weights: Optional[Path] = typer.Option(
        None, "--fusion-weights", help="Weights (from `xproj fit-fusion`) for --method learned; default: the shipped ones.",
        exists=True, dir_okay=False,
    ),
    errors: bool = typer.Option(False, "--errors", help="Also print the error classes of misses and false positives."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the results as JSON here."),
    table: Optional[Path] = typer.Option(None, "--table", help="Write the markdown table here."),
) -> None:
    """Europarl-NER intrinsic projection: gold src entities -> real tgt sentence, F1 vs gold tgt."""
    from .. import align as _align  # noqa: F401
    from .. import projection as _projection  # noqa: F401
    from ..corpus.europarl import read_europarl
    from ..errors import ConfigError
    from ..settings import data_dir

    if limit is not None and limit < 1:
        raise ConfigError(f"--limit must be at least 1, got {limit}")
    folder = data or (data_dir() / "europarl_ner")
    pairs = read_europarl(folder, src, tgt)
    if limit is not None:
        pairs = pairs[:limit]
    settings = [AlignerSetting.parse(s.strip()) for s in aligner.split(",") if s.strip()]
    methods = [m.strip() for m in method.split(",") if m.strip()]
    if fusion_weights is not None and "learned" not in methods:
        raise ConfigError("--fusion-weights sets the learned score's model; add learned to --method")
    log = lambda s: typer.echo(s, err=True)  # noqa: E731
    if seeds:
        try:
            seed_list = [int(x) for x in seeds.split(",") if x.strip()]
        except ValueError:
            raise typer.BadParameter(f"--seeds must be comma-separated integers, got {seeds!r}") from None
        rows = mean_rows([run_benchmark(pairs, settings, methods, k, log=log, fusion_weights=fusion_weights)
                          for k in seed_list])
    else:
        rows = run_benchmark(pairs, settings, methods, seed, log=log, fusion_weights=fusion_weights)
    text = format_rows(rows)
    typer.echo(text)
    if errors:
        from ..projection.diagnose import format_errors

        typer.echo("")
        typer.echo(format_errors(error_tables(pairs, settings, methods, seed, fusion_weights)))
    command = "xproj europarl " + " ".join(sys.argv[2:]) if len(sys.argv) > 2 else "xproj europarl"
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "benchmark": f"europarl-ner {src}->{tgt}",
            "pairs": len(pairs),
            "command": command,
            "machine": f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
            "rows": [asdict(r) for r in rows],
        }
        output.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf8")
    if table is not None:
        table.parent.mkdir(parents=True, exist_ok=True)
        table.write_text(text + "\n", encoding="utf8")

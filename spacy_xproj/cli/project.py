"""``xproj project IN OUT``: project source entities onto the target side of aligned pairs.

The projector is either built from the options (``--method heuristic|candidates`` and the switches
below) or read from a config file (``--config``) whose ``[projector]`` block is resolved through
``spacy.registry`` exactly like the ``projector`` setting of the ``xproj_projector`` component::

    [projector]
    @xproj_projectors = "spacy-xproj.CandidateProjector.v1"
    constraint = "<="
    n_proj = 1

    [projector.extractor]
    @xproj_candidates = "spacy-xproj.NgramCandidates.v1"
    max_len = 10

    [projector.scorer]
    @xproj_scorers = "spacy-xproj.AlignScore.v1"

    [projector.solver]
    @xproj_solvers = "spacy-xproj.GreedySolver.v1"

The output is the input with ``tgt.ents`` replaced by the projections and their scores in
``meta["xproj_scores"]``. Runs are resumable (rerun the same command after an interruption).
"""
from __future__ import annotations

import warnings
from enum import Enum
from pathlib import Path
from typing import Any, Dict, List, Optional

import typer

from ..engine import build_engine
from ..errors import ConfigError, InputError
from ..runner import RunSummary, run_pairs
from ..types import Pair
from ..engine import options as _engine_options
from .app import app
from .checks import finite_float, non_negative_int, overwrite_option, restart_option, positive_int


class Method(str, Enum):
    heuristic = "heuristic"
    candidates = "candidates"


class CandidateKind(str, Enum):
    ngram = "ngram"
    aligned = "aligned"
    ner = "ner"


class ScoreKind(str, Enum):
    coverage = "coverage"
    surface = "surface"
    align = "align"
    ner = "ner"
    ner_spans = "ner_spans"
    nmt = "nmt"
    fused = "fused"
    learned = "learned"


class SolverKind(str, Enum):
    greedy = "greedy"
    milp = "milp"
    exact = "exact"


SOLVER_NAMES = {
    "greedy": "spacy-xproj.GreedySolver.v1",
    "milp": "spacy-xproj.MilpSolver.v1",
    "exact": "spacy-xproj.ExactSolver.v1",
}
SCORER_NAMES = {
    "coverage": "spacy-xproj.CoverageScore.v1",
    "surface": "spacy-xproj.SurfaceScore.v1",
    "align": "spacy-xproj.AlignScore.v1",
    "ner": "spacy-xproj.NerScore.v1",
    "ner_spans": "spacy-xproj.NerSpansScore.v1",
    "nmt": "spacy-xproj.NMTScore.v1",
    "learned": "spacy-xproj.LearnedScore.v1",
}
# THESIS's best fusion on MasakhaNER 2.0 is align .5 + ner_spans .5 + nmt 1; nmt needs a model,
# so the command-line default leaves it out (add it with --weights).
DEFAULT_FUSED_WEIGHTS = "align=0.5,ner_spans=0.5"


def _registered(registry_name: str, func_name: str, what: str):
    """Look a function up by its registered name (no import of its module needed)."""
    from spacy.util import registry

    reg = getattr(registry, registry_name)
    try:
        return reg.get(func_name)
    except Exception:  # catalogue.RegistryError
        available = ", ".join(sorted(reg.get_all())) or "none"
        raise ConfigError(
            f"{what} '{func_name}' is not registered in @{registry_name} (available: {available}); "
            "is the package that provides it installed?"
        ) from None


def _parse_weights(text: str) -> Dict[str, float]:
    weights: Dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        if not sep or name.strip() not in SCORER_NAMES:
            raise ConfigError(
                f"--weights: bad item {part!r}; use NAME=WEIGHT with NAME in {', '.join(SCORER_NAMES)}"
            )
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            raise ConfigError(f"--weights: {value!r} is not a number") from None
    if not weights:
        raise ConfigError("--weights must name at least one score")
    return weights


def _optional_float(text: str, option: str) -> Optional[float]:
    if text.strip().lower() in ("none", "null", ""):
        return None
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{option} must be a number or 'none', got {text!r}") from None
    finite_float(value, option)
    return value


def build_projector_from_config(path: Path) -> Any:
    """Resolve the ``[projector]`` block of a config file through ``spacy.registry``."""
    from spacy.util import registry
    from thinc.api import Config

    import spacy_xproj  # noqa: F401  (registers the package's functions)

    if not path.exists():
        raise ConfigError(f"config file {path} does not exist")
    try:
        cfg = Config().from_disk(path)
    except Exception as err:  # confection's ConfigValidationError and parser errors
        raise ConfigError(f"{path}: cannot parse the config: {err}") from None
    if "projector" not in cfg:
        raise ConfigError(f"{path} has no [projector] block (see `xproj project --help`)")
    try:
        return registry.resolve({"projector": cfg["projector"]})["projector"]
    except (ConfigError, InputError):
        raise
    except Exception as err:  # unknown registered names, wrong arguments
        raise ConfigError(f"{path}: the [projector] block does not resolve: {err}") from None


def build_projector(
    method: str = "candidates",
    merge_distance: int = 1,
    top_k: Optional[int] = None,
    only_i: bool = False,
    length_ratio_threshold: Optional[float] = 0.8,
    candidates: str = "ngram",
    max_len: Optional[int] = 10,
    score: str = "coverage",
    weights: str = DEFAULT_FUSED_WEIGHTS,
    solver: str = "greedy",
    constraint: str = "<=",
    n_proj: int = 1,
    max_candidates: Optional[int] = 20_000,
    fusion_weights: Optional[Path] = None,
) -> Any:
    """The projector the command-line options describe (every part looked up by registered name)."""
    import spacy_xproj  # noqa: F401  (registers the package's functions)

    if method == "heuristic":
        return _registered("xproj_projectors", "spacy-xproj.HeuristicProjector.v1", "projector")(
            merge_distance=merge_distance,
            top_k=top_k,
            only_i=only_i,
            length_ratio_threshold=length_ratio_threshold,
        )
    extractors = {
        "ngram": lambda: _registered("xproj_candidates", "spacy-xproj.NgramCandidates.v1", "extractor")(max_len=max_len),
        "aligned": lambda: _registered(
            "xproj_candidates", "spacy-xproj.AlignedSubrangeCandidates.v1", "extractor"
        )(max_len=max_len),
        "ner": lambda: _registered("xproj_candidates", "spacy-xproj.NerCandidates.v1", "extractor")(),
    }
    extractor = extractors[candidates]()
    if score == "fused":
        w = _parse_weights(weights)
        parts = {name: _registered("xproj_scorers", SCORER_NAMES[name], "scorer")() for name in w}
        scorer = _registered("xproj_scorers", "spacy-xproj.FusedScore.v1", "scorer")(scorers=parts, weights=w)
    elif score == "learned":
        scorer = _registered("xproj_scorers", SCORER_NAMES[score], "scorer")(
            weights=str(fusion_weights) if fusion_weights else None
        )
    else:
        scorer = _registered("xproj_scorers", SCORER_NAMES[score], "scorer")()
    solve = _registered("xproj_solvers", SOLVER_NAMES[solver], "solver")()
    return _registered("xproj_projectors", "spacy-xproj.CandidateProjector.v1", "projector")(
        extractor=extractor, scorer=scorer, solver=solve, constraint=constraint, n_proj=n_proj,
        max_candidates=max_candidates,
    )


def projection_step(projector: Any, summary: RunSummary, source: Path):
    """The batch function for ``run_pairs``: project each pair, counting solver warnings."""
    from ..projection.component import CandidateCapWarning, project_pairs
    from ..projection.solvers import InfeasibleMatchingWarning, MilpTimeoutWarning

    def process(batch: List[Pair]) -> List[Pair]:
        for pair in batch:
            if pair.alignment is None:
                raise InputError("the pair has no alignment (run `xproj align` first)", source, record=pair.id)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", InfeasibleMatchingWarning)
            warnings.simplefilter("always", CandidateCapWarning)
            warnings.simplefilter("always", MilpTimeoutWarning)
            try:
                out = project_pairs(batch, projector)
            except InputError as err:
                raise InputError(err.problem, source, record=err.record) from None
        for w in caught:
            if issubclass(w.category, InfeasibleMatchingWarning):
                summary.warn("infeasible_constraint_relaxed")
            elif issubclass(w.category, CandidateCapWarning):
                summary.warn("candidates_capped")
            elif issubclass(w.category, MilpTimeoutWarning):
                summary.warn("milp_timeout_greedy_used")
            else:
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)
        missing = sum(1 for p in out if p.src.ents and not p.tgt.ents)
        if missing:
            summary.warn("pairs_with_entities_but_no_projection", missing)
        return out

    return process


@app.command("project")
def project_command(
    in_path: Path = typer.Argument(..., help="Pair JSONL with alignments (from `xproj align`).", exists=True, dir_okay=False),
    out_path: Path = typer.Argument(..., help="Output pair JSONL (tgt.ents = projections); resumable."),
    method: Method = typer.Option(
        Method.candidates, "--method",
        help="Projection method (default: candidate matching with the coverage score, the best measured offline setting).",
    ),
    config: Optional[Path] = typer.Option(
        None, "--config", help="Config file with a 'projector' block, resolved through spacy.registry (overrides the method options)."
    ),
    merge_distance: int = typer.Option(1, "--merge-distance", help="Heuristic d: merge ranges <= d words apart."),
    top_k: Optional[int] = typer.Option(None, "--top-k", help="Heuristic k: keep the k shortest ranges (default: all)."),
    only_i: bool = typer.Option(False, "--only-i/--no-only-i", help="Heuristic: never merge a range aligned to the entity's first word."),
    length_ratio_threshold: str = typer.Option(
        "0.8", "--length-ratio-threshold", help="Heuristic thr: keep ranges with len/len(entity) > thr ('none' = off)."
    ),
    candidates: CandidateKind = typer.Option(CandidateKind.ngram, "--candidates", help="Candidate extractor."),
    max_len: int = typer.Option(10, "--max-len", help="Longest candidate in words (0 = no limit)."),
    score: ScoreKind = typer.Option(
        ScoreKind.coverage, "--score",
        help="Matching score: coverage (alignment link scores + surface similarity), surface, align, ner, ner_spans, nmt, fused, "
        "learned (a fitted model over span features; see --fusion-weights).",
    ),
    fusion_weights: Optional[Path] = typer.Option(
        None, "--fusion-weights", help="With --score learned: weights from `xproj fit-fusion` (default: the shipped ones).",
        exists=True, dir_okay=False,
    ),
    weights: str = typer.Option(DEFAULT_FUSED_WEIGHTS, "--weights", help="Fused score weights, e.g. align=0.5,ner_spans=0.5,nmt=1."),
    solver: SolverKind = typer.Option(SolverKind.greedy, "--solver", help="Matching solver (exact = spacy-xproj.ExactSolver.v1)."),
    constraint: str = typer.Option("<=", "--constraint", help="Per-entity count constraint: = < <= > >=."),
    n_proj: int = typer.Option(1, "--n-proj", help="Right-hand side of the count constraint."),
    max_candidates: int = typer.Option(
        20_000, "--max-candidates", help="Guard rail: keep at most this many (the shortest) candidates per "
        "sentence; capped sentences are counted in the run summary (0 = no cap)."
    ),
    batch_size: int = typer.Option(256, "--batch-size", help="Pairs per batch."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
    overwrite: bool = overwrite_option(),
    restart_on_change: bool = restart_option(),
    engine: str = _engine_options.ENGINE,
    ray_address: Optional[str] = _engine_options.RAY_ADDRESS,
    workers: int = _engine_options.WORKERS,
    gpus_per_worker: float = _engine_options.GPUS_PER_WORKER,
) -> None:
    """Project src entities onto the tgt side of aligned pairs (heuristic or candidate matching)."""
    positive_int(batch_size, "--batch-size")
    non_negative_int(merge_distance, "--merge-distance")
    positive_int(top_k, "--top-k")
    non_negative_int(max_len, "--max-len")
    non_negative_int(n_proj, "--n-proj")
    non_negative_int(max_candidates, "--max-candidates")
    if config is not None:
        projector = build_projector_from_config(config)
    else:
        projector = build_projector(
            method.value,
            merge_distance=merge_distance,
            top_k=top_k,
            only_i=only_i,
            length_ratio_threshold=_optional_float(length_ratio_threshold, "--length-ratio-threshold"),
            candidates=candidates.value,
            max_len=max_len or None,
            score=score.value,
            weights=weights,
            solver=solver.value,
            constraint=constraint,
            n_proj=n_proj,
            max_candidates=max_candidates or None,
            fusion_weights=fusion_weights,
        )
    summary = RunSummary("project")
    run_pairs(
        in_path,
        out_path,
        projection_step(projector, summary, in_path),
        command="project",
        batch_size=batch_size,
        summary=summary,
        progress=progress,
        engine=build_engine(engine, ray_address, workers, gpus_per_worker),
    )
    typer.echo(summary.format())


@app.command("fit-fusion")
def fit_fusion_command(
    in_paths: List[Path] = typer.Argument(
        ..., help="Pair JSONL files with alignments and gold entities on both sides (e.g. `xproj align` output).",
        exists=True, dir_okay=False,
    ),
    output: Path = typer.Option(..., "--output", "-o", help="Weights file to write (JSON), for `--fusion-weights`."),
    l2: float = typer.Option(1.0, "--l2", help="L2 penalty on the standardised weights (larger = simpler model)."),
    threshold: float = typer.Option(0.15, "--threshold", help="Candidates scoring below this probability are not projected."),
    max_len: int = typer.Option(10, "--max-len", help="Longest candidate in words (as in `xproj project`)."),
) -> None:
    """Fit the learned projection score (spacy-xproj.LearnedScore.v1) on gold pairs.

    Every pair needs an alignment and gold entities on the source and the target side; a few hundred
    pairs are enough. Use the weights with `xproj project --score learned --fusion-weights FILE` or
    `[projector.scorer] weights = "FILE"` in a config.
    """
    from ..corpus.jsonl import read_pairs
    from ..projection.candidates import make_ngram_candidates
    from ..projection.component import projection_input_from_pair
    from ..projection.learned import fit_fusion

    finite_float(l2, "--l2")
    if not 0.0 <= threshold < 1.0:
        raise ConfigError(f"--threshold must be in [0, 1), got {threshold}")
    positive_int(max_len, "--max-len")
    examples = []
    for path in in_paths:
        for pair in read_pairs(path):
            if pair.alignment is None:
                raise InputError("the pair has no alignment (run `xproj align` first)", path, record=pair.id)
            examples.append((projection_input_from_pair(pair), list(pair.tgt.ents)))
    model = fit_fusion(examples, make_ngram_candidates(max_len), l2=l2, threshold=threshold,
                       meta={"fitted_on": ", ".join(p.name for p in in_paths), "pairs": len(examples)})
    model.to_disk(output)
    typer.echo(f"fitted on {len(examples)} pairs ({model.meta['n_positive']} gold matches among "
               f"{model.meta['n_candidates']} candidates); wrote {output}")

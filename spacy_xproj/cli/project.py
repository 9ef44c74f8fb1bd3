"""``xproj project IN OUT``: project source entities onto the target side of aligned pairs.

The projector is either built from the options (``--method heuristic|candidates`` and the switches
below) or read from a config file (``--config``) whose ``[projector]`` block is resolved through
``spacy.registry`` exactly like the ``projector`` setting of the ``xproj_projector`` component::

    [projector]
    @xproj_projectors = "spacy-xproj.CandidateProjector.v1"
    n_proj = 2

    [projector.extractor]
    @xproj_candidates = "spacy-xproj.NgramCandidates.v1"

    [projector.scorer]
    @xproj_scorers = "spacy-xproj.AlignScore.v1"

    [projector.solver]
    @xproj_solvers = "spacy-xproj.GreedySolver.v1"

Settings a config or the options leave out take their registered function's default (the
options default to "not given"), so each default lives in one place.

The output is the input with ``tgt.ents`` replaced by the projections and their scores in
``meta["xproj_scores"]``. Runs are resumable (rerun the same command after an interruption).
"""
from __future__ import annotations

import copy
import warnings
from enum import Enum
from pathlib import Path
from typing import Any, Dict, List, Optional

import typer

from ..engine import build_engine
from ..projection.candidates import make_ngram_candidates_v2
from ..projection.component import make_candidate_projector, make_heuristic_projector
from ..projection.labels import make_derived_form_label_v2
from ..errors import ConfigError, InputError
from ..runner import RunSummary, run_pairs
from ..types import Pair
from ..engine import options as _engine_options
from .app import app
from .checks import finite_float, non_negative_int, overwrite_option, restart_option, positive_int
from .config import given, registered_default, resolve_block


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
    "coverage": "spacy-xproj.CoverageScore.v2",
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


def _shown(func: Any, param: str) -> str:
    """What ``--help`` shows for an option left out: the registered function's default, read from
    its signature (the value lives there only)."""
    value = registered_default(func, param)
    return "none" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def _component_part(part: str, names: Dict[str, str]) -> str:
    """The short name of a part of the xproj_projector component's default projector."""
    from ..projection.component import DEFAULT_PROJECTOR

    ref = next(v for k, v in DEFAULT_PROJECTOR[part].items() if k.startswith("@"))
    return next((short for short, name in names.items() if name == ref), ref)


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


CANDIDATE_NAMES = {
    "ngram": "spacy-xproj.NgramCandidates.v2",
    "aligned": "spacy-xproj.AlignedSubrangeCandidates.v1",
    "ner": "spacy-xproj.NerCandidates.v1",
}
DERIVED_FORM_RULE = "spacy-xproj.DerivedFormLabel.v2"
NAME_CONTINUATION_RULE = "spacy-xproj.NameContinuation.v1"
HEURISTIC_OPTIONS = ("merge_distance", "top_k", "only_i", "length_ratio_threshold")
MATCHING_OPTIONS = ("constraint", "n_proj", "max_candidates")


def build_projector_config(method: Optional[str] = None, **options: Any) -> Dict[str, Any]:
    """The ``[projector]`` config the command-line options describe.

    Only the options that were given appear in it (an absent key, not ``None``: ``None`` is a
    value, e.g. ``length_ratio_threshold=None`` switches the threshold off), so every other
    setting takes its registered function's default. Without ``method`` (or with
    ``"candidates"``) the starting point is the ``xproj_projector`` component's default projector;
    ``candidates``, ``score`` and ``solver`` replace its parts by their short names.
    """
    from ..projection.component import DEFAULT_PROJECTOR

    unknown = set(options) - {
        *HEURISTIC_OPTIONS, *MATCHING_OPTIONS, "candidates", "max_len", "score", "weights", "solver", "fusion_weights",
        "derived_label", "continue_names",
    }
    if unknown:
        raise TypeError(f"unknown projector option(s): {', '.join(sorted(unknown))}")
    if method == "heuristic":
        block = {
            "@xproj_projectors": "spacy-xproj.HeuristicProjector.v1",
            **{k: options[k] for k in HEURISTIC_OPTIONS if k in options},
        }
        _set_span_rule(block, options)
        _set_label_rule(block, options)
        return block
    if method not in (None, "candidates"):
        raise ConfigError(f"unknown projection method {method!r}; use heuristic or candidates")
    block: Dict[str, Any] = copy.deepcopy(dict(DEFAULT_PROJECTOR))
    block.update({k: options[k] for k in MATCHING_OPTIONS if k in options})
    if "candidates" in options:
        block["extractor"] = {"@xproj_candidates": CANDIDATE_NAMES[options["candidates"]]}
    if "max_len" in options and block["extractor"]["@xproj_candidates"] != CANDIDATE_NAMES["ner"]:
        block["extractor"]["max_len"] = options["max_len"]
    score = options.get("score")
    if "weights" in options and score != "fused":
        raise ConfigError("--weights sets the weights of the fused score; add --score fused")
    if "fusion_weights" in options and score != "learned":
        raise ConfigError("--fusion-weights sets the learned score's model; add --score learned")
    if score == "fused":
        w = _parse_weights(options.get("weights") or DEFAULT_FUSED_WEIGHTS)
        block["scorer"] = {
            "@xproj_scorers": "spacy-xproj.FusedScore.v1",
            "scorers": {name: {"@xproj_scorers": SCORER_NAMES[name]} for name in w},
            "weights": w,
        }
    elif score == "learned":
        fusion_weights = options.get("fusion_weights")
        block["scorer"] = {
            "@xproj_scorers": SCORER_NAMES["learned"],
            **({"weights": str(fusion_weights)} if fusion_weights else {}),
        }
    elif score is not None:
        block["scorer"] = {"@xproj_scorers": SCORER_NAMES[score]}
    if "solver" in options:
        block["solver"] = {"@xproj_solvers": SOLVER_NAMES[options["solver"]]}
    _set_span_rule(block, options)
    _set_label_rule(block, options)
    return block


def _set_span_rule(block: Dict[str, Any], options: Dict[str, Any]) -> None:
    """``--continue-names/--no-continue-names``: add or remove the name-continuation span rule."""
    if "continue_names" not in options:
        return
    block.pop("span_rule", None)
    if options["continue_names"]:
        block["span_rule"] = {"@xproj_span_rules": NAME_CONTINUATION_RULE}


def _set_label_rule(block: Dict[str, Any], options: Dict[str, Any]) -> None:
    """``--derived-label``: a label, ``none`` (drop derived forms) or ``keep`` (no label rule)."""
    if "derived_label" not in options:
        return
    block.pop("label_rule", None)
    derived = str(options["derived_label"]).strip()
    if not derived:
        raise ConfigError("--derived-label must be a label, 'none' (drop derived forms) or 'keep' (keep the source label)")
    if derived.lower() != "keep":
        block["label_rule"] = {
            "@xproj_label_rules": DERIVED_FORM_RULE,
            "label": None if derived.lower() in ("none", "null") else derived,
        }


def build_projector(method: Optional[str] = None, **options: Any) -> Any:
    """The projector the command-line options describe (:func:`build_projector_config`,
    resolved through ``spacy.registry``)."""
    return resolve_block(build_projector_config(method, **options), "projector")


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
    method: Optional[Method] = typer.Option(
        None, "--method", show_default="candidates",
        help="Projection method (default: the xproj_projector component's default projector, candidate "
        "matching with the coverage score, the best measured offline setting).",
    ),
    config: Optional[Path] = typer.Option(
        None, "--config", help="Config file with a 'projector' block, resolved through spacy.registry (overrides the method options)."
    ),
    merge_distance: Optional[int] = typer.Option(None, "--merge-distance", show_default=_shown(make_heuristic_projector, "merge_distance"), help="Heuristic d: merge ranges <= d words apart."),
    top_k: Optional[int] = typer.Option(None, "--top-k", show_default=_shown(make_heuristic_projector, "top_k"), help="Heuristic k: keep the k shortest ranges (default: all)."),
    only_i: Optional[bool] = typer.Option(None, "--only-i/--no-only-i", show_default=_shown(make_heuristic_projector, "only_i"), help="Heuristic: never merge a range aligned to the entity's first word."),
    length_ratio_threshold: Optional[str] = typer.Option(
        None, "--length-ratio-threshold", show_default=_shown(make_heuristic_projector, "length_ratio_threshold"),
        help="Heuristic thr: keep ranges with len/len(entity) > thr ('none' = off).",
    ),
    candidates: Optional[CandidateKind] = typer.Option(None, "--candidates", show_default=_component_part("extractor", CANDIDATE_NAMES), help="Candidate extractor."),
    max_len: Optional[int] = typer.Option(
        None, "--max-len", show_default=_shown(make_ngram_candidates_v2, "max_len"),
        help="Longest candidate in words (0 = no limit); n-gram candidates grow to twice the longest source entity when that is longer.",
    ),
    score: Optional[ScoreKind] = typer.Option(
        None, "--score", show_default=_component_part("scorer", SCORER_NAMES),
        help="Matching score: coverage (alignment link scores + surface similarity), surface, align, ner, ner_spans, nmt, fused, "
        "learned (a fitted model over span features; see --fusion-weights).",
    ),
    fusion_weights: Optional[Path] = typer.Option(
        None, "--fusion-weights", help="With --score learned: weights from `xproj fit-fusion` (default: the shipped ones).",
        exists=True, dir_okay=False,
    ),
    weights: Optional[str] = typer.Option(None, "--weights", show_default=DEFAULT_FUSED_WEIGHTS, help="Fused score weights, e.g. align=0.5,ner_spans=0.5,nmt=1."),
    derived_label: Optional[str] = typer.Option(
        None, "--derived-label", show_default=_shown(make_derived_form_label_v2, "label"),
        help="Label of one-word lower-case projections of capitalised names (derived forms such as "
        "europäischen for Europe); 'none' drops them (label sets without MISC), 'keep' keeps the source label.",
    ),
    continue_names: Optional[bool] = typer.Option(
        None, "--continue-names/--no-continue-names", show_default="on for candidate matching, off for the heuristic",
        help="Extend projections of capitalised names over adjacent capitalised target words that no link ties "
        "elsewhere (Reino -> Reino Unido), in sentences whose capitals mark names.",
    ),
    solver: Optional[SolverKind] = typer.Option(None, "--solver", show_default=_component_part("solver", SOLVER_NAMES), help="Matching solver (exact = spacy-xproj.ExactSolver.v1)."),
    constraint: Optional[str] = typer.Option(None, "--constraint", show_default=_shown(make_candidate_projector, "constraint"), help="Per-entity count constraint: = < <= > >=."),
    n_proj: Optional[int] = typer.Option(None, "--n-proj", show_default=_shown(make_candidate_projector, "n_proj"), help="Right-hand side of the count constraint."),
    max_candidates: Optional[int] = typer.Option(
        None, "--max-candidates", show_default=_shown(make_candidate_projector, "max_candidates"), help="Guard rail: keep at most this many (the shortest) candidates per "
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
        options = given(
            merge_distance=merge_distance, top_k=top_k, only_i=only_i,
            candidates=candidates.value if candidates else None, score=score.value if score else None,
            weights=weights, solver=solver.value if solver else None, constraint=constraint, n_proj=n_proj,
            fusion_weights=fusion_weights, derived_label=derived_label, continue_names=continue_names,
        )
        if length_ratio_threshold is not None:  # 'none' switches the threshold off
            options["length_ratio_threshold"] = _optional_float(length_ratio_threshold, "--length-ratio-threshold")
        if max_len is not None:
            options["max_len"] = max_len or None  # 0 = no limit
        if max_candidates is not None:
            options["max_candidates"] = max_candidates or None  # 0 = no cap
        projector = build_projector(method.value if method else None, **options)
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

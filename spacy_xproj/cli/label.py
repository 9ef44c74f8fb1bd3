"""``xproj label``: run a source NER model over one side of a pair JSONL file."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

import typer

from ..engine import options as _engine_options
from .app import app
from .checks import overwrite_option, restart_option, positive_int
from .config import given, registered_default, resolve_block



def _shown(param: str) -> str:
    """``--help``'s default of an option left out: the hf backend's registered default (the spacy
    backend has its own, see ``spacy-xproj.SpacyLabeller.v2``)."""
    from ..label.hf import make_hf_token_classifier

    value = registered_default(make_hf_token_classifier, param)
    return str(value).lower() if isinstance(value, bool) else str(value)


BACKENDS = {"hf": "spacy-xproj.HFTokenClassifier.v1", "spacy": "spacy-xproj.SpacyLabeller.v2"}


def labeller_config(backend: Optional[str] = None, **options: Any) -> Dict[str, Any]:
    """The labeller config the options describe: the backend (default: the ``xproj_labeller``
    component's) and only the settings that were given (``None`` = the registered default)."""
    from ..errors import ConfigError
    from ..label.component import DEFAULT_CONFIG

    if backend is None:
        block: Dict[str, Any] = {"@xproj_labellers": DEFAULT_CONFIG["labeller"]["@xproj_labellers"]}
    elif backend in BACKENDS:
        block = {"@xproj_labellers": BACKENDS[backend]}
    else:
        raise ConfigError(f"unknown --backend {backend!r}; use one of {', '.join(BACKENDS)}")
    block.update(given(**options))
    return block


@app.command("label")
def label_cmd(
    in_path: Path = typer.Argument(..., exists=True, dir_okay=False, help="Input pair JSONL."),
    out_path: Path = typer.Argument(..., dir_okay=False, help="Output pair JSONL (resumed if it exists)."),
    model: Optional[str] = typer.Option(None, "--model", "-m", show_default=_shown("model"), help="HF token classifier (name or folder) or spaCy pipeline (package or folder)."),
    side: str = typer.Option("src", "--side", help="src: write src.ents (entities to project); tgt: write tgt.probs and, with --candidates, meta['tgt_candidates']."),
    backend: Optional[str] = typer.Option(None, "--backend", show_default="hf, the xproj_labeller component's", help="hf (token classification) or spacy (a pipeline with ner)."),
    with_probs: Optional[bool] = typer.Option(None, "--probs/--no-probs", show_default=_shown("with_probs"), help="Store per-word class probabilities (hf backend)."),
    candidates: bool = typer.Option(False, "--candidates/--no-candidates", help="tgt side: store the predicted spans as meta['tgt_candidates']."),
    set_ents: Optional[bool] = typer.Option(None, "--ents/--no-ents", help="Replace the side's entities with the predictions (default: src yes, tgt no)."),
    drop_labels: Optional[List[str]] = typer.Option(None, "--drop-label", show_default=_shown("drop_labels"), help="Entity type to drop (repeatable)."),
    device: Optional[str] = typer.Option(None, "--device", show_default=_shown("device"), help="cpu, cuda, cuda:N or auto (hf backend)."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", show_default=_shown("batch_size"), help="Sentences per model batch."),
    titles: str = typer.Option("none", "--titles", help="Trim titles (Mr, Governor, Imam, ...) from the start of the PER entities written (--ents): none, auto (the built-in list of the side's language: en, fr), en, fr, or a file with one title per line."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
    overwrite: bool = overwrite_option(),
    restart_on_change: bool = restart_option(),
    engine: str = _engine_options.ENGINE,
    ray_address: Optional[str] = _engine_options.RAY_ADDRESS,
    workers: int = _engine_options.WORKERS,
    gpus_per_worker: float = _engine_options.GPUS_PER_WORKER,
) -> None:
    """Label one side of sentence pairs with a NER model (resumable)."""
    from ..engine import build_engine
    from ..errors import ConfigError
    from ..label.titles import load_titles
    from ..runner import RunSummary

    positive_int(batch_size, "--batch-size")
    if side not in ("src", "tgt"):
        raise ConfigError(f"unknown --side {side!r}; use src or tgt")
    title_lists = load_titles(titles)
    writes_ents = set_ents if set_ents is not None else side == "src"
    if title_lists is not None and not writes_ents:
        raise ConfigError("--titles trims the entities the labeller writes: use it with --ents (the default for --side src)")
    block = labeller_config(
        backend, model=model, device=device, batch_size=batch_size, drop_labels=drop_labels or None,
        with_probs=with_probs,
    )
    if block["@xproj_labellers"] == BACKENDS["spacy"]:
        block.pop("device", None)  # hf-only settings: a spaCy pipeline has no probabilities
        block.pop("with_probs", None)
    labeller = resolve_block(block, "labeller")
    probs = bool(getattr(labeller, "with_probs", False))
    summary = RunSummary("label")
    run_label(
        in_path, out_path, labeller, side, probs, candidates, set_ents, summary, labeller.batch_size, progress,
        engine=build_engine(engine, ray_address, workers, gpus_per_worker), titles=title_lists,
    )
    typer.echo(summary.format())


def run_label(
    in_path: Path,
    out_path: Path,
    labeller: Any,
    side: str,
    probs: bool,
    candidates: bool,
    set_ents: Optional[bool],
    summary: Any,
    batch_size: int = 16,
    progress: bool = False,
    engine: Any = None,
    titles: Any = None,
) -> Any:
    """The resumable loop behind ``xproj label`` (also used by tests). ``titles`` (``lang ->
    title words``, see :func:`spacy_xproj.label.titles.load_titles`) trims titles from the
    start of the PER entities written."""
    from ..label.component import label_pairs
    from ..label.titles import trim_pair_titles
    from ..runner import run_pairs

    def process(batch: List[Any]) -> List[Any]:
        before = getattr(labeller, "windowed", 0)
        out = label_pairs(batch, labeller, side, probs, candidates, set_ents)
        if getattr(labeller, "windowed", 0) > before:
            summary.warn("long sentence labelled in windows", labeller.windowed - before)
        if titles is not None:
            out, trimmed, dropped = trim_pair_titles(out, side, titles)
            if trimmed:
                summary.warn("titles_trimmed", trimmed)
            if dropped:
                summary.warn("title_only_entities_dropped", dropped)
        return out

    return run_pairs(
        in_path, out_path, process, command="label", batch_size=max(batch_size, 1) * 4,
        summary=summary, progress=progress, engine=engine,
    )

"""``xproj label``: run a source NER model over one side of a pair JSONL file."""
from __future__ import annotations

from pathlib import Path
from typing import Any, List, Optional

import typer

from ..engine import options as _engine_options
from .app import app
from .checks import overwrite_option, restart_option, positive_int

BACKENDS = ("hf", "spacy")


@app.command("label")
def label_cmd(
    in_path: Path = typer.Argument(..., exists=True, dir_okay=False, help="Input pair JSONL."),
    out_path: Path = typer.Argument(..., dir_okay=False, help="Output pair JSONL (resumed if it exists)."),
    model: str = typer.Option("FacebookAI/xlm-roberta-large-finetuned-conll03-english", "--model", "-m", help="HF token classifier (name or folder) or spaCy pipeline (package or folder)."),
    side: str = typer.Option("src", "--side", help="src: write src.ents (entities to project); tgt: write tgt.probs and, with --candidates, meta['tgt_candidates']."),
    backend: str = typer.Option("hf", "--backend", help="hf (token classification) or spacy (a pipeline with ner)."),
    probs: bool = typer.Option(True, "--probs/--no-probs", help="Store per-word class probabilities (hf backend)."),
    candidates: bool = typer.Option(False, "--candidates/--no-candidates", help="tgt side: store the predicted spans as meta['tgt_candidates']."),
    set_ents: Optional[bool] = typer.Option(None, "--ents/--no-ents", help="Replace the side's entities with the predictions (default: src yes, tgt no)."),
    drop_label: List[str] = typer.Option(["MISC"], "--drop-label", help="Entity type to drop (repeatable)."),
    device: str = typer.Option("cpu", "--device", help="cpu, cuda, cuda:N or auto (hf backend)."),
    batch_size: int = typer.Option(16, "--batch-size", help="Sentences per model batch."),
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
    from ..runner import RunSummary

    positive_int(batch_size, "--batch-size")
    if backend not in BACKENDS:
        raise ConfigError(f"unknown --backend {backend!r}; use one of {', '.join(BACKENDS)}")
    if side not in ("src", "tgt"):
        raise ConfigError(f"unknown --side {side!r}; use src or tgt")
    labeller: Any
    if backend == "hf":
        from ..label.hf import HFTokenClassifier

        labeller = HFTokenClassifier(
            model, device=device, batch_size=batch_size, drop_labels=drop_label, with_probs=probs
        )
    else:
        from ..label.spacy_pipeline import SpacyLabeller

        labeller = SpacyLabeller(model, drop_labels=drop_label, batch_size=batch_size)
    summary = RunSummary("label")
    run_label(
        in_path, out_path, labeller, side, probs, candidates, set_ents, summary, batch_size, progress,
        engine=build_engine(engine, ray_address, workers, gpus_per_worker),
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
) -> Any:
    """The resumable loop behind ``xproj label`` (also used by tests)."""
    from ..label.component import label_pairs
    from ..runner import run_pairs

    def process(batch: List[Any]) -> List[Any]:
        before = getattr(labeller, "windowed", 0)
        out = label_pairs(batch, labeller, side, probs, candidates, set_ents)
        if getattr(labeller, "windowed", 0) > before:
            summary.warn("long sentence labelled in windows", labeller.windowed - before)
        return out

    return run_pairs(
        in_path, out_path, process, command="label", batch_size=max(batch_size, 1) * 4,
        summary=summary, progress=progress, engine=engine,
    )

"""``xproj align IN OUT``: word-align every pair of a pair JSONL file (resumable).

eflomal is corpus-level: it learns from the sentences it aligns, so a small batch aligned alone
aligns poorly. By default the command therefore first *initialises* eflomal on the whole input
file (align it once, keep the priors), then aligns batch by batch with those priors; when the
whole file fits in one batch it is simply aligned as one corpus (learning priors on it first would
count the data twice). The priors
depend only on the input file (and ``--init``), so a resumed run produces the same bytes as an
uninterrupted one. ``--init PAIRS_OR_TEXT`` learns the priors from another parallel corpus
instead; ``--no-init-input`` makes every batch its own corpus (the plain eflomal behaviour).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import typer

from ..engine import options as _engine_options
from .app import app

ALIGNER_NAMES = {
    "eflomal": "spacy-xproj.Eflomal.v1",
    "simalign": "spacy-xproj.SimAlign.v1",
    "awesome": "spacy-xproj.Awesome.v1",
}


def build_aligner(
    aligner: str = "eflomal",
    config: Optional[Path] = None,
    model: Optional[str] = None,
    overrides: Optional[Dict[str, Any]] = None,
) -> Any:
    """An aligner from a short name (or a registered name), or from the ``[aligner]`` block of a config."""
    from spacy.util import registry
    from thinc.api import Config

    from ..errors import ConfigError

    if config is not None:
        cfg = Config().from_disk(config)
        if "aligner" not in cfg:
            raise ConfigError(f"{config}: the config needs an [aligner] block with @xproj_aligners")
        block = dict(cfg["aligner"])
    else:
        name = ALIGNER_NAMES.get(aligner, aligner)
        block = {"@xproj_aligners": name}
        if model is not None:
            block["model"] = model
    block.update(overrides or {})
    try:
        registry.xproj_aligners.get(block["@xproj_aligners"])  # type: ignore[attr-defined]
    except Exception:
        known = ", ".join(sorted(ALIGNER_NAMES))
        raise ConfigError(
            f"unknown aligner {block['@xproj_aligners']!r}; use one of {known} or a registered name"
        ) from None
    return registry.resolve({"aligner": block})["aligner"], block["@xproj_aligners"]


def build_translator(config: Path) -> Callable[[List[str], str, str], List[str]]:
    """A translator callable from the ``[translator]`` block of a config (``@xproj_translators``)."""
    from spacy.util import registry
    from thinc.api import Config

    from ..errors import ConfigError

    cfg = Config().from_disk(config)
    if "translator" not in cfg:
        raise ConfigError(f"{config}: the config needs a [translator] block with @xproj_translators")
    return registry.resolve({"translator": dict(cfg["translator"])})["translator"]


def _count_pairs(path: Path) -> int:
    from ..corpus.jsonl import read_pairs

    return sum(1 for _ in read_pairs(path))


@app.command("align")
def align_command(
    in_path: Path = typer.Argument(..., help="Input pair JSONL (src and tgt words)."),
    out_path: Path = typer.Argument(..., help="Output pair JSONL with alignments (appended; resumes)."),
    aligner: str = typer.Option("eflomal", "--aligner", "-a", help="eflomal, simalign, awesome or a registered name."),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="Config with an [aligner] block (overrides --aligner)."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Encoder name or path (simalign/awesome)."),
    init: Optional[Path] = typer.Option(
        None, "--init", help="Learn aligner statistics from this parallel corpus (pair JSONL, MAFAND JSONL or 'src ||| tgt' text)."
    ),
    init_src_lang: Optional[str] = typer.Option(None, help="Source language key for a MAFAND-style --init file."),
    init_tgt_lang: Optional[str] = typer.Option(None, help="Target language key for a MAFAND-style --init file."),
    init_input: bool = typer.Option(
        True, "--init-input/--no-init-input", help="Without --init: learn from the whole input file first when it spans several batches (eflomal)."
    ),
    batch_size: int = typer.Option(1000, "--batch-size", "-b", help="Pairs aligned together per batch."),
    back_translate: Optional[Path] = typer.Option(
        None, "--back-translate", help="Config with a [translator] block: align tgt with the labelled back-translation."
    ),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed (eflomal)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
    engine: str = _engine_options.ENGINE,
    ray_address: Optional[str] = _engine_options.RAY_ADDRESS,
    workers: int = _engine_options.WORKERS,
    gpus_per_worker: float = _engine_options.GPUS_PER_WORKER,
) -> None:
    """Word-align the pairs of IN into OUT (links (src, tgt)); resumable, in input order."""
    from ..corpus.jsonl import read_pairs
    from ..engine import build_engine
    from ..runner import run_pairs
    from .. import align as _align  # noqa: F401  (registers the backends)
    from ..align.backtranslation import refine_pairs
    from ..align.eflomal_backend import read_parallel
    from ..types import Pair

    overrides: Dict[str, Any] = {}
    if seed is not None:
        overrides["seed"] = seed
    backend, registered = build_aligner(aligner, config, model, overrides)
    translator = build_translator(back_translate) if back_translate is not None else None

    initialized_on: Optional[str] = None
    if hasattr(backend, "initialize"):
        if init is not None:
            backend.initialize(read_parallel(init, init_src_lang, init_tgt_lang))
            initialized_on = init.name
        elif init_input and _count_pairs(in_path) > batch_size:
            # Only when the input spans several batches: a file aligned as one batch is its own
            # corpus already, and learning priors on it first counts the data twice (measured on
            # Europarl en->de: 88.7 -> 85.0 F1 for candidate matching).
            if translator is None:
                backend.initialize((p.src.words, p.tgt.words) for p in read_pairs(in_path))
            else:  # the aligner will see back-translation <-> tgt: learn on that
                bt_pairs = []
                for p in read_pairs(in_path):
                    bt_pairs.append(p)
                refined = refine_pairs(bt_pairs, translator, lambda s, t: [None] * len(s))  # type: ignore[misc]
                backend.initialize((p.src.words, p.tgt.words) for p in refined)
            initialized_on = "input"

    meta_value: Dict[str, Any] = {"name": registered}
    if initialized_on is not None:
        meta_value["initialized_on"] = initialized_on

    def process(batch: List[Pair]) -> List[Pair]:
        if translator is not None:
            out = refine_pairs(batch, translator, backend)
        else:
            alignments = backend([p.src.words for p in batch], [p.tgt.words for p in batch])
            out = [Pair(p.id, p.src, p.tgt, al, dict(p.meta)) for p, al in zip(batch, alignments)]
        for p in out:
            p.meta["aligner"] = dict(meta_value)
        return out

    summary = run_pairs(
        in_path, out_path, process, command="align", batch_size=batch_size, progress=progress,
        engine=build_engine(engine, ray_address, workers, gpus_per_worker),
    )
    typer.echo(summary.format())

"""``xproj translate``: translate pair JSONL (or raw text) with a Hugging Face seq2seq model."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional

import typer

from ..engine import options as _engine_options
from .app import app
from .checks import not_a_folder, overwrite_option, restart_option, positive_int
from .config import fill_block, given, registered_default, resolve_block

FORMATS = ("auto", "pairs", "text")
TRANSLATOR = "spacy-xproj.HFTranslator.v1"


def _hf_default(param: str) -> str:
    """What ``--help`` shows for an option left out: the registered function's default."""
    from ..translate.hf import make_hf_translator

    value = registered_default(make_hf_translator, param)
    return str(value).lower() if isinstance(value, bool) else str(value)


def translator_config(**options: Any) -> Dict[str, Any]:
    """The translator config the options describe: only the settings that were given (``None`` =
    the registered function's default)."""
    return {"@xproj_translators": TRANSLATOR, **given(**options)}


def text_to_pairs(path: Path, out: Path, lang: str, side: str) -> int:
    """Raw text (one sentence per line) -> pair JSONL with the text on ``side`` (``src``/``tgt``).

    Ids are ``<file stem>/<line number>``, so a rerun resumes; the raw line is kept in
    ``meta["<side>_text"]`` and translated as is. Empty lines become pairs with no words.
    """
    from ..corpus.jsonl import write_pairs
    from ..translate.languages import split_words
    from ..types import Pair, Side

    def gen() -> Any:
        from ..textio import iter_lines

        if True:  # errors (bad UTF-8, damaged .gz, a folder) name the file and line
            for lineno, line in iter_lines(path):
                text = line.rstrip("\n").rstrip("\r")
                words = split_words(text, lang)[0] if text.strip() else []
                filled = Side(lang, words)
                empty = Side("", [])
                src, tgt = (filled, empty) if side == "src" else (empty, filled)
                yield Pair(f"{path.stem}/{lineno}", src, tgt, None, {f"{side}_text": text})

    return write_pairs(out, gen())


def check_max_length(model: str, max_length: int, given: bool = True) -> int:
    """Refuse a given ``--max-length`` above the model's positions (when its config can be read
    offline); the default is lowered to the model's limit. Returns the length to use."""
    from ..errors import ConfigError

    try:
        from transformers import AutoConfig

        config = AutoConfig.from_pretrained(model, local_files_only=True)
    except Exception:  # no transformers, or the config is not available offline: the model load reports it
        return max_length
    limit = getattr(config, "max_position_embeddings", None)
    if isinstance(limit, int) and max_length > limit and not given:
        return limit
    if isinstance(limit, int) and max_length > limit:
        raise ConfigError(
            f"--max-length {max_length} is above what the model {model} can produce "
            f"({limit} positions); use --max-length {limit} or less"
        )
    return max_length


def _is_text(path: Path, fmt: str) -> bool:
    if fmt == "auto":
        return path.suffix.lower() not in (".jsonl", ".json")
    return fmt == "text"


@app.command("translate")
def translate_cmd(
    in_path: Path = typer.Argument(..., exists=True, dir_okay=False, help="Pair JSONL, or raw text (one sentence per line)."),
    out_path: Path = typer.Argument(..., dir_okay=False, help="Output pair JSONL (resumed if it exists)."),
    model: Optional[str] = typer.Option(None, "--model", "-m", show_default=_hf_default("model"), help="HF model name or local folder (NLLB-200, M2M-100, Marian; Marian may use {src}/{tgt})."),
    src_lang: Optional[str] = typer.Option(None, "--src", show_default=_hf_default("src_lang"), help="Source-side language (ISO 639-1/3 or NLLB code)."),
    tgt_lang: str = typer.Option(..., "--tgt", help="Target-side language (ISO 639-1/3 or NLLB code)."),
    direction: str = typer.Option("fill-empty", "--direction", help="fill-empty (translate the side that is there into the empty one), src2tgt or tgt2src. Raw text needs src2tgt (text in --src) or tgt2src (text in --tgt)."),
    fmt: str = typer.Option("auto", "--format", help="auto (by extension: .jsonl = pairs), pairs or text."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", show_default=_hf_default("batch_size"), help="Sentences per model batch."),
    device: Optional[str] = typer.Option(None, "--device", show_default=_hf_default("device"), help="cpu, cuda, cuda:N or auto."),
    cache: Optional[Path] = typer.Option(None, "--cache", help="SQLite translation cache (reused across runs)."),
    num_beams: Optional[int] = typer.Option(None, "--num-beams", show_default=_hf_default("num_beams"), help="Beam size (1 = greedy)."),
    max_length: Optional[int] = typer.Option(None, "--max-length", show_default=_hf_default("max_length"), help="Maximum output length in tokens (the default is lowered to the model's limit)."),
    fp16: Optional[bool] = typer.Option(None, "--fp16/--no-fp16", show_default=_hf_default("fp16"), help="Half precision on CUDA (ignored on CPU)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
    overwrite: bool = overwrite_option(),
    restart_on_change: bool = restart_option(),
    engine: str = _engine_options.ENGINE,
    ray_address: Optional[str] = _engine_options.RAY_ADDRESS,
    workers: int = _engine_options.WORKERS,
    gpus_per_worker: float = _engine_options.GPUS_PER_WORKER,
) -> None:
    """Translate sentence pairs (fill the empty side, or a fixed direction), resumable and cached.

    Translate-train: pairs with English words and an empty target side -> --direction fill-empty.
    Translate-test: pairs with target words only -> fill-empty translates them into --src.
    """
    from ..engine import build_engine
    from ..errors import ConfigError
    from ..runner import RunSummary, run_pairs
    from ..translate.component import DIRECTIONS

    positive_int(batch_size, "--batch-size")
    positive_int(num_beams, "--num-beams")
    positive_int(max_length, "--max-length")
    not_a_folder(cache, "--cache")
    block = translator_config(
        model=model, src_lang=src_lang, tgt_lang=tgt_lang, device=device, batch_size=batch_size,
        num_beams=num_beams, max_length=max_length, fp16=fp16, cache=str(cache) if cache else None,
    )
    filled = fill_block(block, "translator")
    length = check_max_length(filled["model"], filled["max_length"], max_length is not None)
    if length != filled["max_length"]:
        block["max_length"] = length
    if direction not in DIRECTIONS:
        raise ConfigError(f"unknown --direction {direction!r}; use one of {', '.join(DIRECTIONS)}")
    if fmt not in FORMATS:
        raise ConfigError(f"unknown --format {fmt!r}; use one of {', '.join(FORMATS)}")
    translator = resolve_block(block, "translator")
    src, tgt, batch_size = translator.src_lang, translator.tgt_lang, translator.batch_size
    summary = RunSummary("translate")
    with tempfile.TemporaryDirectory() as tmp:
        source = in_path
        if _is_text(in_path, fmt):
            if direction == "fill-empty":
                raise ConfigError(
                    "raw text input needs --direction src2tgt (the text is in --src) or tgt2src "
                    "(the text is in --tgt)"
                )
            side, lang = ("src", src) if direction == "src2tgt" else ("tgt", tgt)
            source = Path(tmp) / f"{in_path.stem}.jsonl"
            text_to_pairs(in_path, source, lang, side)
        run_translate(
            source, out_path, translator, src, tgt, direction, summary, batch_size, progress,
            engine=build_engine(engine, ray_address, workers, gpus_per_worker),
        )
    typer.echo(summary.format())


def run_translate(
    in_path: Path,
    out_path: Path,
    translator: Any,
    src: str,
    tgt: str,
    direction: str,
    summary: Any,
    batch_size: int = 16,
    progress: bool = False,
    engine: Any = None,
) -> Any:
    """The resumable loop behind ``xproj translate`` (also used by tests)."""
    from ..runner import run_pairs
    from ..translate.component import translate_pairs

    def process(batch: List[Any]) -> List[Any]:
        before, cut = getattr(translator, "hits", 0), getattr(translator, "truncated", 0)
        out = translate_pairs(batch, translator, src, tgt, direction, warn=summary.warn)
        summary.cached += getattr(translator, "hits", 0) - before
        if getattr(translator, "truncated", 0) > cut:
            summary.warn("input truncated to the model's maximum", translator.truncated - cut)
        return out

    return run_pairs(
        in_path, out_path, process, command="translate", batch_size=max(batch_size, 1) * 4,
        summary=summary, progress=progress, engine=engine,
    )

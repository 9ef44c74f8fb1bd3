"""``xproj convert``: between CoNLL/IOB, Europarl-NER, MAFAND-MT, pair JSONL and DocBin."""
from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Iterable, Iterator, Optional

import typer

from ..corpus.conll import SEPARATORS, read_conll, write_conll
from ..corpus.docbin import read_docbin, write_docbin
from ..corpus.europarl import read_europarl
from ..corpus.jsonl import read_pairs, write_pairs, write_text
from ..corpus.mafand import mafand_source_language, read_mafand
from ..errors import InputError
from ..progress import progress as progress_bar
from ..runner import RunSummary
from ..types import Pair
from .app import app


class InFormat(str, Enum):
    conll = "conll"
    europarl = "europarl"
    mafand = "mafand"
    pairs = "pairs"
    docbin = "docbin"


class OutFormat(str, Enum):
    pairs = "pairs"
    conll = "conll"
    docbin = "docbin"
    text = "text"


class SideName(str, Enum):
    src = "src"
    tgt = "tgt"


class Sep(str, Enum):
    keep = "keep"
    space = "space"
    tab = "tab"


def _progress(items: Iterable[Pair], summary: RunSummary, show: bool) -> Iterator[Pair]:
    bar = progress_bar(summary.command, unit="sentence", enabled=show)
    for item in items:
        summary.records_in += 1
        bar.update(1)
        yield item
    bar.close()


def read_input(
    path: Path,
    fmt: str,
    *,
    src_lang: str,
    tgt_lang: Optional[str],
    side: str,
    id_prefix: Optional[str] = None,
) -> Iterable[Pair]:
    """The pairs of ``path`` in format ``fmt`` (the reading half of ``xproj convert``)."""
    if fmt == "conll":
        lang = src_lang if side == "src" else tgt_lang
        if lang is None:
            raise InputError("--tgt-lang is required to read CoNLL sentences as the tgt side", path)
        other = tgt_lang if side == "src" else src_lang
        return read_conll(path, lang, side=side, other_lang=other, id_prefix=id_prefix)
    if fmt == "europarl":
        if not path.is_dir():
            raise InputError("--from europarl takes the Europarl-NER folder", path)
        return read_europarl(path, src_lang, tgt_lang or "de")
    if fmt == "mafand":
        if src_lang == "auto":
            if tgt_lang is None:
                raise InputError("--src-lang auto needs --tgt-lang (the source is the other language)", path)
            src_lang = mafand_source_language(path, tgt_lang)
        return read_mafand(path, src_lang, tgt_lang, id_prefix=id_prefix)
    if fmt == "pairs":
        return read_pairs(path)
    if fmt == "docbin":
        lang = src_lang if side == "src" else tgt_lang
        other = tgt_lang if side == "src" else src_lang
        return read_docbin(path, lang or "xx", side=side, other_lang=other, id_prefix=id_prefix)
    raise InputError(f"unknown input format {fmt!r}")


def convert(
    in_path: Path,
    out_path: Path,
    from_format: str,
    to_format: str,
    *,
    src_lang: str = "en",
    tgt_lang: Optional[str] = None,
    side: str = "tgt",
    sep: str = "keep",
    id_prefix: Optional[str] = None,
    progress: bool = True,
) -> RunSummary:
    """Convert ``in_path`` to ``out_path``; returns the run summary (records in / out, warnings)."""
    if in_path.exists() and out_path.exists() and in_path.resolve() == out_path.resolve():
        raise InputError("the output must be a different file from the input", out_path)
    summary = RunSummary("convert")
    pairs = _progress(
        read_input(in_path, from_format, src_lang=src_lang, tgt_lang=tgt_lang, side=side, id_prefix=id_prefix),
        summary,
        progress,
    )
    if to_format == "pairs":
        summary.records_out = write_pairs(out_path, pairs)
    elif to_format == "conll":
        summary.records_out = write_conll(out_path, pairs, side=side, sep=SEPARATORS.get(sep))
    elif to_format == "docbin":
        stats: dict = {}
        summary.records_out = write_docbin(out_path, pairs, side=side, stats=stats)
        if stats.get("overlapping"):
            summary.warn("overlapping entities (first non-overlapping kept in doc.ents)", stats["overlapping"])
        if stats.get("empty"):
            summary.warn("empty sentences", stats["empty"])
    elif to_format == "text":
        summary.records_out = write_text(out_path, pairs, side=side)
    else:
        raise InputError(f"unknown output format {to_format!r}")
    if summary.records_in != summary.records_out:  # defensive: every writer writes what it reads
        raise InputError(f"convert read {summary.records_in} records but wrote {summary.records_out}", out_path)
    return summary


@app.command("convert")
def convert_cli(
    in_path: Path = typer.Argument(..., help="Input file (for --from europarl: the Europarl-NER folder)."),
    out_path: Path = typer.Argument(..., help="Output file (written atomically)."),
    from_format: InFormat = typer.Option(
        ..., "--from", help="Input format: conll (token-per-line IOB: MasakhaNER, CoNLL-2003, Europarl, "
        "WikiNEuRal), europarl (folder, pairs sentence k of src and tgt), mafand (MAFAND-MT JSONL, .gz ok), "
        "pairs (pair JSONL), docbin (.spacy)."
    ),
    to_format: OutFormat = typer.Option(..., "--to", help="Output format: pairs, conll, docbin, "
                                           "or text (raw text for `spacy pretrain`: {\"text\": ...} per line)."),
    src_lang: str = typer.Option("en", "--src-lang", help="Language of the src side (mafand: auto = the key that is not --tgt-lang)."),
    tgt_lang: Optional[str] = typer.Option(
        None, "--tgt-lang", help="Language of the tgt side (europarl: default de; mafand: the other key)."
    ),
    side: SideName = typer.Option(
        SideName.tgt, "--side",
        help="conll/docbin -> pairs: which pair side the sentences become (the other side is empty); "
        "pairs -> conll/docbin/text: which side is written.",
    ),
    sep: Sep = typer.Option(
        Sep.keep, "--sep", help="CoNLL output column separator: keep (the one recorded in the pairs, "
        "default space), space or tab."
    ),
    id_prefix: Optional[str] = typer.Option(
        None, "--id-prefix", help="Pair ids are <prefix>/<k> (default: <folder>/<file stem> for CoNLL)."
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Convert between corpus formats; `pairs -> conll` writes MasakhaNER files back byte for byte.

    Examples:

      xproj convert hau/test.txt hau_test.jsonl --from conll --to pairs --tgt-lang hau

      xproj convert hau_test.jsonl hau_test.txt --from pairs --to conll

      xproj convert europarl_ner/ europarl.jsonl --from europarl --to pairs --src-lang en --tgt-lang de

      xproj convert projected.jsonl train.spacy --from pairs --to docbin --side tgt

      xproj convert en-hau/train.jsonl hau_raw.jsonl --from mafand --to text --tgt-lang hau
    """
    summary = convert(
        in_path,
        out_path,
        from_format.value,
        to_format.value,
        src_lang=src_lang,
        tgt_lang=tgt_lang,
        side=side.value,
        sep=sep.value,
        id_prefix=id_prefix,
        progress=progress,
    )
    typer.echo(summary.format())
    typer.echo(f"wrote {out_path}")

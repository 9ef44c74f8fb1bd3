"""``xproj evaluate``: entity-level P/R/F1 (seqeval-equal) and projection rate."""
from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import typer

from ..atomic import atomic_write_text, refuse_same_file
from ..corpus.conll import read_conll_file
from ..corpus.jsonl import read_pairs
from ..errors import InputError
from ..evaluate.metrics import check_same_sentences, evaluate_entities, format_table
from ..types import Entity
from .app import app

PAIR_SUFFIXES = (".jsonl", ".json")


class FileFormat(str, Enum):
    auto = "auto"
    pairs = "pairs"
    conll = "conll"


def load_sentences(path: Path, fmt: str = "auto", side: str = "tgt") -> Tuple[List[List[str]], List[List[Entity]], Optional[List[str]]]:
    """Words, entities (and pair ids) of every sentence of a pair JSONL or CoNLL file."""
    if not path.exists():
        raise InputError("file not found", path)
    if fmt == "auto":
        fmt = "pairs" if path.suffix in PAIR_SUFFIXES else "conll"
    if fmt == "pairs":
        pairs = list(read_pairs(path))
        return [getattr(p, side).words for p in pairs], [getattr(p, side).ents for p in pairs], [p.id for p in pairs]
    sents = read_conll_file(path)
    return [s.words for s in sents], [s.entities for s in sents], None


def evaluate_files(
    pred: Path,
    gold: Path,
    *,
    side: str = "tgt",
    ignore_labels: Optional[List[str]] = None,
    pred_format: str = "auto",
    gold_format: str = "auto",
) -> Dict[str, Any]:
    """Score ``pred`` against ``gold`` (same sentences, checked); returns the metrics dict."""
    pw, pe, ids = load_sentences(pred, pred_format, side)
    gw, ge, _ = load_sentences(gold, gold_format, side)
    check_same_sentences(gw, pw, str(gold), str(pred), ids)
    results = evaluate_entities(ge, pe, ignore_labels or [])
    results["pred"] = str(pred)
    results["gold"] = str(gold)
    return results


@app.command("evaluate")
def evaluate_cli(
    pred: Path = typer.Argument(..., help="Predictions: pair JSONL (.jsonl) or CoNLL file."),
    gold: Path = typer.Argument(..., help="Gold: pair JSONL (.jsonl) or CoNLL file, same sentences as PRED."),
    side: str = typer.Option("tgt", "--side", help="Side of pair files to score (src or tgt)."),
    ignore_label: List[str] = typer.Option(
        [], "--ignore-label", help="Drop entities with this label from gold and prediction (repeatable; "
        "the paper drops DATE and MISC on MasakhaNER 2.0)."
    ),
    fmt: FileFormat = typer.Option(
        FileFormat.auto, "--format", help="Format of both files: auto (.jsonl/.json = pairs, else CoNLL), pairs, conll."
    ),
    pred_format: Optional[FileFormat] = typer.Option(None, "--pred-format", help="Override --format for PRED."),
    gold_format: Optional[FileFormat] = typer.Option(None, "--gold-format", help="Override --format for GOLD."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the metrics as JSON here."),
) -> None:
    """Entity-level precision, recall and F1 per label and overall (equal to seqeval's default mode),
    plus the projection rate (mean #pred/#gold entities per sentence).

    Example: xproj evaluate projected.jsonl masakhaner2/hau/test.txt --ignore-label DATE --output metrics.json
    """
    if side not in ("src", "tgt"):
        raise typer.BadParameter("--side must be src or tgt")
    if output is not None:
        refuse_same_file(output, pred, gold, option="--output")
    results = evaluate_files(
        pred,
        gold,
        side=side,
        ignore_labels=list(ignore_label),
        pred_format=(pred_format or fmt).value,
        gold_format=(gold_format or fmt).value,
    )
    typer.echo(format_table(results))
    if output is not None:
        atomic_write_text(output, json.dumps(results, indent=2, sort_keys=True) + "\n")
        typer.echo(f"wrote {output}")

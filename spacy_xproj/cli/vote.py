"""``xproj vote``: keep the entities that most of several NER models agree on.

    xproj label pairs.jsonl a.jsonl --model model_a --backend spacy
    xproj label pairs.jsonl b.jsonl --model model_b --backend spacy
    xproj label pairs.jsonl c.jsonl --model model_c --backend spacy
    xproj vote voted.jsonl a.jsonl b.jsonl c.jsonl

The inputs are labellings of one pair file (same pairs, same order, same words). An entity is
kept when at least ``--min-votes`` inputs hold it exactly (span and type; default: a strict
majority). Everything else of a pair (the other side, alignment, meta) comes from the first input.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from ..corpus.jsonl import read_pairs, write_pairs
from ..label.vote import check_min_votes, vote_pairs
from .app import app


@app.command("vote")
def vote_cli(
    out_path: Path = typer.Argument(..., help="Output pair JSONL (written atomically)."),
    in_paths: List[Path] = typer.Argument(..., help="Labellings of the same pair JSONL by different models (two or more).", exists=True, dir_okay=False),
    side: str = typer.Option("src", "--side", help="The side whose entities are voted on (src or tgt)."),
    min_votes: Optional[int] = typer.Option(None, "--min-votes", show_default="a strict majority of the inputs", help="Inputs that must hold an entity for it to be kept."),
    stats: Optional[Path] = typer.Option(None, "--stats", help="Write the counts as JSON here."),
) -> None:
    """Majority vote over the entities of several labellings of one pair file."""
    if len(in_paths) < 2:
        raise typer.BadParameter(f"give at least two labelled files to vote over, got {len(in_paths)}", param_hint="IN_PATHS")
    if side not in ("src", "tgt"):
        raise typer.BadParameter(f"must be src or tgt, got {side!r}", param_hint="--side")
    k = check_min_votes(min_votes, len(in_paths))
    counts = {"pairs": 0, "kept": 0, "distinct": 0}

    def voted():
        for pair, kept, distinct in vote_pairs([read_pairs(p) for p in in_paths], [str(p) for p in in_paths], side, k):
            counts["pairs"] += 1
            counts["kept"] += kept
            counts["distinct"] += distinct
            yield pair

    write_pairs(out_path, voted())
    typer.echo(f"vote: {counts['pairs']} pairs; {counts['kept']} of {counts['distinct']} distinct {side} entities "
               f"kept (in at least {k} of {len(in_paths)} labellings)")
    if stats is not None:
        stats.parent.mkdir(parents=True, exist_ok=True)
        stats.write_text(json.dumps({"inputs": [str(p) for p in in_paths], "side": side, "min_votes": k, **counts},
                                    indent=2) + "\n", encoding="utf8")
    typer.echo(f"wrote {out_path}")

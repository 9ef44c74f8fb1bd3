"""``xproj filter``: drop unreliable pairs and mark uncertain target words as missing.

    xproj filter pairs.jsonl kept.jsonl --exclude test.conll
    xproj filter aligned.jsonl clean.jsonl --max-length-ratio 2 --min-coverage 0.5
    xproj filter projected.jsonl train.jsonl --require-entities --source-aligned --partial
    xproj filter projected.jsonl train.jsonl --min-name-share 0.1 --require-entities --partial

The options build a config of registered functions (registry ``xproj_filters``) that is resolved
through spaCy's registry, so ``--config filters.cfg`` can name any registered filter instead
(sections ``[filters.<name>]`` with ``@xproj_filters = ...``, ``[annotate]`` and ``[names]``, a
corpus-level rule fitted on the whole input before the other filters run). The run summary
counts the pairs each filter dropped; ``--stats`` writes the counts as JSON.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence

import typer
from thinc.api import Config

from ..corpus.filters import FilterCounts, apply_filters
from ..types import Pair
from ..corpus.jsonl import read_pairs, write_pairs
from ..errors import ConfigError
from ..registry import registry
from .app import app


def build_filter_config(
    *,
    exclude: Sequence[str] = (),
    exclude_side: str = "tgt",
    max_length_ratio: Optional[float] = None,
    min_coverage: Optional[float] = None,
    require_entities: bool = False,
    keep_empty_source: bool = False,
    source_aligned: bool = False,
    contiguous: bool = False,
    equal_counts: bool = False,
    partial: bool = False,
    min_score: float = 0.0,
    capitalised_missing: bool = False,
    min_name_share: float = 0.0,
    min_name_occurrences: int = 5,
) -> Dict[str, Any]:
    """The config (a dict of registered-function sections) that the CLI options stand for."""
    fs: Dict[str, Dict[str, Any]] = {}
    if exclude:
        fs["exclude"] = {"@xproj_filters": "spacy-xproj.ExcludeSentencesFilter.v1", "paths": [str(p) for p in exclude],
                         "side": exclude_side}
    if max_length_ratio is not None:
        fs["length_ratio"] = {"@xproj_filters": "spacy-xproj.LengthRatioFilter.v1", "max_ratio": max_length_ratio}
    if min_coverage is not None:
        fs["alignment_coverage"] = {"@xproj_filters": "spacy-xproj.AlignmentCoverageFilter.v1", "min_coverage": min_coverage}
    if require_entities:
        fs["has_entities"] = {"@xproj_filters": "spacy-xproj.HasEntitiesFilter.v1", "keep_empty_source": keep_empty_source}
    if source_aligned:
        fs["source_aligned"] = {"@xproj_filters": "spacy-xproj.SourceAlignedFilter.v1"}
    if contiguous:
        fs["contiguous"] = {"@xproj_filters": "spacy-xproj.ContiguousFilter.v1"}
    if equal_counts:
        fs["equal_counts"] = {"@xproj_filters": "spacy-xproj.EqualCountsFilter.v1"}
    cfg: Dict[str, Any] = {"filters": fs}
    if min_name_share > 0:
        cfg["names"] = {"@xproj_filters": "spacy-xproj.NameConsistency.v1", "min_share": min_name_share,
                        "min_occurrences": min_name_occurrences}
    if partial or min_score > 0 or capitalised_missing:
        cfg["annotate"] = {
            "@xproj_filters": "spacy-xproj.PartialAnnotation.v1",
            "min_score": min_score,
            "unprojected": partial,
            "unaligned_words": partial,
            "capitalised": capitalised_missing,
        }
    return cfg


def _resolve(cfg: Dict[str, Any]) -> Dict[str, Any]:
    try:
        return registry.resolve(Config(cfg), validate=True)
    except Exception as err:  # catalogue / pydantic errors name the bad section
        raise ConfigError(f"bad filter config: {err}") from None


def resolve_filters(cfg: Dict[str, Any]):
    """Resolve a filter config through the registry: ``(list of filters, annotate or None)``."""
    resolved = _resolve(cfg)
    return list((resolved.get("filters") or {}).values()), resolved.get("annotate")


def run_filter(in_path: Path, out_path: Path, cfg: Dict[str, Any]) -> FilterCounts:
    resolved = _resolve(cfg)
    keep, annotate = list((resolved.get("filters") or {}).values()), resolved.get("annotate")
    counts = FilterCounts()
    pairs: Iterable[Pair] = read_pairs(in_path)
    if resolved.get("names") is not None:  # corpus level: fitted on every input pair, applied first
        pairs = list(pairs)
        remove = resolved["names"](pairs)

        def cleaned(items=pairs):
            for pair in items:
                pair, n = remove(pair)
                counts.inconsistent_ents += n
                yield pair

        pairs = cleaned()
    write_pairs(out_path, apply_filters(pairs, keep, annotate, counts))
    return counts


def format_counts(counts: FilterCounts) -> str:
    dropped = ", ".join(f"{k}={v}" for k, v in sorted(counts.dropped.items())) or "none"
    line = f"filter: {counts.seen} in, {counts.kept} out; dropped: {dropped}"
    if counts.sentences_with_missing or counts.low_score_ents or counts.unprojected_ents:
        line += (
            f"; partial annotation: {counts.sentences_with_missing} sentences with missing words "
            f"({counts.missing_words} words), {counts.low_score_ents} low-score entities removed, "
            f"{counts.unprojected_ents} lost source entities"
        )
    if counts.inconsistent_ents:
        line += f"; {counts.inconsistent_ents} inconsistent names made missing"
    return line


@app.command("filter")
def filter_cli(
    in_path: Path = typer.Argument(..., help="Pair JSONL (aligned, or projected).", exists=True, dir_okay=False),
    out_path: Path = typer.Argument(..., help="Output pair JSONL (written atomically)."),
    exclude: List[Path] = typer.Option([], "--exclude", help="Pair filter: drop pairs whose sentence (--exclude-side) occurs in this CoNLL or pair JSONL file, e.g. the test set (repeatable; compared without spaces and case).", exists=True, dir_okay=False),
    exclude_side: str = typer.Option("tgt", help="With --exclude: the side compared (src or tgt)."),
    max_length_ratio: Optional[float] = typer.Option(None, help="Pair filter: drop pairs whose word counts differ by more than this factor."),
    min_coverage: Optional[float] = typer.Option(None, help="Pair filter: drop pairs where less than this fraction of either side's words is aligned."),
    require_entities: bool = typer.Option(False, help="Sentence filter: drop sentences without projected entities."),
    keep_empty_source: bool = typer.Option(False, help="With --require-entities: keep sentences whose source has no entities either."),
    source_aligned: bool = typer.Option(False, help="Sentence filter: every source entity word has an alignment link."),
    contiguous: bool = typer.Option(False, help="Sentence filter: each source entity aligns to one contiguous target run."),
    equal_counts: bool = typer.Option(False, help="Sentence filter: same number of entities per type on both sides."),
    partial: bool = typer.Option(False, help="Partial annotation: words aligned to lost source entities become missing, not O."),
    min_score: float = typer.Option(0.0, help="Partial annotation: projected entities scoring below this become missing."),
    capitalised_missing: bool = typer.Option(False, help="Partial annotation: capitalised words outside entities become missing."),
    min_name_share: float = typer.Option(0.0, help="Corpus level: projected entities whose words are an entity in less than this share of their occurrences in the file (at least --min-name-occurrences) become missing; 0 = off."),
    min_name_occurrences: int = typer.Option(5, help="With --min-name-share: only strings occurring at least this often are judged."),
    config: Optional[Path] = typer.Option(None, "--config", help="A filter config file (replaces the options above).", exists=True, dir_okay=False),
    stats: Optional[Path] = typer.Option(None, "--stats", help="Write the counts as JSON here."),
) -> None:
    """Filter pairs and add partial annotation; prints how many pairs each filter dropped."""
    if config is not None:
        cfg: Dict[str, Any] = dict(Config().from_disk(config))
    else:
        if exclude_side not in ("src", "tgt"):
            raise typer.BadParameter(f"must be src or tgt, got {exclude_side!r}", param_hint="--exclude-side")
        cfg = build_filter_config(
            exclude=[str(p) for p in exclude], exclude_side=exclude_side,
            max_length_ratio=max_length_ratio, min_coverage=min_coverage, require_entities=require_entities,
            keep_empty_source=keep_empty_source, source_aligned=source_aligned, contiguous=contiguous,
            equal_counts=equal_counts, partial=partial, min_score=min_score,
            capitalised_missing=capitalised_missing, min_name_share=min_name_share,
            min_name_occurrences=min_name_occurrences,
        )
    counts = run_filter(in_path, out_path, cfg)
    typer.echo(format_counts(counts))
    if stats is not None:
        stats.parent.mkdir(parents=True, exist_ok=True)
        stats.write_text(json.dumps({"config": cfg, **counts.as_dict()}, indent=2) + "\n", encoding="utf8")
    typer.echo(f"wrote {out_path}")

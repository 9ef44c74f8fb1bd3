"""Entity-level precision / recall / F1 equal to seqeval (default mode), and the projection rate.

Entities are compared per sentence as sets of ``(label, start, end)``: an entity is correct when a
predicted entity has the same label and the same boundaries. This is exactly what seqeval's default
(conlleval) mode computes from tag sequences when the tags are decoded with
:func:`spacy_xproj.corpus.conll.tags_to_entities`:

* per label: ``P = correct / predicted``, ``R = correct / gold``, ``F1 = 2PR / (P + R)``, each 0 when
  its denominator is 0 (seqeval's ``zero_division="warn"`` value);
* overall: the same from the counts summed over labels (micro average).

``ignore_labels`` (the paper drops DATE for MasakhaNER 2.0, and MISC which MasakhaNER lacks) removes
entities of those labels from gold and prediction before scoring, which equals mapping their tags to
``O`` as the paper's code does.

Entity lists may overlap (raw projections); each distinct ``(label, start, end)`` counts once, as in a
set. Tag sequences cannot express overlaps, so only then can the result differ from seqeval.

Projection rate (the paper's ``proj_ratio``): the mean over sentences of ``#pred / #gold`` entities
after ignoring labels; a sentence with no gold and no predicted entity counts 1; a sentence with no
gold but some predicted entities counts **0** (as the paper's code does: it adds nothing for it but
still divides by the number of sentences). How many sentences are in that last case is reported as
``sentences_pred_without_gold``.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from ..corpus.conll import tags_to_entities
from ..errors import InputError
from ..types import Entity, Pair

Key = Tuple[str, int, int]


def _prf(correct: int, n_pred: int, n_gold: int) -> Dict[str, float]:
    p = correct / n_pred if n_pred else 0.0
    r = correct / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if (p + r) else 0.0
    return {"precision": p, "recall": r, "f1": f, "n_gold": n_gold, "n_pred": n_pred, "n_correct": correct}


def _keys(ents: Iterable[Entity], ignore: Set[str]) -> Set[Key]:
    return {(e.label, e.start, e.end) for e in ents if e.label not in ignore}


def evaluate_entities(
    gold: Sequence[Iterable[Entity]],
    pred: Sequence[Iterable[Entity]],
    ignore_labels: Iterable[str] = (),
) -> Dict[str, Any]:
    """Score predicted against gold entities, sentence by sentence (same number of sentences).

    Returns a JSON-ready dict: ``overall`` and ``per_label`` (``precision``, ``recall``, ``f1``,
    ``n_gold``, ``n_pred``, ``n_correct``), ``projection_rate``, ``sentences``,
    ``sentences_pred_without_gold`` and ``ignored_labels``.
    """
    if len(gold) != len(pred):
        raise ValueError(f"gold has {len(gold)} sentences, prediction has {len(pred)}")
    ignore = set(ignore_labels)
    counts: Dict[str, List[int]] = {}  # label -> [correct, pred, gold]
    rate_sum = 0.0
    pred_without_gold = 0
    for g_ents, p_ents in zip(gold, pred):
        g, p = _keys(g_ents, ignore), _keys(p_ents, ignore)
        for key in g:
            counts.setdefault(key[0], [0, 0, 0])[2] += 1
        for key in p:
            c = counts.setdefault(key[0], [0, 0, 0])
            c[1] += 1
            if key in g:
                c[0] += 1
        if g:
            rate_sum += len(p) / len(g)
        elif not p:
            rate_sum += 1.0
        else:
            pred_without_gold += 1
    total = [sum(c[i] for c in counts.values()) for i in range(3)]
    n = len(gold)
    return {
        "overall": _prf(total[0], total[1], total[2]),
        "per_label": {label: _prf(*counts[label]) for label in sorted(counts)},
        "projection_rate": rate_sum / n if n else 1.0,
        "sentences": n,
        "sentences_pred_without_gold": pred_without_gold,
        "ignored_labels": sorted(ignore),
    }


def evaluate_tags(
    gold_tags: Sequence[Sequence[str]],
    pred_tags: Sequence[Sequence[str]],
    ignore_labels: Iterable[str] = (),
) -> Dict[str, Any]:
    """:func:`evaluate_entities` on IOB tag sequences (decoded with the conlleval rule)."""
    if len(gold_tags) != len(pred_tags):
        raise ValueError(f"gold has {len(gold_tags)} sentences, prediction has {len(pred_tags)}")
    for i, (g, p) in enumerate(zip(gold_tags, pred_tags)):
        if len(g) != len(p):
            raise ValueError(f"sentence {i}: gold has {len(g)} tags, prediction has {len(p)}")
    return evaluate_entities(
        [tags_to_entities(t) for t in gold_tags], [tags_to_entities(t) for t in pred_tags], ignore_labels
    )


def check_same_sentences(
    gold_words: Sequence[Sequence[str]],
    pred_words: Sequence[Sequence[str]],
    gold_source: Optional[str] = None,
    pred_source: Optional[str] = None,
    ids: Optional[Sequence[str]] = None,
) -> None:
    """Raise ``InputError`` unless both sides have the same sentences (count and words)."""
    if len(gold_words) != len(pred_words):
        raise InputError(
            f"prediction ({pred_source or 'pred'}) has {len(pred_words)} sentences, "
            f"gold ({gold_source or 'gold'}) has {len(gold_words)}: they must be the same sentences",
        )
    for i, (g, p) in enumerate(zip(gold_words, pred_words)):
        if list(g) != list(p):
            detail = f"{len(p)} vs {len(g)} words" if len(g) != len(p) else "different words"
            first = next((j for j, (a, b) in enumerate(zip(p, g)) if a != b), min(len(p), len(g)))
            raise InputError(
                f"sentence {i} differs between prediction and gold ({detail}; first difference at "
                f"word {first}): they must be the same sentences",
                pred_source,
                record=ids[i] if ids else None,
            )


def evaluate_pairs(
    pred: Sequence[Pair], gold: Sequence[Pair], side: str = "tgt", ignore_labels: Iterable[str] = ()
) -> Dict[str, Any]:
    """Score the ``side`` entities of predicted pairs against gold pairs (same sentences required)."""
    pw = [getattr(p, side).words for p in pred]
    gw = [getattr(g, side).words for g in gold]
    check_same_sentences(gw, pw, ids=[p.id for p in pred])
    return evaluate_entities(
        [getattr(g, side).ents for g in gold], [getattr(p, side).ents for p in pred], ignore_labels
    )


def format_table(results: Dict[str, Any], digits: int = 4) -> str:
    """A readable table of per-label and overall scores plus the projection rate."""
    header = f"{'label':<10} {'P':>8} {'R':>8} {'F1':>8} {'gold':>7} {'pred':>7} {'correct':>8}"
    rows = [header, "-" * len(header)]

    def row(name: str, s: Dict[str, Any]) -> str:
        return (
            f"{name:<10} {s['precision']:>8.{digits}f} {s['recall']:>8.{digits}f} {s['f1']:>8.{digits}f} "
            f"{s['n_gold']:>7} {s['n_pred']:>7} {s['n_correct']:>8}"
        )

    for label, s in results["per_label"].items():
        rows.append(row(label, s))
    rows.append("-" * len(header))
    rows.append(row("overall", results["overall"]))
    rows.append("")
    rows.append(
        f"sentences: {results['sentences']}; projection rate (mean #pred/#gold per sentence): "
        f"{results['projection_rate']:.{digits}f}; sentences with predictions but no gold: "
        f"{results['sentences_pred_without_gold']}"
    )
    if results.get("ignored_labels"):
        rows.append("ignored labels: " + ", ".join(results["ignored_labels"]))
    return "\n".join(rows)

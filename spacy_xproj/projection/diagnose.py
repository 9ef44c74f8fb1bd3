"""Error analysis of projected entities against gold target entities.

:func:`classify_errors` sorts every miss (gold target entity not predicted exactly) and every false
positive (predicted entity not in gold) of one projection run into a few classes, so that one table
says where the F1 is lost:

* ``boundary: function word`` — a prediction overlaps the gold entity with the same label and the
  words that differ are all function words (lowercase words of at most 4 letters, punctuation,
  ``'s``: articles, prepositions, contractions such as ``del``/``zur``);
* ``boundary: content word`` — the same, but a differing word is a content word (a compound part,
  a title, a name part left out or added);
* ``name split`` — two or more predictions of the same label lie inside one gold entity;
* ``wrong label`` — a prediction has the gold span but another label;
* ``no link`` — nothing overlaps the gold entity and some source entity of its label has no
  alignment link at all;
* ``misplaced`` — nothing overlaps the gold entity although the source entities of its label are
  linked (the links or the matching point elsewhere);
* ``count mismatch`` — the pair's gold source and target sides have different numbers of entities of
  that label (an entity left out by the translation, or gold noise); applies to misses and false
  positives that nothing overlaps.
"""
from __future__ import annotations

from collections import Counter
from typing import Dict, List, Sequence, Tuple

from ..types import Entity, Pair
from .surface import is_function_word

CLASSES = (
    "boundary: function word",
    "boundary: content word",
    "name split",
    "wrong label",
    "no link",
    "misplaced",
    "count mismatch",
)


def _overlap(a: Entity, b: Entity) -> bool:
    return a.start < b.end and b.start < a.end


def _diff_words(a: Entity, b: Entity, words: Sequence[str]) -> List[str]:
    sa, sb = set(range(a.start, a.end)), set(range(b.start, b.end))
    return [words[k] for k in sorted(sa ^ sb)]


def classify_pair(gold: Pair, pred: Pair) -> Tuple[Counter, Counter]:
    """``(misses, false_positives)``: counts per class for one pair (gold and prediction share words)."""
    words = gold.tgt.words
    g = [e for e in gold.tgt.ents]
    p = [e for e in pred.tgt.ents]
    gset = {(e.start, e.end, e.label) for e in g}
    pset = {(e.start, e.end, e.label) for e in p}
    misses: Counter = Counter()
    fps: Counter = Counter()
    src_count = Counter(e.label for e in gold.src.ents)
    tgt_count = Counter(e.label for e in g)
    linked = {i for i, _ in (pred.alignment or gold.alignment or [])}

    def unlinked_source(label: str) -> bool:
        return any(e.label == label and not any(k in linked for k in range(e.start, e.end))
                   for e in gold.src.ents)

    def boundary(a: Entity, b: Entity) -> str:
        diff = _diff_words(a, b, words)
        return "boundary: function word" if all(is_function_word(w) for w in diff) else "boundary: content word"

    for e in g:
        if (e.start, e.end, e.label) in pset:
            continue
        over = [q for q in p if _overlap(q, e)]
        same = [q for q in over if q.label == e.label]
        if any((q.start, q.end) == (e.start, e.end) for q in over):
            misses["wrong label"] += 1
        elif len([q for q in same if e.start <= q.start and q.end <= e.end]) >= 2:
            misses["name split"] += 1
        elif same:
            misses[boundary(same[0], e)] += 1
        elif src_count[e.label] != tgt_count[e.label]:
            misses["count mismatch"] += 1
        elif unlinked_source(e.label):
            misses["no link"] += 1
        else:
            misses["misplaced"] += 1
    for q in p:
        if (q.start, q.end, q.label) in gset:
            continue
        over = [e for e in g if _overlap(q, e)]
        same = [e for e in over if e.label == q.label]
        if any((e.start, e.end) == (q.start, q.end) for e in over):
            fps["wrong label"] += 1
        elif same and any(len([r for r in p if r.label == e.label and e.start <= r.start and r.end <= e.end]) >= 2
                          and e.start <= q.start and q.end <= e.end for e in same):
            fps["name split"] += 1
        elif same:
            fps[boundary(q, same[0])] += 1
        elif src_count[q.label] != tgt_count[q.label]:
            fps["count mismatch"] += 1
        else:
            fps["misplaced"] += 1
    return misses, fps


def classify_errors(gold: Sequence[Pair], pred: Sequence[Pair]) -> Dict[str, Dict[str, int]]:
    """``{"misses": {class: n}, "false_positives": {class: n}}`` over a corpus (pairs in the same order)."""
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold pairs but {len(pred)} predicted pairs")
    misses: Counter = Counter()
    fps: Counter = Counter()
    for g, p in zip(gold, pred):
        m, f = classify_pair(g, p)
        misses.update(m)
        fps.update(f)
    return {
        "misses": {c: misses.get(c, 0) for c in CLASSES},
        "false_positives": {c: fps.get(c, 0) for c in CLASSES},
    }


def format_errors(tables: Dict[str, Dict[str, Dict[str, int]]]) -> str:
    """A markdown table, one column pair (misses, false positives) per named run."""
    names = list(tables)
    head = "| class | " + " | ".join(f"{n} misses | {n} FP" for n in names) + " |"
    lines = [head, "|---|" + "---:|---:|" * len(names)]
    for c in CLASSES:
        cells = []
        for n in names:
            cells += [str(tables[n]["misses"][c]), str(tables[n]["false_positives"][c])]
        lines.append(f"| {c} | " + " | ".join(cells) + " |")
    totals = []
    for n in names:
        totals += [str(sum(tables[n]["misses"].values())), str(sum(tables[n]["false_positives"].values()))]
    lines.append("| total | " + " | ".join(totals) + " |")
    return "\n".join(lines)

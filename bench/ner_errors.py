"""Where a target NER loses: its predictions against the gold entities, sorted into kinds of error.

    python bench/ner_errors.py corpus/hau/parallel/test.pred.jsonl corpus/hau/test.jsonl [--top 10]

Both files are pair JSONL with the same sentences in the same order (the target side is read):
the predictions that ``parallel-evaluate`` writes and the gold test sentences it scores them on.
Types outside ``--labels`` (default PER ORG LOC) are ignored on both sides.

Every gold entity that was not predicted exactly is one of: **type** (a prediction has its words
and another type), **boundary** (a prediction overlaps it with other words) or **missed** (no
prediction overlaps it); every wrong prediction is **type**, **boundary** or **spurious** (overlaps
no gold entity). Two boundary patterns are counted apart, because they are usually annotation
conventions rather than errors of a model:

* **lacks leading lower-case words**: the prediction is the gold entity without its first,
  lower-case words (``Ingila`` for MasakhaNER Hausa's ``kasar Ingila`` 'the country England');
* **adds leading words**: the prediction is the gold entity with words in front (a title:
  ``Gọvanọ Willie Obianọ`` 'Governor …' for ``Willie Obianọ``).

The report gives F1 as scored, the F1 if the first pattern were counted right, and the most common
strings of every kind.

With ``--train FILE`` (pair JSONL, target side: the projected ``training.jsonl`` of ``parallel``, or
the gold train split as pairs), every gold entity the model did not find is also sorted by how the
training sentences showed its words, which tells the causes of a transfer's loss apart:

* **unseen**: the words never occur in the training sentences (coverage);
* **this type** / **other type**: they occur mostly as an entity with exactly these boundaries, of
  the gold type or of another one (a source-side type error shows here);
* **other boundaries**: mostly inside or across an entity with other boundaries;
* **O** / **missing**: mostly outside every entity, labelled ``O`` or missing (names the projection
  never brought over teach the model that the name is no entity).

Each occurrence counts once, by its label in that sentence; "mostly" is the most frequent of them.
Run it on the predictions of ``parallel`` with its training file and on those of ``ceiling`` with
the gold train split to see where the two differ.
"""
from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

from spacy_xproj.corpus.jsonl import read_pairs

Span = Tuple[int, int, str]


@dataclass
class ErrorCounts:
    correct: Counter = field(default_factory=Counter)  # label -> exact matches
    gold: Counter = field(default_factory=Counter)  # (kind, label) -> gold entities not predicted
    pred: Counter = field(default_factory=Counter)  # (kind, label) -> wrong predictions
    strings: Dict[Tuple[str, str, str], Counter] = field(default_factory=dict)  # (side, kind, label) -> text
    lacks_leading_lower: Counter = field(default_factory=Counter)  # missing words -> count
    adds_leading: Counter = field(default_factory=Counter)  # added words -> count

    def note(self, side: str, kind: str, label: str, text: str) -> None:
        (self.gold if side == "gold" else self.pred)[kind, label] += 1
        self.strings.setdefault((side, kind, label), Counter())[text] += 1

    def f1(self, fixed: int = 0) -> float:
        tp = sum(self.correct.values()) + fixed
        fp = sum(self.pred.values()) - fixed
        fn = sum(self.gold.values()) - fixed
        return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def _kind(span: Span, others: Set[Span], other_kind: str) -> str:
    overlapping = [o for o in others if o[0] < span[1] and span[0] < o[1]]
    if any(o[:2] == span[:2] for o in overlapping):
        return "type"
    return "boundary" if overlapping else other_kind


def compare_sentence(words: Sequence[str], gold: Set[Span], pred: Set[Span], counts: ErrorCounts) -> None:
    """Sort the errors of one sentence into ``counts`` (see the module docstring)."""
    text = lambda s: " ".join(words[s[0]:s[1]])  # noqa: E731
    for s in gold & pred:
        counts.correct[s[2]] += 1
    for s in gold - pred:
        counts.note("gold", _kind(s, pred, "missed"), s[2], text(s))
    for s in pred - gold:
        counts.note("pred", _kind(s, gold, "spurious"), s[2], text(s))
    for p in pred - gold:
        for g in gold - pred:
            if p[1] != g[1] or p[2] != g[2]:
                continue
            if p[0] > g[0] and all(w[:1].islower() for w in words[g[0]:p[0]]):
                counts.lacks_leading_lower[" ".join(words[g[0]:p[0]]).lower()] += 1
            elif p[0] < g[0]:
                counts.adds_leading[" ".join(words[p[0]:g[0]])] += 1


def compare(pred_path: str, gold_path: str, labels: Iterable[str] = ("PER", "ORG", "LOC")) -> ErrorCounts:
    keep = set(labels)
    counts = ErrorCounts()
    preds, golds = list(read_pairs(pred_path)), list(read_pairs(gold_path))
    if len(preds) != len(golds):
        raise SystemExit(f"error: {pred_path} has {len(preds)} sentences, {gold_path} {len(golds)}")
    for n, (p, g) in enumerate(zip(preds, golds), 1):
        if p.tgt.words != g.tgt.words:
            raise SystemExit(f"error: sentence {n} ({g.id}) has other words in {pred_path} than in {gold_path}")
        spans = lambda side: {(e.start, e.end, e.label) for e in side.ents if e.label in keep}  # noqa: E731
        compare_sentence(g.tgt.words, spans(g.tgt), spans(p.tgt), counts)
    return counts


TRAIN_KINDS = ("unseen", "this type", "other type", "other boundaries", "O", "missing")


def _ngrams(words: Sequence[str], max_len: int) -> Iterable[Tuple[int, int]]:
    for i in range(len(words)):
        for j in range(i + 1, min(len(words), i + max_len) + 1):
            yield i, j


def training_labels(train_path: str, keep: Set[str], max_len: int = 8) -> Dict[Tuple[str, ...], Counter]:
    """For every word sequence of up to ``max_len`` words in the training target sentences: how its
    occurrences were labelled (``("ent", LABEL)``, ``"other boundaries"``, ``"O"`` or ``"missing"``)."""
    from spacy_xproj.corpus.filters import MISSING_KEY

    seen: Dict[Tuple[str, ...], Counter] = {}
    for pair in read_pairs(train_path):
        words = pair.tgt.words
        ents = [(e.start, e.end, e.label) for e in pair.tgt.ents if e.label in keep]
        exact = {(s, e): lab for s, e, lab in ents}
        missing = [(int(a), int(b)) for a, b in pair.meta.get(MISSING_KEY, [])]
        for i, j in _ngrams(words, max_len):
            if (i, j) in exact:
                how: object = ("ent", exact[i, j])
            elif any(s < j and i < e for s, e, _ in ents):
                how = "other boundaries"
            elif any(a < j and i < b for a, b in missing):
                how = "missing"
            else:
                how = "O"
            seen.setdefault(tuple(w.lower() for w in words[i:j]), Counter())[how] += 1
    return seen


def train_kind(words: Tuple[str, ...], label: str, seen: Dict[Tuple[str, ...], Counter]) -> str:
    """How the training sentences mostly showed ``words`` (one of ``TRAIN_KINDS``) for a gold ``label``."""
    c = seen.get(tuple(w.lower() for w in words))
    if not c:
        return "unseen"
    how = c.most_common(1)[0][0]
    if isinstance(how, tuple):
        return "this type" if how[1] == label else "other type"
    return str(how)


def attribute(counts_pred: str, gold_path: str, train_path: str, labels: Iterable[str] = ("PER", "ORG", "LOC"),
              max_len: int = 8) -> Dict[str, Counter]:
    """Gold entities, found or not by the predictions, sorted by how the training data showed their
    words: ``{"found": Counter(kind), "not found": Counter(kind)}``."""
    keep = set(labels)
    seen = training_labels(train_path, keep, max_len)
    out: Dict[str, Counter] = {"found": Counter(), "not found": Counter()}
    for p, g in zip(read_pairs(counts_pred), read_pairs(gold_path)):
        pred = {(e.start, e.end, e.label) for e in p.tgt.ents if e.label in keep}
        for e in g.tgt.ents:
            if e.label not in keep:
                continue
            kind = train_kind(tuple(g.tgt.words[e.start:e.end]), e.label, seen)
            out["found" if (e.start, e.end, e.label) in pred else "not found"][kind] += 1
    return out


def attribution_report(att: Dict[str, Counter]) -> str:
    total = sum(att["found"].values()) + sum(att["not found"].values())
    lines = ["gold entities by how the training sentences showed their words (found / not found; share of all gold):"]
    for kind in TRAIN_KINDS:
        f, n = att["found"][kind], att["not found"][kind]
        lines.append(f"  {kind:<17} {f:>5} / {n:>5}  ({100 * (f + n) / max(total, 1):.1f}% of gold, "
                     f"{100 * f / max(f + n, 1):.1f}% found)")
    return "\n".join(lines)


def report(counts: ErrorCounts, top: int = 10) -> str:
    fixed = sum(counts.lacks_leading_lower.values())
    lines = [
        f"F1 {100 * counts.f1():.1f}; exact matches per type: "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.correct.items())),
        "gold entities not found: " + ", ".join(f"{k}/{lab} {v}" for (k, lab), v in sorted(counts.gold.items())),
        "wrong predictions: " + ", ".join(f"{k}/{lab} {v}" for (k, lab), v in sorted(counts.pred.items())),
        f"predictions that lack only leading lower-case words of the gold entity: {fixed} "
        f"(F1 {100 * counts.f1(fixed):.1f} if they were right); most common: {counts.lacks_leading_lower.most_common(top)}",
        f"predictions that add leading words to a gold entity: {sum(counts.adds_leading.values())}; "
        f"most common: {counts.adds_leading.most_common(top)}",
    ]
    for (side, kind, label), c in sorted(counts.strings.items()):
        lines.append(f"{side} {kind} {label} ({sum(c.values())}): {c.most_common(top)}")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> ErrorCounts:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pred", help="pair JSONL with the predicted target entities")
    parser.add_argument("gold", help="pair JSONL with the gold target entities (same sentences)")
    parser.add_argument("--labels", nargs="+", default=["PER", "ORG", "LOC"])
    parser.add_argument("--top", type=int, default=10, help="most common strings shown per kind")
    parser.add_argument("--train", default=None, help="pair JSONL the model was trained on (target side): sort "
                        "the gold entities by how it showed their words")
    args = parser.parse_args(argv)
    counts = compare(args.pred, args.gold, args.labels)
    print(report(counts, args.top))
    if args.train:
        print(attribution_report(attribute(args.pred, args.gold, args.train, args.labels)))
    return counts


if __name__ == "__main__":
    main()

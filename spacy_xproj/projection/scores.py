"""Matching scores ``c[p, t]`` for source entities ``p`` and target candidates ``t``.

Every registered scorer is a factory that returns a scorer
``(inp: ProjectionInput, candidates: List[(s, e)]) -> np.ndarray`` of shape
``(len(inp.src_ents), len(candidates))`` with non-negative entries (0 = "no match").
Everything is vectorised with numpy: no Python loop runs over (entity, candidate) pairs.

* ``spacy-xproj.AlignScore.v1`` — ``c = 2 N / (|p| + |t|)`` with ``N`` the number of alignment
  links between p's words and t's words (PAPER 3.5, the code form). ``N`` comes from a 2-D prefix
  sum over the alignment matrix, so each pair costs O(1).
* ``spacy-xproj.NerScore.v1`` — the THESIS ``ner`` score from per-word class probabilities of the
  target sentence (``inp.tgt_probs``).
* ``spacy-xproj.NerSpansScore.v1`` — the same, maximised over labels (class-agnostic).
* ``spacy-xproj.FusedScore.v1`` — weighted sum of thresholded scores of any registered scorers
  (for example ``spacy-xproj.NMTScore.v1`` from ``spacy_xproj.translate.nmtscore``).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Sequence, Tuple

import numpy as np

from ..errors import ConfigError, InputError
from ..registry import scorers
from ..types import Alignment, NerProbs
from .matching import ProjectionInput, Span

Scorer = Callable[[ProjectionInput, Sequence[Span]], np.ndarray]


# --------------------------------------------------------------------------------------------
# align


def _span_arrays(spans: Sequence[Tuple[int, int]]) -> Tuple[np.ndarray, np.ndarray]:
    if len(spans) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    arr = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
    return arr[:, 0], arr[:, 1]


def alignment_prefix_sums(alignment: Alignment, n_src: int, n_tgt: int) -> np.ndarray:
    """2-D inclusive prefix sums ``S`` of the 0/1 alignment matrix, shape ``(n_src+1, n_tgt+1)``.

    ``S[i, j]`` = number of links ``(a, b)`` with ``a < i`` and ``b < j``. Links outside the
    sentences raise ``ValueError`` naming the link.
    """
    alignment.validate(n_src, n_tgt)
    sums = np.zeros((n_src + 1, n_tgt + 1), dtype=np.int64)
    if len(alignment):
        links = np.asarray(alignment.links, dtype=np.int64)
        np.add.at(sums, (links[:, 0] + 1, links[:, 1] + 1), 1)
        np.cumsum(sums, axis=0, out=sums)
        np.cumsum(sums, axis=1, out=sums)
    return sums


def link_counts(
    src_spans: Sequence[Tuple[int, int]],
    tgt_spans: Sequence[Tuple[int, int]],
    alignment: Alignment,
    n_src: int,
    n_tgt: int,
) -> np.ndarray:
    """``N[p, t]`` = links between source span ``p`` and target span ``t`` (O(1) per pair).

    Memory grows with the spans and the target length, ``O(P * (n_tgt + T))``, never with the
    square of the sentence: one row of target prefix sums per source span, not a dense
    ``(n_src+1) x (n_tgt+1)`` table (a 70,000-word pair would need tens of gigabytes).
    """
    alignment.validate(n_src, n_tgt)
    ps, pe = _span_arrays(src_spans)
    ts, te = _span_arrays(tgt_spans)
    for name, s, e, n in (("source", ps, pe, n_src), ("target", ts, te, n_tgt)):
        bad = np.nonzero((s < 0) | (e > n) | (s >= e))[0]
        if len(bad):
            k = int(bad[0])
            raise ValueError(f"{name} span ({int(s[k])}, {int(e[k])}) is empty or outside the sentence ({n} words)")
    rows = np.zeros((len(ps), n_tgt + 1), dtype=np.int64)
    if len(alignment) and len(ps):
        links = np.asarray(alignment.links, dtype=np.int64).reshape(-1, 2)
        inside = (links[None, :, 0] >= ps[:, None]) & (links[None, :, 0] < pe[:, None])  # (P, links)
        p_idx, l_idx = np.nonzero(inside)
        np.add.at(rows, (p_idx, links[l_idx, 1] + 1), 1)
        np.cumsum(rows, axis=1, out=rows)
    return rows[:, te] - rows[:, ts]


def align_scores(
    src_spans: Sequence[Tuple[int, int]],
    tgt_spans: Sequence[Tuple[int, int]],
    alignment: Alignment,
    n_src: int,
    n_tgt: int,
) -> np.ndarray:
    """``c[p, t] = 2 N(p, t) / (|p| + |t|)`` (0 where ``N = 0``); may exceed 1 with many-to-many links."""
    counts = link_counts(src_spans, tgt_spans, alignment, n_src, n_tgt)
    ps, pe = _span_arrays(src_spans)
    ts, te = _span_arrays(tgt_spans)
    lengths = (pe - ps)[:, None] + (te - ts)[None, :]
    return 2.0 * counts / np.maximum(lengths, 1)


def _n_src(inp: ProjectionInput) -> int:
    return len(inp.src_words)


@scorers("spacy-xproj.AlignScore.v1")
def make_align_score() -> Scorer:
    """The alignment score ``2 N / (|p| + |t|)`` (PAPER 3.5), from prefix sums."""

    def align_score(inp: ProjectionInput, candidates: Sequence[Span]) -> np.ndarray:
        return align_scores(
            [e.span for e in inp.src_ents], candidates, inp.alignment, _n_src(inp), len(inp.tgt_words)
        )

    return align_score


# --------------------------------------------------------------------------------------------
# ner / ner_spans


def _label_indices(
    labels: Sequence[str], use_only_i_labels: bool, labels_to_ignore: Sequence[str]
) -> Dict[str, Tuple[int, int]]:
    """``class -> (index of B-class, index of I-class)`` for the model's label list.

    A class without ``B-`` (IOB1 models, e.g. XLM-R CoNLL-03 has no B-PER) reuses its ``I-`` index,
    and vice versa; ``use_only_i_labels`` makes every class use its ``I-`` index for both.
    """
    b: Dict[str, int] = {}
    i: Dict[str, int] = {}
    for k, name in enumerate(labels):
        if name.startswith("B-"):
            b.setdefault(name[2:], k)
        elif name.startswith("I-"):
            i.setdefault(name[2:], k)
    out: Dict[str, Tuple[int, int]] = {}
    for cls in sorted(set(b) | set(i)):
        if cls in labels_to_ignore:
            continue
        bi = i.get(cls, b.get(cls)) if use_only_i_labels else b.get(cls, i.get(cls))
        ii = i.get(cls, b.get(cls))
        out[cls] = (int(bi), int(ii))  # type: ignore[arg-type]
    return out


def ner_class_scores(
    probs: NerProbs,
    candidates: Sequence[Span],
    alpha: float = 1.15,
    threshold: float = 0.05,
    use_only_i_labels: bool = False,
    labels_to_ignore: Sequence[str] = (),
) -> Tuple[List[str], np.ndarray]:
    """Per-class scores of each candidate: ``(classes, array (n_classes, n_candidates))``.

    ``avg_l(t) = mean(P[t.s, B-l], P[t.s+1, I-l], ..., P[t.e-1, I-l])``, times ``alpha ** (|t|-1)``
    only when the argmax labels of ``t`` are exactly ``B-l I-l ... I-l`` (the THESIS code; with
    IOB1 / ``use_only_i_labels`` the pattern is ``I-l I-l ...``). Values not above ``threshold``
    (after the multiplier) become 0.
    """
    P = np.asarray(probs.probs, dtype=np.float64)
    if P.ndim != 2 or P.shape[1] != len(probs.labels):
        raise ValueError(f"probabilities of shape {P.shape} do not match {len(probs.labels)} labels")
    classes = _label_indices(probs.labels, use_only_i_labels, labels_to_ignore)
    names = list(classes)
    n_words = P.shape[0]
    ts, te = _span_arrays(candidates)
    out = np.zeros((len(names), len(ts)), dtype=np.float64)
    if len(ts) == 0 or not names:
        return names, out
    if ts.min() < 0 or te.max() > n_words or (te <= ts).any():
        raise ValueError(f"a candidate is empty or outside the sentence ({n_words} words with probabilities)")
    lengths = (te - ts).astype(np.float64)
    argmax = P.argmax(axis=1)
    for k, cls in enumerate(names):
        bi, ii = classes[cls]
        cum_i = np.concatenate(([0.0], np.cumsum(P[:, ii])))
        is_i = np.concatenate(([0], np.cumsum(argmax == ii)))
        inner = cum_i[te] - cum_i[ts + 1]  # sum of P[j, I-l] for j in (t.s, t.e)
        avg = (P[ts, bi] + inner) / lengths
        pattern = (argmax[ts] == bi) & ((is_i[te] - is_i[ts + 1]) == (te - ts - 1))
        avg = np.where(pattern, avg * np.power(alpha, lengths - 1), avg)
        out[k] = np.where(avg > threshold, avg, 0.0)
    return names, out


def _probs_or_error(inp: ProjectionInput, what: str) -> NerProbs:
    if inp.tgt_probs is None:
        raise InputError(
            f"the {what} score needs per-word NER class probabilities of the target sentence "
            "(tgt.probs in pair files, doc._.xproj_probs on a Doc; run `xproj label` with probabilities)",
            record=inp.extra.get("id"),
        )
    if inp.tgt_probs.probs.shape[0] != len(inp.tgt_words):
        raise InputError(
            f"target probabilities have {inp.tgt_probs.probs.shape[0]} rows for {len(inp.tgt_words)} words",
            record=inp.extra.get("id"),
        )
    return inp.tgt_probs


@scorers("spacy-xproj.NerScore.v1")
def make_ner_score(
    alpha: float = 1.15,
    threshold: float = 0.05,
    use_only_i_labels: bool = False,
    labels_to_ignore: List[str] = [],
) -> Scorer:
    """THESIS ``ner`` score: the class probability of ``label(p)`` over ``t`` (see ``ner_class_scores``).

    A source entity whose label the model does not know (or that is ignored) scores 0 everywhere.
    """
    ignore = tuple(labels_to_ignore)

    def ner_score(inp: ProjectionInput, candidates: Sequence[Span]) -> np.ndarray:
        out = np.zeros((len(inp.src_ents), len(candidates)), dtype=np.float64)
        if not len(inp.src_ents) or not len(candidates):
            return out
        names, per_class = ner_class_scores(
            _probs_or_error(inp, "ner"), candidates, alpha, threshold, use_only_i_labels, ignore
        )
        row = {name: k for k, name in enumerate(names)}
        for p, ent in enumerate(inp.src_ents):
            if ent.label in row:
                out[p] = per_class[row[ent.label]]
        return out

    return ner_score


@scorers("spacy-xproj.NerSpansScore.v1")
def make_ner_spans_score(
    alpha: float = 1.15,
    threshold: float = 0.05,
    use_only_i_labels: bool = False,
    labels_to_ignore: List[str] = [],
) -> Scorer:
    """THESIS ``ner_spans``: ``max_l`` of the per-class score; the same row for every source entity."""
    ignore = tuple(labels_to_ignore)

    def ner_spans_score(inp: ProjectionInput, candidates: Sequence[Span]) -> np.ndarray:
        n = len(inp.src_ents)
        if not n or not len(candidates):
            return np.zeros((n, len(candidates)), dtype=np.float64)
        _, per_class = ner_class_scores(
            _probs_or_error(inp, "ner_spans"), candidates, alpha, threshold, use_only_i_labels, ignore
        )
        best = per_class.max(axis=0) if len(per_class) else np.zeros(len(candidates))
        return np.repeat(best[None, :], n, axis=0)

    return ner_spans_score


# --------------------------------------------------------------------------------------------
# fused


@scorers("spacy-xproj.FusedScore.v1")
def make_fused_score(
    scorers: Dict[str, Any],
    weights: Dict[str, float] = {},
    thresholds: Dict[str, float] = {},
) -> Scorer:
    """``c = sum_k w_k * (s_k if s_k > thr_k else 0)`` over the named scorers.

    A scorer without a weight gets 1.0; one without a threshold gets 0 (keep positive values).
    The THESIS's best MasakhaNER 2.0 fusion is ``align .5 + ner_spans .5 + nmt 1``.
    """
    if not scorers:
        raise ConfigError("FusedScore.v1 needs at least one scorer in 'scorers'")
    for name in list(weights) + list(thresholds):
        if name not in scorers:
            raise ConfigError(
                f"FusedScore.v1: '{name}' has a weight or threshold but no scorer; "
                f"scorers are {sorted(scorers)}"
            )
    bad = {name: w for name, w in weights.items() if not float(w) >= 0.0}
    if bad:
        raise ConfigError(
            f"FusedScore.v1: weights must be >= 0 (matching maximises a sum of non-negative scores); "
            f"got {bad}. Give a smaller or zero weight to the scorer you want to count less."
        )
    parts = [(name, scorers[name], float(weights.get(name, 1.0)), float(thresholds.get(name, 0.0)))
             for name in sorted(scorers)]

    def fused_score(inp: ProjectionInput, candidates: Sequence[Span]) -> np.ndarray:
        total = np.zeros((len(inp.src_ents), len(candidates)), dtype=np.float64)
        for name, scorer, weight, thr in parts:
            if weight == 0.0:
                continue
            values = np.asarray(scorer(inp, candidates), dtype=np.float64)
            if values.shape != total.shape:
                raise ValueError(f"scorer '{name}' returned shape {values.shape}, expected {total.shape}")
            total += weight * np.where(values > thr, values, 0.0)
        return total

    return fused_score

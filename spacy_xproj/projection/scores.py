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

from ..doc import RUNS_META_KEY as RUNS_KEY
from ..errors import ConfigError, InputError
from ..iob import detect_scheme, probs_to_iob2
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
# coverage (soft links: alignment link weights and surface similarity)


def alignment_weights(alignment: Alignment, n_src: int, n_tgt: int, use_scores: bool) -> np.ndarray:
    """Dense ``(n_src, n_tgt)`` link weights in ``[0, 1]``: 1 per link, or, with ``use_scores`` and
    a scored alignment, each link's score divided by the highest score of the sentence pair (so
    eflomal's vote shares, SimAlign's similarities and AWESoME's probabilities all give the
    surest link of the pair weight 1)."""
    alignment.validate(n_src, n_tgt)
    out = np.zeros((n_src, n_tgt), dtype=np.float64)
    if len(alignment):
        links = np.asarray(alignment.links, dtype=np.int64)
        values: Any = 1.0
        if use_scores and alignment.scores is not None:
            raw = np.clip(np.asarray(alignment.scores, dtype=np.float64), 0.0, None)
            top = float(raw.max()) if len(raw) else 0.0
            values = raw / top if top > 0 else 1.0
        out[links[:, 0], links[:, 1]] = values
    return out


def _range_max_rows(rows: np.ndarray, ts: np.ndarray, te: np.ndarray) -> np.ndarray:
    """``out[r, c] = max(rows[r, ts[c]:te[c]])`` via a sparse table (O(n log n) build, O(1) query)."""
    n = rows.shape[1]
    tables = [rows]
    width = 1
    while 2 * width <= n:
        prev = tables[-1]
        nxt = prev.copy()
        nxt[:, : n - width] = np.maximum(prev[:, : n - width], prev[:, width:])
        tables.append(nxt)
        width *= 2
    lengths = te - ts
    level = np.floor(np.log2(np.maximum(lengths, 1))).astype(np.int64)
    out = np.zeros((rows.shape[0], len(ts)), dtype=np.float64)
    for lv in np.unique(level):
        sel = np.nonzero(level == lv)[0]
        table = tables[int(lv)]
        out[:, sel] = np.maximum(table[:, ts[sel]], table[:, te[sel] - (1 << int(lv))])
    return out


def coverage_scores(
    src_spans: Sequence[Tuple[int, int]],
    tgt_spans: Sequence[Tuple[int, int]],
    evidence: np.ndarray,
    free_inside: bool,
) -> np.ndarray:
    """Soft-link coverage of source span ``p`` and target span ``t`` under an evidence matrix ``M``.

    ``c = (sum_{i in p} max_{j in t} M[i, j] + sum_{j in t} max_{i in p} M[i, j]) / (|p|' + |t|')``:
    every word of either span counts as covered by its best partner in the other span. With
    ``free_inside`` a word strictly inside a span that has no evidence with any word of the other
    sentence (typically an unaligned article or preposition, ``de la``) is left out of ``|p|'`` /
    ``|t|'``, so a span whose borders are linked is not punished for it; border words always count,
    so a span never grows over unlinked words at its edges. Equals ``2N / (|p| + |t|)`` for
    one-to-one 0/1 links without free words.
    """
    M = np.asarray(evidence, dtype=np.float64)
    n_src, n_tgt = M.shape
    ps, pe = _span_arrays(src_spans)
    ts, te = _span_arrays(tgt_spans)
    out = np.zeros((len(ps), len(ts)), dtype=np.float64)
    if not len(ps) or not len(ts):
        return out
    tlen = (te - ts).astype(np.float64)
    if free_inside:
        free_t = (M.max(axis=0) <= 0.0) if n_src else np.ones(n_tgt, dtype=bool)
        cf = np.concatenate(([0], np.cumsum(free_t)))
        inner = np.where(te - ts >= 3, cf[np.maximum(te - 1, ts + 1)] - cf[np.minimum(ts + 1, te)], 0)
        tlen = tlen - inner
        free_s = (M.max(axis=1) <= 0.0) if n_tgt else np.ones(n_src, dtype=bool)
    for k, (s, e) in enumerate(zip(ps, pe)):
        rows = M[s:e]
        ptgt = rows.max(axis=0)
        cum = np.concatenate(([0.0], np.cumsum(ptgt)))
        cov_t = cum[te] - cum[ts]
        cov_s = _range_max_rows(rows, ts, te).sum(axis=0)
        plen = float(e - s)
        if free_inside and e - s >= 3:
            plen -= float(free_s[s + 1:e - 1].sum())
        out[k] = (cov_s + cov_t) / np.maximum(plen + tlen, 1.0)
    return out


# RUNS_KEY (pair meta key and projection input extra): the aligner's directional runs,
# [[forward links, backward links], ...], see ``block_agreement``


def _range_min_rows(rows: np.ndarray, ts: np.ndarray, te: np.ndarray) -> np.ndarray:
    return -_range_max_rows(-rows, ts, te)


def _link_ranges(links: np.ndarray, by: int, n: int, big: int) -> Tuple[np.ndarray, np.ndarray]:
    """Per word ``w`` of side ``by`` (0 = source, 1 = target): the lowest and highest index on the
    other side among the links of ``w`` (``big`` / ``-1`` for an unlinked word)."""
    lo = np.full(n, big, dtype=np.int64)
    hi = np.full(n, -1, dtype=np.int64)
    if len(links):
        np.minimum.at(lo, links[:, by], links[:, 1 - by])
        np.maximum.at(hi, links[:, by], links[:, 1 - by])
    return lo, hi


def _src_range(values: np.ndarray, ps: np.ndarray, pe: np.ndarray, op: Callable) -> np.ndarray:
    return np.array([op(values[s:e]) for s, e in zip(ps, pe)], dtype=np.int64)


def block_agreement(
    src_spans: Sequence[Tuple[int, int]],
    tgt_spans: Sequence[Tuple[int, int]],
    runs: Sequence[Tuple[Sequence[Sequence[int]], Sequence[Sequence[int]]]],
    n_src: int,
    n_tgt: int,
) -> np.ndarray:
    """Span-level agreement of the two directions of each aligner run.

    ``runs`` holds one ``(forward links, backward links)`` pair per run, both as ``(src, tgt)``
    links (forward: eflomal's source-to-target model, at most one link per target word;
    backward: its target-to-source model, at most one link per source word).
    Run ``r`` agrees on ``(p, t)`` when the two directions enclose the same block even if the
    word pairs differ (a two-word name in swapped order: one direction links in order, the other
    crosswise, and every single link gets exactly half of the votes):

    * the forward links of p's words land inside ``t`` and span it exactly (``t`` starts at the
      first and ends at the last of them), and the backward links of t's words land inside ``p``;
    * no link of the run enters the block from outside (forward links into ``t`` come from ``p``,
      backward links into ``p`` come from ``t``).

    The run then scores ``2 min(a, b) / (|p| + |t|)`` with ``a`` / ``b`` the words of ``p`` / ``t``
    that have a link, else 0. Returns the mean over the runs where more than half of the runs
    agree (the majority rule of the link vote, at block level), 0 elsewhere; shape
    ``(len(src_spans), len(tgt_spans))``.
    """
    ps, pe = _span_arrays(src_spans)
    ts, te = _span_arrays(tgt_spans)
    out = np.zeros((len(ps), len(ts)), dtype=np.float64)
    if not len(ps) or not len(ts) or not runs:
        return out
    big = max(n_src, n_tgt) + 1
    lengths = (pe - ps)[:, None] + (te - ts)[None, :]
    agreeing = np.zeros(out.shape, dtype=np.int64)
    for fwd, rev in runs:
        f = np.asarray(fwd, dtype=np.int64).reshape(-1, 2)
        b = np.asarray(rev, dtype=np.int64).reshape(-1, 2)
        f_lo, f_hi = _link_ranges(f, 0, n_src, big)  # forward, by source word
        b_lo, b_hi = _link_ranges(b, 1, n_tgt, big)  # backward, by target word
        fin_lo, fin_hi = _link_ranges(f, 1, n_tgt, big)  # forward links into each target word
        bin_lo, bin_hi = _link_ranges(b, 0, n_src, big)  # backward links into each source word
        f_linked = np.concatenate(([0], np.cumsum(f_hi >= 0)))
        b_linked = np.concatenate(([0], np.cumsum(b_hi >= 0)))
        p_lo, p_hi = _src_range(f_lo, ps, pe, np.min), _src_range(f_hi, ps, pe, np.max)
        pin_lo, pin_hi = _src_range(bin_lo, ps, pe, np.min), _src_range(bin_hi, ps, pe, np.max)
        t_lo = _range_min_rows(b_lo[None, :].astype(np.float64), ts, te)[0]
        t_hi = _range_max_rows(b_hi[None, :].astype(np.float64), ts, te)[0]
        tin_lo = _range_min_rows(fin_lo[None, :].astype(np.float64), ts, te)[0]
        tin_hi = _range_max_rows(fin_hi[None, :].astype(np.float64), ts, te)[0]
        a_n = f_linked[pe] - f_linked[ps]
        b_n = b_linked[te] - b_linked[ts]
        agree = (
            (a_n[:, None] > 0) & (b_n[None, :] > 0)
            & (p_lo[:, None] == ts[None, :]) & (p_hi[:, None] == te[None, :] - 1)
            & (t_lo[None, :] >= ps[:, None]) & (t_hi[None, :] < pe[:, None])
            & ((tin_hi[None, :] < 0) | ((tin_lo[None, :] >= ps[:, None]) & (tin_hi[None, :] < pe[:, None])))
            & ((pin_hi[:, None] < 0) | ((pin_lo[:, None] >= ts[None, :]) & (pin_hi[:, None] < te[None, :])))
        )
        out += np.where(agree, 2.0 * np.minimum(a_n[:, None], b_n[None, :]) / np.maximum(lengths, 1), 0.0)
        agreeing += agree
    return np.where(agreeing > len(runs) / 2, out / len(runs), 0.0)


def evidence_matrix(
    inp: ProjectionInput,
    alignment_weight: float,
    surface_weight: float,
    min_similarity: float,
    link_scores: bool,
) -> np.ndarray:
    """``M = max(alignment_weight * A, surface_weight * S)`` with ``S`` the surface similarity of
    the words (0 below ``min_similarity``) and ``A`` the alignment's link weights
    (``alignment_weights``)."""
    from .surface import similarity_matrix

    n_src, n_tgt = len(inp.src_words), len(inp.tgt_words)
    M = np.zeros((n_src, n_tgt), dtype=np.float64)
    if alignment_weight > 0:
        M = alignment_weight * alignment_weights(inp.alignment, n_src, n_tgt, link_scores)
    if surface_weight > 0:
        S = similarity_matrix(inp.src_words, inp.tgt_words)
        M = np.maximum(M, surface_weight * np.where(S >= min_similarity, S, 0.0))
    return M


def _check_weight(name: str, value: float) -> None:
    if not value >= 0.0:
        raise ConfigError(f"{name} must be >= 0, got {value}")


@scorers("spacy-xproj.CoverageScore.v1")
def make_coverage_score(
    alignment_weight: float = 1.0,
    surface_weight: float = 1.0,
    min_similarity: float = 0.5,
    free_inside: bool = True,
    link_scores: bool = True,
    block_weight: float = 0.7,
) -> Scorer:
    """Soft-link coverage (see ``coverage_scores``) over alignment links and surface similarity.

    With ``link_scores``, alignment link scores (when the aligner gives them: eflomal's vote
    shares, SimAlign/AWESoME similarities) weigh each link relative to the pair's surest link;
    ``link_scores = false`` counts every link as 1. A pair of words spelled
    alike (``surface_form`` trigram Dice >= ``min_similarity``) counts as a link of that strength,
    so a name the aligner left unlinked is still found.

    ``block_weight > 0`` adds span-level agreement of the aligner's directional runs when the
    pair carries them (``Eflomal.v2`` through ``xproj align``, see ``block_agreement``): the score
    of ``(p, t)`` is at least ``block_weight`` times the runs' block agreement, so a name whose
    word order differs (links that each got half of the votes and were dropped) is still projected
    whole. 0 turns it off; without directional runs it has no effect.
    """
    _check_weight("alignment_weight", alignment_weight)
    _check_weight("block_weight", block_weight)
    _check_weight("surface_weight", surface_weight)
    if not 0.0 <= min_similarity <= 1.0:
        raise ConfigError(f"min_similarity must be in [0, 1], got {min_similarity}")

    def coverage_score(inp: ProjectionInput, candidates: Sequence[Span]) -> np.ndarray:
        M = evidence_matrix(inp, alignment_weight, surface_weight, min_similarity, link_scores)
        src_spans = [e.span for e in inp.src_ents]
        out = coverage_scores(src_spans, candidates, M, free_inside)
        runs = inp.extra.get(RUNS_KEY) if block_weight > 0 else None
        if runs:
            blocks = block_agreement(src_spans, candidates, runs, len(inp.src_words), len(inp.tgt_words))
            out = np.maximum(out, block_weight * blocks)
        return out

    return coverage_score


def border_factors(
    src_words: Sequence[str],
    src_spans: Sequence[Span],
    tgt_words: Sequence[str],
    tgt_spans: Sequence[Span],
    border_weight: float,
) -> np.ndarray:
    """``(n_src_spans, n_tgt_spans)`` factors: ``border_weight`` where a target span of two or
    more words starts (ends) with a function word (``surface.is_function_word``: article,
    preposition, punctuation) while the source span does not, else 1. Annotations rarely put an
    article at a name's border (``los Países Bajos`` is annotated ``Países Bajos``); a weak
    link from the name to a neighbouring article or verb is the usual reason a span grows."""
    from .surface import is_function_word

    out = np.ones((len(src_spans), len(tgt_spans)), dtype=np.float64)
    if not len(src_spans) or not len(tgt_spans) or border_weight == 1.0:
        return out
    ts, te = _span_arrays(tgt_spans)
    fw = np.array([is_function_word(w) for w in tgt_words], dtype=bool)
    multi = (te - ts) >= 2
    first_fw = multi & fw[ts]
    last_fw = multi & fw[te - 1]
    for k, (s, e) in enumerate(src_spans):
        bad = (first_fw & (not is_function_word(src_words[s]))) | (last_fw & (not is_function_word(src_words[e - 1])))
        out[k, bad] = border_weight
    return out


@scorers("spacy-xproj.CoverageScore.v2")
def make_coverage_score_v2(
    alignment_weight: float = 1.0,
    surface_weight: float = 1.0,
    min_similarity: float = 0.5,
    free_inside: bool = True,
    link_scores: bool = True,
    block_weight: float = 0.7,
    border_weight: float = 0.8,
) -> Scorer:
    """``CoverageScore.v1`` times ``border_factors``: a candidate of two or more words that starts
    or ends with a function word (short lower-case word, punctuation) where the source entity
    does not is scored ``border_weight`` times its coverage (1 = ``CoverageScore.v1``). It breaks
    near-ties such as ``la política`` against ``política de competencia`` for ``competition
    policy``; entities that themselves start with a particle (``von Wogau``, ``de Palacio``) are
    not affected."""
    if not 0.0 <= border_weight <= 1.0:
        raise ConfigError(f"border_weight must be in [0, 1], got {border_weight}")
    coverage = make_coverage_score(
        alignment_weight, surface_weight, min_similarity, free_inside, link_scores, block_weight
    )

    def coverage_score_v2(inp: ProjectionInput, candidates: Sequence[Span]) -> np.ndarray:
        out = coverage(inp, candidates)
        src_spans = [e.span for e in inp.src_ents]
        return out * border_factors(inp.src_words, src_spans, inp.tgt_words, candidates, border_weight)

    return coverage_score_v2


@scorers("spacy-xproj.SurfaceScore.v1")
def make_surface_score(min_similarity: float = 0.5, free_inside: bool = True) -> Scorer:
    """Orthographic score alone: coverage of the entity's words by target words spelled alike
    (transliterated, case- and diacritic-insensitive, word-order-free); no alignment needed."""
    return make_coverage_score(0.0, 1.0, min_similarity, free_inside, block_weight=0.0)


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
    alpha: float,
    threshold: float,
    use_only_i_labels: bool,
    labels_to_ignore: Sequence[str],
) -> Tuple[List[str], np.ndarray]:
    """Per-class scores of each candidate: ``(classes, array (n_classes, n_candidates))``.

    Probabilities of IOB1, IO or IOBES models are first converted to IOB2
    (:func:`spacy_xproj.iob.probs_to_iob2`; the labeller already returns IOB2, this covers
    probabilities from elsewhere), so ``P[t.s, B-l]`` is the probability that an ``l`` entity starts
    at ``t.s`` whatever the model's scheme. ``use_only_i_labels`` (the THESIS switch for IOB1
    models) reads the probabilities as given, with the ``I-`` column for the first word too.

    ``avg_l(t) = mean(P[t.s, B-l], P[t.s+1, I-l], ..., P[t.e-1, I-l])``, times ``alpha ** (|t|-1)``
    only when the argmax labels of ``t`` are exactly ``B-l I-l ... I-l`` (the THESIS code; with
    IOB1 / ``use_only_i_labels`` the pattern is ``I-l I-l ...``). Values not above ``threshold``
    (after the multiplier) become 0.
    """
    P = np.asarray(probs.probs, dtype=np.float64)
    if P.ndim != 2 or P.shape[1] != len(probs.labels):
        raise ValueError(f"probabilities of shape {P.shape} do not match {len(probs.labels)} labels")
    labels = list(probs.labels)
    if not use_only_i_labels and detect_scheme(labels) != "iob2":
        labels, P = probs_to_iob2(labels, P)
    classes = _label_indices(labels, use_only_i_labels, labels_to_ignore)
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

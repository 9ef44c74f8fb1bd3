"""Pure functions: spans <-> class-agnostic IOB tag ids, and span scores from tag probabilities.

Tag ids are ``O = 0``, ``B = 1``, ``I = 2`` (the paper's O / B-CAND / I-CAND after merging every
entity class). Spans are half-open token ranges ``(start, end)``.
"""
from __future__ import annotations

from typing import Iterable, List, Sequence, Tuple

import numpy as np

from ..iob import tags_to_spans

O, B, I = 0, 1, 2
TAG_NAMES = ("O", "B-CAND", "I-CAND")
MISSING = -1  # token whose gold tag is unknown (misaligned tokenisation): no gradient

SpanT = Tuple[int, int]


def tags_from_spans(n_tokens: int, spans: Iterable[SpanT]) -> List[int]:
    """IOB tag ids for ``n_tokens`` tokens. Spans must be inside the sentence and not overlap."""
    tags = [O] * n_tokens
    for start, end in sorted(spans):
        if not 0 <= start < end <= n_tokens:
            raise ValueError(f"span ({start}, {end}) is empty or outside a {n_tokens}-token sentence")
        if any(t != O for t in tags[start:end]):
            raise ValueError(f"span ({start}, {end}) overlaps another span")
        tags[start] = B
        for i in range(start + 1, end):
            tags[i] = I
    return tags


def spans_from_tags(tags: Sequence[int]) -> List[SpanT]:
    """Decode tag ids into spans with the package's one tag decoder
    (:func:`spacy_xproj.iob.tags_to_spans`, the conlleval/seqeval rule): ``B`` always opens a span;
    ``I`` continues the running span, or opens one when none is running (a stray ``I`` after
    ``O``); ``O`` (and ``MISSING``) closes it."""
    names = [TAG_NAMES[t] if t in (B, I) else "O" for t in tags]
    return [(s, e) for s, e, _ in tags_to_spans(names)]


def span_scores(probs: np.ndarray, spans: Sequence[SpanT]) -> List[float]:
    """Mean of ``P(B)`` at the first token and ``P(I)`` at every other token of each span.

    The same average the thesis's class-agnostic ``ner_spans`` score uses for one label.
    """
    out = []
    for start, end in spans:
        vals = [float(probs[start, B])] + [float(p) for p in probs[start + 1 : end, I]]
        out.append(sum(vals) / len(vals))
    return out

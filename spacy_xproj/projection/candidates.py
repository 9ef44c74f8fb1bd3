"""Candidate extractors: the target spans ``T`` that source entities may be matched to.

Each registered function is a factory returning an extractor
``(inp: ProjectionInput) -> List[(start, end)]`` (half-open, sorted by ``(start, end)``, unique).

* ``spacy-xproj.NgramCandidates.v1`` — every n-gram up to ``max_len`` words (``None`` = no limit)
  that contains no stop token (THESIS "bounded n-gram"; the paper's code used no limit);
* ``spacy-xproj.NgramCandidates.v2`` — the same, but the length limit grows with the sentence's
  longest source entity (``source_factor`` times its words) so that long titles and descriptions
  (``directive on the transport of dangerous goods by road``) keep their whole translation;
* ``spacy-xproj.AlignedSubrangeCandidates.v1`` — every n-gram inside ``[min, max]`` of the target
  words aligned to some source entity (THESIS; keeps an optimum for align-only scores with ``<=``/``<``);
* ``spacy-xproj.NerCandidates.v1`` — spans an NER model predicted on the target sentence, label
  discarded (``inp.tgt_ner_spans``, else decoded from ``inp.tgt_probs``);
* ``spacy-xproj.UnionCandidates.v1`` — the union of several extractors.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Dict, List, Optional, Sequence, Set

import numpy as np

from ..iob import tags_to_spans
from ..errors import ConfigError, InputError
from ..registry import candidates
from ..types import NerProbs
from .matching import ProjectionInput, Span

Extractor = Callable[[ProjectionInput], List[Span]]


def ngrams(n_words: int, max_len: Optional[int], start: int = 0, blocked: Sequence[bool] = ()) -> List[Span]:
    """All ``(s, e)`` with ``start <= s < e <= n_words``, ``e - s <= max_len``, no blocked word inside."""
    out: List[Span] = []
    limit = n_words if max_len is None else max_len
    for s in range(start, n_words):
        for e in range(s + 1, min(n_words, s + limit) + 1):
            if blocked and blocked[e - 1]:
                break
            out.append((s, e))
    return out


def _check_max_len(max_len: Optional[int]) -> None:
    if max_len is not None and max_len < 1:
        raise ConfigError(f"max_len must be >= 1 or null (no limit), got {max_len}")


@candidates("spacy-xproj.NgramCandidates.v1")
def make_ngram_candidates(max_len: Optional[int] = 10, stop_tokens: List[str] = ["!", "?"]) -> Extractor:
    """All n-grams of up to ``max_len`` words that contain none of ``stop_tokens``."""
    _check_max_len(max_len)
    stops = frozenset(stop_tokens)

    def ngram_candidates(inp: ProjectionInput) -> List[Span]:
        blocked = [w in stops for w in inp.tgt_words]
        return ngrams(len(inp.tgt_words), max_len, blocked=blocked)

    return ngram_candidates


def ngram_limit(max_len: Optional[int], source_factor: Optional[float], src_ents: Sequence[Any]) -> Optional[int]:
    """``max_len``, raised to ``ceil(source_factor * L)`` for the longest source entity of ``L``
    words when that is more (``None`` = no limit; ``source_factor`` ``None`` = no raise)."""
    if max_len is None or source_factor is None or not src_ents:
        return max_len
    longest = max(e.end - e.start for e in src_ents)
    return max(max_len, math.ceil(source_factor * longest))


@candidates("spacy-xproj.NgramCandidates.v2")
def make_ngram_candidates_v2(
    max_len: Optional[int] = 10, source_factor: Optional[float] = 2.0, stop_tokens: List[str] = ["!", "?"]
) -> Extractor:
    """All n-grams that contain none of ``stop_tokens``, of up to ``max_len`` words or, when the
    sentence has a longer source entity, up to ``source_factor`` times that entity's length.

    A fixed limit of 10 words cuts the translations of long names and titles (an 11-word Spanish
    rendering of a 9-word English directive title has no candidate at all); raising the limit only
    for such sentences keeps the candidate count of ordinary sentences. ``source_factor`` ``null``
    gives ``NgramCandidates.v1``."""
    _check_max_len(max_len)
    if source_factor is not None and source_factor <= 0:
        raise ConfigError(f"source_factor must be > 0 or null (a fixed max_len), got {source_factor}")
    stops = frozenset(stop_tokens)

    def ngram_candidates(inp: ProjectionInput) -> List[Span]:
        blocked = [w in stops for w in inp.tgt_words]
        return ngrams(len(inp.tgt_words), ngram_limit(max_len, source_factor, inp.src_ents), blocked=blocked)

    return ngram_candidates


@candidates("spacy-xproj.AlignedSubrangeCandidates.v1")
def make_aligned_subrange_candidates(max_len: Optional[int] = 10) -> Extractor:
    """Every n-gram (up to ``max_len``) inside ``[min, max]`` of each source entity's aligned words."""
    _check_max_len(max_len)

    def aligned_subrange_candidates(inp: ProjectionInput) -> List[Span]:
        forward = inp.alignment.forward()
        n = len(inp.tgt_words)
        found: Set[Span] = set()
        for ent in inp.src_ents:
            aligned = [j for i in range(ent.start, ent.end) for j in forward.get(i, ())]
            aligned = [j for j in aligned if 0 <= j < n]
            if not aligned:
                continue
            lo, hi = min(aligned), max(aligned) + 1
            found.update(ngrams(hi, max_len, start=lo))
        return sorted(found)

    return aligned_subrange_candidates


def decode_spans(probs: NerProbs) -> List[Span]:
    """Argmax-decode per-word probabilities into spans (labels discarded) with the package's one
    tag decoder, :func:`spacy_xproj.iob.tags_to_spans` (IOB1, IOB2, IOBES and IO tags)."""
    P = np.asarray(probs.probs)
    tags = [probs.labels[int(k)] for k in P.argmax(axis=1)] if len(P) else []
    return [(s, e) for s, e, _ in tags_to_spans(tags)]


@candidates("spacy-xproj.NerCandidates.v1")
def make_ner_candidates(extract_subranges: bool = False) -> Extractor:
    """Spans an NER model predicted on the target sentence, each with all its sub-spans if asked.

    Uses ``inp.tgt_ner_spans`` (pair files: ``meta["tgt_candidates"]``; Docs:
    ``doc.spans["xproj_candidates"]``) when set, else argmax-decodes ``inp.tgt_probs``.
    """

    def ner_candidates(inp: ProjectionInput) -> List[Span]:
        n = len(inp.tgt_words)
        if inp.tgt_ner_spans is not None:
            spans = [(int(s), int(e)) for s, e in inp.tgt_ner_spans]
        elif inp.tgt_probs is not None:
            if inp.tgt_probs.probs.shape[0] != n:
                raise InputError(
                    f"target probabilities have {inp.tgt_probs.probs.shape[0]} rows for {n} words",
                    record=inp.extra.get("id"),
                )
            spans = decode_spans(inp.tgt_probs)
        else:
            raise InputError(
                "NER candidates need target NER spans or probabilities: meta['tgt_candidates'] or "
                "tgt.probs in pair files, doc.spans['xproj_candidates'] or doc._.xproj_probs on a Doc "
                "(run `xproj label` on the target side first)",
                record=inp.extra.get("id"),
            )
        for s, e in spans:
            if not (0 <= s < e <= n):
                raise InputError(f"target candidate [{s}, {e}] is outside the sentence ({n} words)",
                                 record=inp.extra.get("id"))
        found: Set[Span] = set(spans)
        if extract_subranges:
            for s, e in spans:
                found.update(ngrams(e, None, start=s))
        return sorted(found)

    return ner_candidates


@candidates("spacy-xproj.UnionCandidates.v1")
def make_union_candidates(extractors: Dict[str, Any]) -> Extractor:
    """The sorted union of the candidates of several named extractors."""
    if not extractors:
        raise ConfigError("UnionCandidates.v1 needs at least one extractor in 'extractors'")
    parts = [extractors[name] for name in sorted(extractors)]

    def union_candidates(inp: ProjectionInput) -> List[Span]:
        found: Set[Span] = set()
        for extract in parts:
            found.update(extract(inp))
        return sorted(found)

    return union_candidates

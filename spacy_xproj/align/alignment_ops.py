"""Pure helpers for word alignments: symmetrisation and the conversion between word and subword (token) alignments.

Conventions (see :mod:`spacy_xproj.types`): links are ``(src_index, tgt_index)``; every
alignment passed to or returned from these functions uses that orientation, including the
"backward" (target-to-source) direction of a directional aligner — invert it with
:meth:`Alignment.inverse` first if your aligner writes it the other way round.

Nothing here imports torch or transformers.
"""
from __future__ import annotations

from typing import (
    Dict,
    Iterable,
    List,
    Optional,
    Sequence,
    Set,
    Tuple,
)

import numpy as np

from ..types import Alignment, Link

__all__ = [
    "SYMMETRIZATION_METHODS",
    "intersection",
    "union",
    "grow_diag",
    "grow_diag_final",
    "grow_diag_final_and",
    "symmetrize",
    "subwords_per_word",
    "subword_to_word_links",
    "matrix_to_alignment",
    "window_spans",
]


# ---------------------------------------------------------------------------------------------
# symmetrisation
# ---------------------------------------------------------------------------------------------

#: Neighbourhood of the "diag" growing heuristics as ``(d_src, d_tgt)`` offsets, in the order of
#: Koehn's pseudocode and Moses ``symal``, which write them as ``(d_e, d_f)`` with ``e`` the
#: target and ``f`` the source word: target -1, source -1, target +1, source +1, then diagonals.
_NEIGHBOURS: Tuple[Tuple[int, int], ...] = (
    (0, -1),
    (-1, 0),
    (0, 1),
    (1, 0),
    (-1, -1),
    (1, -1),
    (-1, 1),
    (1, 1),
)


def _score_map(*alignments: Alignment) -> Optional[Dict[Link, float]]:
    """Best score per link over the given alignments, or ``None`` if none of them has scores."""
    if all(a.scores is None for a in alignments):
        return None
    best: Dict[Link, float] = {}
    for a in alignments:
        if a.scores is None:
            continue
        for link, s in zip(a.links, a.scores):
            best[link] = max(s, best.get(link, float("-inf")))
    return best


def _with_scores(links: Iterable[Link], scores: Optional[Dict[Link, float]]) -> Alignment:
    """Build an alignment over ``links``; links without a known score get 0.0 when scoring."""
    links = sorted(set(links))
    if scores is None:
        return Alignment(links)
    return Alignment(links, [scores.get(link, 0.0) for link in links])


def intersection(forward: Alignment, backward: Alignment) -> Alignment:
    """Links present in both directional alignments (high precision). Scores: the max of both."""
    links = set(forward.links) & set(backward.links)
    return _with_scores(links, _score_map(forward, backward))


def union(forward: Alignment, backward: Alignment) -> Alignment:
    """Links present in either directional alignment (high recall). Scores: the max of both."""
    links = set(forward.links) | set(backward.links)
    return _with_scores(links, _score_map(forward, backward))


def _grow(
    forward: Alignment,
    backward: Alignment,
    n_src: int,
    n_tgt: int,
    final: bool,
    final_and: bool,
) -> Alignment:
    forward.validate(n_src, n_tgt, "forward alignment")
    backward.validate(n_src, n_tgt, "backward alignment")
    fwd: Set[Link] = set(forward.links)
    bwd: Set[Link] = set(backward.links)
    both = fwd | bwd
    alignment: Set[Link] = fwd & bwd
    src_aligned = {i for i, _ in alignment}
    tgt_aligned = {j for _, j in alignment}

    def add(i: int, j: int) -> None:
        alignment.add((i, j))
        src_aligned.add(i)
        tgt_aligned.add(j)

    # The reference (Moses ``symal``; Koehn's pseudocode loops "for english word e, for foreign
    # word f") visits points in target-major order, (tgt, src), so we do too.
    order = [(i, j) for j in range(n_tgt) for i in range(n_src)]

    # GROW-DIAG: sweep the *current* alignment in that order; a neighbour from the union is added
    # when its source or its target word is still unaligned. A point added during a sweep is
    # visited later in the same sweep if it comes after the current point (symal iterates a
    # std::set while inserting into it), otherwise in the next sweep; repeat until stable.
    added = True
    while added:
        added = False
        for i, j in order:
            if (i, j) not in alignment:
                continue
            for di, dj in _NEIGHBOURS:
                ni, nj = i + di, j + dj
                if (ni, nj) in both and (ni, nj) not in alignment and (
                    ni not in src_aligned or nj not in tgt_aligned
                ):
                    add(ni, nj)
                    added = True

    # FINAL(-AND): add the remaining links of the forward, then of the backward alignment (same
    # order), whose source OR (FINAL) / source AND (FINAL-AND) target word is unaligned.
    if final:
        for direction in (fwd, bwd):
            for i, j in order:
                if (i, j) not in direction or (i, j) in alignment:
                    continue
                i_free, j_free = i not in src_aligned, j not in tgt_aligned
                if (i_free and j_free) if final_and else (i_free or j_free):
                    add(i, j)
    return _with_scores(alignment, _score_map(forward, backward))


def grow_diag(forward: Alignment, backward: Alignment, n_src: int, n_tgt: int) -> Alignment:
    """GROW-DIAG: the intersection grown into neighbouring (incl. diagonal) union links."""
    return _grow(forward, backward, n_src, n_tgt, final=False, final_and=False)


def grow_diag_final(forward: Alignment, backward: Alignment, n_src: int, n_tgt: int) -> Alignment:
    """GROW-DIAG-FINAL: GROW-DIAG, then directional links with *either* word still unaligned."""
    return _grow(forward, backward, n_src, n_tgt, final=True, final_and=False)


def grow_diag_final_and(
    forward: Alignment, backward: Alignment, n_src: int, n_tgt: int
) -> Alignment:
    """GROW-DIAG-FINAL-AND (Koehn et al. 2003; the Moses / fast_align / eflomal default).

    Follows Moses ``symal -alignment=grow -diagonal=yes -final=yes -both=yes`` exactly:

    1. start from the intersection of both directional alignments;
    2. GROW-DIAG: repeatedly sweep the current alignment in target-major order ``(tgt, src)``
       and, for every aligned point, add each of its 8 neighbours (horizontal, vertical,
       diagonal) that is in the union and whose source or target word is still unaligned; points
       added after the current one are visited in the same sweep; stop when a sweep adds nothing;
    3. FINAL-AND: add the links of the forward, then of the backward alignment whose source
       **and** target words are both still unaligned.

    Both alignments are in ``(src, tgt)`` orientation over ``n_src x n_tgt`` words; ``forward``
    is the direction with at most one source word per target word (eflomal's / fast_align's
    forward output, symal's first FINAL pass). Per-link scores (if any input has them) are the
    max over the inputs.
    """
    return _grow(forward, backward, n_src, n_tgt, final=True, final_and=True)


SYMMETRIZATION_METHODS = {
    "intersection": lambda f, b, n, m: intersection(f, b),
    "union": lambda f, b, n, m: union(f, b),
    "grow-diag": grow_diag,
    "grow-diag-final": grow_diag_final,
    "grow-diag-final-and": grow_diag_final_and,
}


def symmetrize(
    forward: Alignment,
    backward: Alignment,
    n_src: int,
    n_tgt: int,
    method: str = "grow-diag-final-and",
) -> Alignment:
    """Combine two directional alignments (both ``(src, tgt)``-oriented) with ``method``:
    ``intersection``, ``union``, ``grow-diag``, ``grow-diag-final`` or ``grow-diag-final-and``."""
    try:
        fn = SYMMETRIZATION_METHODS[method]
    except KeyError:
        raise ValueError(
            f"unknown symmetrisation method {method!r}; use one of "
            f"{', '.join(SYMMETRIZATION_METHODS)}"
        ) from None
    return fn(forward, backward, n_src, n_tgt)


# ---------------------------------------------------------------------------------------------
# words <-> subwords
# ---------------------------------------------------------------------------------------------


def subwords_per_word(word_ids: Sequence[Optional[int]], n_words: int) -> List[List[int]]:
    """Word -> subword positions, from a tokenizer's ``word_ids`` (``None`` = special token).

    Returns a list of length ``n_words``; a word that produced no subword (e.g. a character the
    tokenizer drops) gets an empty list, and therefore never receives a link.
    """
    out: List[List[int]] = [[] for _ in range(n_words)]
    for pos, w in enumerate(word_ids):
        if w is None:
            continue
        if not 0 <= w < n_words:
            raise ValueError(f"word id {w} at subword {pos} is outside the {n_words} words")
        out[w].append(pos)
    return out


def subword_to_word_links(
    links: Iterable[Tuple[int, int]],
    src_word_ids: Sequence[Optional[int]],
    tgt_word_ids: Sequence[Optional[int]],
    scores: Optional[Iterable[float]] = None,
) -> Alignment:
    """Subword links -> word links: two words are aligned iff *any* of their subwords are.

    ``links`` index subword positions of the two sequences, ``*_word_ids`` map positions to word
    indices (``None`` = special token; links touching one are dropped). With ``scores`` (parallel
    to ``links``) a word link gets the **max** score of its subword links.
    """
    out_links: List[Link] = []
    out_scores: List[float] = []
    score_iter = iter(scores) if scores is not None else None
    for i, j in links:
        s = next(score_iter) if score_iter is not None else None  # type: ignore[arg-type]
        wi, wj = src_word_ids[i], tgt_word_ids[j]
        if wi is None or wj is None:
            continue
        out_links.append((int(wi), int(wj)))
        if s is not None:
            out_scores.append(float(s))
    return Alignment(out_links, out_scores if score_iter is not None else None)


def matrix_to_alignment(
    mask: np.ndarray,
    src_word_ids: Sequence[Optional[int]],
    tgt_word_ids: Sequence[Optional[int]],
    scores: Optional[np.ndarray] = None,
) -> Alignment:
    """A subword link matrix (non-zero = linked) -> word :class:`Alignment` ("any subword pair").

    ``scores`` (same shape as ``mask``) gives per-subword-link scores; word links keep the max.
    """
    rows, cols = np.nonzero(mask)
    link_scores = None if scores is None else scores[rows, cols].tolist()
    return subword_to_word_links(
        zip(rows.tolist(), cols.tolist()), src_word_ids, tgt_word_ids, link_scores
    )


def window_spans(word_ids: Sequence[int], max_subwords: int) -> List[Tuple[int, int]]:
    """Split a subword sequence into consecutive windows of at most ``max_subwords`` subwords.

    ``word_ids`` gives the word of each subword (no special tokens). Windows end at a word
    boundary whenever possible, so a word's subwords are embedded together; only a single word
    longer than ``max_subwords`` is cut inside. Returns half-open ``(start, end)`` subword ranges
    that exactly cover ``range(len(word_ids))`` in order (no subword dropped or repeated).
    """
    if max_subwords < 1:
        raise ValueError(f"max_subwords must be >= 1, got {max_subwords}")
    n = len(word_ids)
    spans: List[Tuple[int, int]] = []
    start = 0
    while start < n:
        end = min(start + max_subwords, n)
        if end < n and word_ids[end] == word_ids[end - 1]:
            # back off to the start of the word that would be cut
            cut = end - 1
            while cut > start and word_ids[cut - 1] == word_ids[end]:
                cut -= 1
            if cut > start:
                end = cut
        spans.append((start, end))
        start = end
    return spans

"""Heuristic alignment-based projection (García-Ferrero et al. 2022 + the paper's extensions).

The THESIS algorithm (PAPER 3.3), with the fixes PAPER 6.7 recommends:

1. source entities are processed in order of increasing length (stable: ties keep input order);
2. the target words aligned to any word of the entity are marked; the maximal runs of marked
   words are the candidate ranges;
3. two neighbouring ranges are merged when at most ``merge_distance`` (``d``) unmarked words lie
   between them; the merged range ends at ``max`` of both ends; with ``only_i`` a range whose first
   word is aligned to the entity's first word is never merged into the previous one;
4. with ``length_ratio_threshold`` (``thr``) a range is kept only if ``len(range)/len(entity) > thr``
   (strict); a one-word entity is never filtered;
5. with ``top_k`` (``k``) at most ``k`` ranges are kept: the **shortest** ``k`` (stable), as the
   paper's code does (the thesis text says "longest");
6. a range is labelled only if none of its words is labelled already (earlier, shorter entities win).

Each projection carries a score: the alignment score ``2 N / (|entity| + |range|)`` of the range
(``N`` = links between the entity's words and the range's words), the same quantity as
``spacy-xproj.AlignScore.v1``, so heuristic and candidate projections are comparable in the
``xproj`` span group.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Set, Tuple

from ..types import Alignment, Entity

Run = Tuple[int, int]


def _runs(marked: Sequence[int]) -> List[Run]:
    """Maximal runs of consecutive indices in a sorted, duplicate-free list."""
    runs: List[Run] = []
    for j in marked:
        if runs and runs[-1][1] == j:
            runs[-1] = (runs[-1][0], j + 1)
        else:
            runs.append((j, j + 1))
    return runs


def heuristic_ranges(
    entity: Entity,
    forward: dict,
    merge_distance: int,
    top_k: Optional[int],
    only_i: bool,
    length_ratio_threshold: Optional[float],
) -> List[Run]:
    """Steps 2-5 for one entity: the target ranges it projects onto (before overlap checks)."""
    marked: Set[int] = set()
    for i in range(entity.start, entity.end):
        marked.update(forward.get(i, ()))
    ranges = _runs(sorted(marked))
    first_word_links = forward.get(entity.start, set())
    if len(ranges) > 1:
        merged = [ranges[0]]
        for s, e in ranges[1:]:
            prev_s, prev_e = merged[-1]
            if s - prev_e > merge_distance:  # gap = words strictly between the two ranges
                merged.append((s, e))
            elif only_i and s in first_word_links:
                merged.append((s, e))
            else:
                merged[-1] = (prev_s, max(prev_e, e))
        ranges = merged
    n = len(entity)
    if length_ratio_threshold is not None and n > 1:
        ranges = [r for r in ranges if (r[1] - r[0]) / n > length_ratio_threshold]
    if top_k is not None:
        ranges = sorted(ranges, key=lambda r: r[1] - r[0])[:top_k]
    return ranges


def project_heuristic(
    src_ents: Sequence[Entity],
    alignment: Alignment,
    n_tgt: int,
    merge_distance: int,
    top_k: Optional[int],
    only_i: bool,
    length_ratio_threshold: Optional[float],
    n_src: Optional[int] = None,
) -> List[Tuple[Entity, float]]:
    """Project ``src_ents`` onto a target sentence of ``n_tgt`` words.

    ``alignment`` links are ``(src_index, tgt_index)``. Returns non-overlapping
    ``(Entity, score)`` pairs sorted by start; the score is the align score of the range.
    ``n_src`` (default: the largest source index in entities/links + 1) bounds the source side.
    The four switches have no defaults here: ``spacy-xproj.HeuristicProjector.v1`` holds them.
    """
    found = heuristic_matches(
        src_ents, alignment, n_tgt, merge_distance, top_k, only_i, length_ratio_threshold, n_src
    )
    out = [(Entity(s, e, ent.label), score) for ent, (s, e), score in found]
    return sorted(out, key=lambda x: (x[0].start, x[0].end))


def heuristic_matches(
    src_ents: Sequence[Entity],
    alignment: Alignment,
    n_tgt: int,
    merge_distance: int,
    top_k: Optional[int],
    only_i: bool,
    length_ratio_threshold: Optional[float],
    n_src: Optional[int] = None,
) -> List[Tuple[Entity, Run, float]]:
    """``(source entity, target range, align score)`` of every projection of ``project_heuristic``
    (in the order they were found)."""
    if merge_distance < 0:
        raise ValueError("merge_distance must be >= 0")
    if top_k is not None and top_k < 0:
        raise ValueError("top_k must be >= 0 or None")
    if n_src is None:
        n_src = max([e.end for e in src_ents] + [i + 1 for i, _ in alignment.links] + [0])
    for e in src_ents:
        if not (0 <= e.start < e.end <= n_src):
            raise ValueError(f"source entity {e.to_json()} is outside the sentence ({n_src} words)")
    alignment.validate(n_src, n_tgt)
    forward = alignment.forward()
    labelled = [False] * n_tgt
    found: List[Tuple[Entity, Run]] = []
    for ent in sorted(src_ents, key=len):  # sorted() is stable: equal lengths keep input order
        for s, e in heuristic_ranges(ent, forward, merge_distance, top_k, only_i, length_ratio_threshold):
            if any(labelled[s:e]):
                continue
            labelled[s:e] = [True] * (e - s)
            found.append((ent, (s, e)))
    out = []
    for ent, (s, e) in found:
        # the align score 2N / (|entity| + |range|); entity and range are short, so count directly
        links = sum(1 for i in range(ent.start, ent.end) for j in forward.get(i, ()) if s <= j < e)
        out.append((ent, (s, e), 2.0 * links / (len(ent) + e - s)))
    return out

"""Entity voting: combine the entities that several NER models predicted for the same sentences.

An entity is kept when at least ``min_votes`` of the models predicted it exactly (same word span,
same type). With a strict majority (``min_votes > n_models / 2``, the default) the kept entities
never overlap: two overlapping entities would need a common voter, and one model's entities do
not overlap. Independently trained source NERs disagree on about a quarter of their entities on
noisy text; the entities a majority agrees on are the more precise ones (docs/target-models.md).

    vote_entities([[Entity(0, 2, "PER")], [Entity(0, 2, "PER")], [Entity(0, 1, "PER")]])
    -> [Entity(0, 2, "PER")]
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable, Iterator, List, Optional, Sequence, Tuple

from ..errors import ConfigError, InputError
from ..types import Entity, Pair, overlaps


def majority(n_models: int) -> int:
    """The smallest strict majority of ``n_models`` votes (2 of 3, 3 of 4, 3 of 5)."""
    return n_models // 2 + 1


def check_min_votes(min_votes: Optional[int], n_models: int) -> int:
    """``min_votes``, or the strict majority for ``None``; a clear error outside ``1..n_models``."""
    if n_models < 1:
        raise ConfigError("voting needs at least one labelled input")
    if min_votes is None:
        return majority(n_models)
    if not 1 <= min_votes <= n_models:
        raise ConfigError(f"min_votes must be between 1 and the number of inputs ({n_models}), got {min_votes}")
    return min_votes


def vote_entities(predictions: Sequence[Sequence[Entity]], min_votes: Optional[int] = None) -> List[Entity]:
    """The entities predicted by at least ``min_votes`` of the models (default: a strict majority),
    sorted by position. Below a strict majority, overlapping winners can occur: the one with more
    votes is kept (then the longer, then the earlier), so the result never overlaps."""
    k = check_min_votes(min_votes, len(predictions))
    votes = Counter(ent for ents in predictions for ent in set(ents))
    winners = sorted((e for e, v in votes.items() if v >= k), key=lambda e: (-votes[e], -len(e), e))
    kept: List[Entity] = []
    for ent in winners:
        if not any(overlaps(ent.span, other.span) for other in kept):
            kept.append(ent)
    return sorted(kept)


def vote_pairs(
    streams: Sequence[Iterable[Pair]], names: Sequence[str], side: str = "src", min_votes: Optional[int] = None,
) -> Iterator[Tuple[Pair, int, int]]:
    """Walk labelled copies of one pair file in step and yield ``(pair, n_kept, n_distinct)``: the
    pair of the first stream with the entities of ``side`` replaced by the vote. The copies must hold
    the same pairs in the same order with the same words; anything else is an error naming the
    file and the line, never a silent mismatch."""
    if side not in ("src", "tgt"):
        raise ConfigError(f"side must be 'src' or 'tgt', got {side!r}")
    k = check_min_votes(min_votes, len(streams))
    iterators = [iter(s) for s in streams]
    lineno = 0
    while True:
        lineno += 1
        pairs = [next(it, None) for it in iterators]
        if all(p is None for p in pairs):
            return
        if any(p is None for p in pairs):
            short = names[pairs.index(None)]
            longer = names[next(i for i, p in enumerate(pairs) if p is not None)]
            raise InputError(f"{short} ends after {lineno - 1} pairs but {longer} has more; vote over "
                             f"labellings of the same pair file")
        first = pairs[0]
        assert first is not None
        for name, pair in zip(names[1:], pairs[1:]):
            assert pair is not None
            if pair.id != first.id or getattr(pair, side).words != getattr(first, side).words:
                raise InputError(f"{name}:{lineno}: pair {pair.id!r} differs from {names[0]}:{lineno} ({first.id!r}) "
                                 f"in its id or {side} words; vote over labellings of the same pair file")
        predictions = [list(getattr(p, side).ents) for p in pairs if p is not None]
        ents = vote_entities(predictions, k)
        getattr(first, side).ents = ents
        yield first, len(ents), len(set(e for p in predictions for e in p))

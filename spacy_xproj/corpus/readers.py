"""spaCy corpus reader over pair JSONL: ``spacy-xproj.PairCorpus.v1``.

Use it in a training config to train a target-language NER directly on projected pairs::

    [corpora.train]
    @readers = "spacy-xproj.PairCorpus.v1"
    path = "corpus/projected.jsonl"
    side = "tgt"

Each pair yields one ``Example`` whose reference is the chosen side's words with its entities in
``doc.ents`` (every other word is ``O``, i.e. annotated as outside an entity) and whose predicted doc
has the same words. Pairs are never reordered; ``limit`` and ``skip_unlabelled`` are the only ways
pairs are left out, and both are explicit options. ``skip_unlabelled`` (default ``False``) leaves out
sides with no entity: keep them by default, since a sentence without entities is real evidence for
``O``; turn it on for projected data where an empty side usually means a failed projection.
Overlapping entities (raw projections) cannot be training targets: the first non-overlapping ones
by start are used.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator, Union

import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example

from ..doc import side_to_doc
from .jsonl import read_pairs

PathLike = Union[str, Path]


class PairCorpus:
    """Iterate training ``Example``s from one side of a pair JSONL file."""

    def __init__(
        self, path: PathLike, *, side: str = "tgt", limit: int = 0, skip_unlabelled: bool = False
    ) -> None:
        if side not in ("src", "tgt"):
            raise ValueError(f"PairCorpus side must be 'src' or 'tgt', got {side!r}")
        self.path = Path(path)
        self.side = side
        self.limit = limit
        self.skip_unlabelled = skip_unlabelled

    def __call__(self, nlp: Language) -> Iterator[Example]:
        n = 0
        for pair in read_pairs(self.path):
            if self.limit and n >= self.limit:
                break
            side = getattr(pair, self.side)
            if self.skip_unlabelled and not side.ents:
                continue
            reference = side_to_doc(side, nlp.vocab)
            predicted = Doc(nlp.vocab, words=list(side.words), spaces=[True] * len(side.words))
            yield Example(predicted, reference)
            n += 1


@spacy.registry.readers("spacy-xproj.PairCorpus.v1")
def create_pair_corpus(
    path: str, side: str = "tgt", limit: int = 0, skip_unlabelled: bool = False
) -> Callable[[Language], Iterator[Example]]:
    """Training examples from the ``side`` (default ``tgt``) of a pair JSONL file.

    ``limit``: at most this many examples (0 = all); ``skip_unlabelled``: leave out sides without
    entities (default keeps them).
    """
    return PairCorpus(path, side=side, limit=limit, skip_unlabelled=skip_unlabelled)

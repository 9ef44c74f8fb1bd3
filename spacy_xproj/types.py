"""The data model shared by every part: entities, sides, alignments and pair records.

Conventions (see DESIGN.md):
* spans are half-open word ranges ``[start, end)``;
* a *pair* has a ``src`` side (where entities are known: the high-resource language) and a
  ``tgt`` side (where they are projected to); labels always flow src -> tgt;
* alignment links are ``(src_index, tgt_index)`` word-index pairs.

A pair is one JSON object per line on disk (``SCHEMA_VERSION`` is written as ``"v"``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

import numpy as np

from .errors import InputError

SCHEMA_VERSION = 1

SpanTuple = Tuple[int, int]
Link = Tuple[int, int]


def overlaps(a: Tuple[int, int], b: Tuple[int, int]) -> bool:
    """Half-open spans ``[a0, a1)`` and ``[b0, b1)`` overlap iff ``a0 < b1 and b0 < a1``."""
    return a[0] < b[1] and b[0] < a[1]


@dataclass(frozen=True, order=True)
class Entity:
    """A labelled half-open word span ``[start, end)``."""

    start: int
    end: int
    label: str

    @property
    def span(self) -> SpanTuple:
        return (self.start, self.end)

    def __len__(self) -> int:
        return self.end - self.start

    def to_json(self) -> List[Any]:
        return [self.start, self.end, self.label]

    @classmethod
    def from_json(cls, value: Any) -> "Entity":
        if (
            not isinstance(value, (list, tuple))
            or len(value) != 3
            or not all(isinstance(x, int) and not isinstance(x, bool) for x in value[:2])
            or not isinstance(value[2], str)
        ):
            raise ValueError(f"an entity must be [start, end, label], got {value!r}")
        return cls(int(value[0]), int(value[1]), value[2])


@dataclass
class NerProbs:
    """Per-word class probabilities of a token classifier (first subword of each word).

    ``labels`` are IOB label names (``"O"``, ``"B-PER"``, ``"I-PER"``, ...), ``probs`` has shape
    ``(n_words, len(labels))``. Used by the ``ner`` / ``ner_spans`` scores and NER candidates.
    """

    labels: List[str]
    probs: np.ndarray

    def to_json(self) -> Dict[str, Any]:
        # float64 before rounding: float32 values would print as 0.10000000149011612.
        values = np.round(np.asarray(self.probs, dtype=np.float64), 6).tolist()
        return {"labels": list(self.labels), "values": values}

    @classmethod
    def from_json(cls, value: Dict[str, Any]) -> "NerProbs":
        if not isinstance(value, dict) or not isinstance(value.get("labels"), list):
            raise ValueError("'probs' must be an object {\"labels\": [...], \"values\": [[...], ...]}")
        labels = value["labels"]
        if not all(isinstance(x, str) for x in labels):
            raise ValueError("'probs' labels must be strings")
        probs = np.asarray(value.get("values", []), dtype=np.float32)
        if probs.size == 0:
            probs = probs.reshape(0, len(labels))
        if probs.ndim != 2 or probs.shape[1] != len(labels) or not np.isfinite(probs).all():
            raise ValueError(
                f"'probs' values must be a finite (words x {len(labels)} labels) matrix, got shape {probs.shape}"
            )
        return cls(list(labels), probs)


@dataclass
class Side:
    """One side of a pair: a language code, its words, and its entities."""

    lang: str
    words: List[str]
    ents: List[Entity] = field(default_factory=list)
    probs: Optional[NerProbs] = None

    def to_json(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {
            "lang": self.lang,
            "words": list(self.words),
            "ents": [e.to_json() for e in self.ents],
        }
        if self.probs is not None:
            out["probs"] = self.probs.to_json()
        return out

    @classmethod
    def from_json(cls, value: Any) -> "Side":
        if not isinstance(value, dict):
            raise ValueError(f"a side must be an object, got {type(value).__name__}")
        for key in ("lang", "words"):
            if key not in value:
                raise ValueError(f"a side needs the field '{key}'")
        words = value["words"]
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise ValueError("'words' must be a list of strings")
        if not isinstance(value["lang"], str):
            raise ValueError(f"'lang' must be a string, got {value['lang']!r}")
        if not isinstance(value.get("ents", []), list):
            raise ValueError("'ents' must be a list of [start, end, label]")
        ents = [Entity.from_json(e) for e in value.get("ents", [])]
        probs = NerProbs.from_json(value["probs"]) if value.get("probs") else None
        return cls(str(value["lang"]), list(words), ents, probs)


class Alignment:
    """A word alignment: a set of ``(src_index, tgt_index)`` links, optionally scored.

    Links are kept sorted and unique. ``scores`` (if given) are parallel to ``links``.
    """

    __slots__ = ("links", "scores")

    def __init__(
        self, links: Iterable[Sequence[int]] = (), scores: Optional[Iterable[float]] = None
    ) -> None:
        pairs = [(int(i), int(j)) for i, j in links]
        if scores is None:
            self.links: List[Link] = sorted(set(pairs))
            self.scores: Optional[List[float]] = None
        else:
            best: Dict[Link, float] = {}
            for link, s in zip(pairs, scores):
                best[link] = max(float(s), best.get(link, float("-inf")))
            self.links = sorted(best)
            self.scores = [best[link] for link in self.links]

    def __len__(self) -> int:
        return len(self.links)

    def __iter__(self) -> Iterator[Link]:
        return iter(self.links)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Alignment)
            and self.links == other.links
            and self.scores == other.scores
        )

    def __repr__(self) -> str:
        return f"Alignment({self.links!r}{', scores=...' if self.scores else ''})"

    def forward(self) -> Dict[int, Set[int]]:
        """``src_index -> {tgt_index, ...}``."""
        out: Dict[int, Set[int]] = {}
        for i, j in self.links:
            out.setdefault(i, set()).add(j)
        return out

    def backward(self) -> Dict[int, Set[int]]:
        """``tgt_index -> {src_index, ...}``."""
        out: Dict[int, Set[int]] = {}
        for i, j in self.links:
            out.setdefault(j, set()).add(i)
        return out

    def inverse(self) -> "Alignment":
        """The same links with the sides swapped: ``(tgt, src)``."""
        return Alignment([(j, i) for i, j in self.links], self.scores)

    @staticmethod
    def invert_runs(runs: Sequence[Sequence[Sequence[Sequence[int]]]]) -> List[List[List[List[int]]]]:
        """Directional runs ``[[forward, backward], ...]`` (both as ``(src, tgt)`` links; forward =
        the aligner's source-to-target model) seen from the other side: each link swapped, and
        forward and backward exchanged (the other side's source-to-target model is this side's
        backward one)."""
        return [[[[j, i] for i, j in rev], [[j, i] for i, j in fwd]] for fwd, rev in runs]

    def matrix(self, n_src: int, n_tgt: int) -> np.ndarray:
        """Dense 0/1 matrix of shape ``(n_src, n_tgt)``."""
        self.validate(n_src, n_tgt)
        m = np.zeros((n_src, n_tgt), dtype=np.int32)
        for i, j in self.links:
            m[i, j] = 1
        return m

    def validate(self, n_src: int, n_tgt: int, where: str = "alignment") -> None:
        """Raise ``ValueError`` naming the first link outside ``n_src x n_tgt``."""
        for i, j in self.links:
            if not (0 <= i < n_src and 0 <= j < n_tgt):
                raise ValueError(
                    f"{where}: link ({i}, {j}) is outside the sentences "
                    f"({n_src} source words, {n_tgt} target words)"
                )

    def to_json(self) -> Any:
        if self.scores is None:
            return [[i, j] for i, j in self.links]
        return [[i, j, round(s, 6)] for (i, j), s in zip(self.links, self.scores)]

    @classmethod
    def from_json(cls, value: Any) -> "Alignment":
        if not isinstance(value, list):
            raise ValueError("'alignment' must be a list of [src, tgt] or [src, tgt, score]")
        links, scores = [], []
        for item in value:
            if not isinstance(item, list) or len(item) not in (2, 3):
                raise ValueError(f"an alignment link must be [src, tgt(, score)], got {item!r}")
            if not all(isinstance(x, int) and not isinstance(x, bool) for x in item[:2]):
                raise ValueError(f"alignment indices must be integers, got {item!r}")
            links.append((item[0], item[1]))
            scores.append(float(item[2]) if len(item) == 3 else None)
        has_scores = [s is not None for s in scores]
        if any(has_scores) and not all(has_scores):
            raise ValueError("either every alignment link has a score or none has")
        return cls(links, scores if links and all(has_scores) else None)


@dataclass
class Pair:
    """One sentence pair: the unit of every workflow step (one JSON line on disk)."""

    id: str
    src: Side
    tgt: Side
    alignment: Optional[Alignment] = None
    meta: Dict[str, Any] = field(default_factory=dict)

    def validate(self) -> None:
        """Check spans and links against the sentence lengths; raise ``InputError`` naming the pair."""
        try:
            for side_name, side in (("src", self.src), ("tgt", self.tgt)):
                n = len(side.words)
                for e in side.ents:
                    if not (0 <= e.start < e.end <= n):
                        raise ValueError(
                            f"{side_name} entity {e.to_json()} is outside the sentence ({n} words)"
                        )
                if side.probs is not None and side.probs.probs.shape[0] != n:
                    raise ValueError(
                        f"{side_name} probabilities have {side.probs.probs.shape[0]} rows for {n} words"
                    )
            if self.alignment is not None:
                self.alignment.validate(len(self.src.words), len(self.tgt.words))
        except ValueError as err:
            raise InputError(str(err), record=self.id) from None

    def to_json(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {
            "v": SCHEMA_VERSION,
            "id": self.id,
            "src": self.src.to_json(),
            "tgt": self.tgt.to_json(),
        }
        if self.alignment is not None:
            out["alignment"] = self.alignment.to_json()
        if self.meta:
            out["meta"] = self.meta
        return out

    @classmethod
    def from_json(cls, value: Any) -> "Pair":
        """Build a pair from a decoded JSON object; ``ValueError`` says what is wrong."""
        if not isinstance(value, dict):
            raise ValueError(f"a pair record must be a JSON object, got {type(value).__name__}")
        version = value.get("v", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise ValueError(f"unsupported pair schema version {version!r} (this is v{SCHEMA_VERSION})")
        if "id" not in value:
            raise ValueError("a pair record needs an 'id'")
        for key in ("src", "tgt"):
            if key not in value:
                raise ValueError(f"a pair record needs the field '{key}'")
        if not isinstance(value["id"], str) or not value["id"]:
            raise ValueError(f"a pair 'id' must be a non-empty string, got {value['id']!r}")
        if not isinstance(value.get("meta") or {}, dict):
            raise ValueError("'meta' must be a JSON object")
        alignment = value.get("alignment")
        return cls(
            id=str(value["id"]),
            src=Side.from_json(value["src"]),
            tgt=Side.from_json(value["tgt"]),
            alignment=Alignment.from_json(alignment) if alignment is not None else None,
            meta=dict(value.get("meta") or {}),
        )

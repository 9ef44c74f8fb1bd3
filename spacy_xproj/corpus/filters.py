"""Cleaning projected training data: pair filters, sentence filters and partial annotation.

Three kinds of registered functions (registry ``xproj_filters``), all pure functions of a
:class:`~spacy_xproj.types.Pair`:

* **pair filters** decide whether two sentences are translations of each other at all (run them on
  aligned pairs, before labelling): ``LengthRatioFilter``, ``AlignmentCoverageFilter``; and
  ``ExcludeSentencesFilter`` keeps evaluation sentences out of the training text (run it first,
  before alignment);
* **sentence filters** decide whether a projected sentence is reliable enough to train on (the rules
  of the projection literature): ``HasEntitiesFilter``, ``SourceAlignedFilter``,
  ``ContiguousFilter``, ``EqualCountsFilter``;
* **partial annotation** (``PartialAnnotation``) keeps a sentence but marks the target words the
  projection is unsure about as *missing* instead of ``O``: spaCy's NER then neither rewards nor
  punishes a prediction there. The missing word ranges go to ``pair.meta["xproj_missing"]`` (half-open
  ``[start, end)`` on the tgt side) and ``xproj convert --to docbin`` writes them as missing tokens
  (``ent_iob`` 0, ``"-"`` in BILUO);
* **corpus-level rules** first look at the whole file: ``NameConsistency`` removes projected entities
  whose word string lies inside an entity in only a small share of its occurrences (common words
  a source error or a misalignment turned into names) and makes their words missing.

A filter returns ``None`` to keep a pair, or a short reason (the filter's name) to drop it; the CLI
``xproj filter`` counts the reasons in its run summary.
"""
from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple, Union

from ..projection.component import PAIR_SCORES_KEY
from ..registry import filters
from ..types import Entity, Pair

MISSING_KEY = "xproj_missing"  # pair meta: tgt word ranges whose label is unknown (not O)

PairFilter = Callable[[Pair], Optional[str]]
PairTransform = Callable[[Pair], Pair]



# ----------------------------------------------------------------------------- helpers


def aligned_targets(pair: Pair, ent: Entity) -> Set[int]:
    """Target word indices linked to any word of the source entity ``ent``."""
    if pair.alignment is None:
        return set()
    return {j for i, j in pair.alignment.links if ent.start <= i < ent.end}


def alignment_coverage(pair: Pair) -> float:
    """The smaller of the two sides' fractions of words with at least one alignment link."""
    n_src, n_tgt = len(pair.src.words), len(pair.tgt.words)
    if n_src == 0 or n_tgt == 0:
        return 0.0
    links = pair.alignment.links if pair.alignment is not None else []
    src_cov = len({i for i, _ in links}) / n_src
    tgt_cov = len({j for _, j in links}) / n_tgt
    return min(src_cov, tgt_cov)


def _ranges(indices: Iterable[int]) -> List[Tuple[int, int]]:
    """Sorted word indices as maximal half-open ranges: {1,2,3,7} -> [(1,4), (7,8)]."""
    out: List[Tuple[int, int]] = []
    for i in sorted(set(indices)):
        if out and out[-1][1] == i:
            out[-1] = (out[-1][0], i + 1)
        else:
            out.append((i, i + 1))
    return out


def missing_words(pair: Pair) -> Set[int]:
    """The tgt word indices marked missing in ``pair.meta`` (empty set when none)."""
    out: Set[int] = set()
    for start, end in pair.meta.get(MISSING_KEY, []):
        out.update(range(int(start), int(end)))
    return out


# ----------------------------------------------------------------------------- pair filters


def length_ratio_ok(pair: Pair, max_ratio: float) -> bool:
    """Both sides non-empty and the longer at most ``max_ratio`` times the shorter (in words)."""
    a, b = len(pair.src.words), len(pair.tgt.words)
    if a == 0 or b == 0:
        return False
    return max(a, b) / min(a, b) <= max_ratio


@filters("spacy-xproj.LengthRatioFilter.v1")
def make_length_ratio_filter(max_ratio: float = 2.0) -> PairFilter:
    """Drop pairs whose word counts differ by more than ``max_ratio`` (likely not translations)."""
    if max_ratio < 1.0:
        raise ValueError(f"max_ratio must be >= 1, got {max_ratio}")

    def keep(pair: Pair) -> Optional[str]:
        return None if length_ratio_ok(pair, max_ratio) else "length_ratio"

    return keep


@filters("spacy-xproj.AlignmentCoverageFilter.v1")
def make_alignment_coverage_filter(min_coverage: float = 0.5) -> PairFilter:
    """Drop aligned pairs where less than ``min_coverage`` of either side's words is linked."""
    if not 0.0 <= min_coverage <= 1.0:
        raise ValueError(f"min_coverage must be in [0, 1], got {min_coverage}")

    def keep(pair: Pair) -> Optional[str]:
        if pair.alignment is None:
            raise ValueError(f"pair {pair.id!r} has no alignment (run `xproj align` before this filter)")
        return None if alignment_coverage(pair) >= min_coverage else "alignment_coverage"

    return keep


def sentence_key(words: Iterable[str]) -> str:
    """A sentence's identity for overlap checks: its letters and digits only (NFKC-normalised,
    lower-cased; spaces and punctuation dropped), so tokenisation, quote and ellipsis styles and
    case do not hide a copy."""
    text = unicodedata.normalize("NFKC", "".join(words)).lower()
    return "".join(ch for ch in text if ch.isalnum())


def read_sentence_keys(path: Union[str, Path], side: str = "tgt") -> List[str]:
    """The :func:`sentence_key` of every sentence of a file: a pair JSONL file (``.jsonl``; its
    ``side``) or a CoNLL file (any other name; its tokens). Empty sentences are left out."""
    from .conll import read_conll_sentences
    from .jsonl import read_pairs

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file (sentences to exclude)")
    if path.suffix == ".jsonl":
        keys = [sentence_key(getattr(p, side).words) for p in read_pairs(path)]
    else:
        keys = [sentence_key(sent.words) for sent in read_conll_sentences(path)]
    return [k for k in keys if k]


def shared_text_matcher(keys: Iterable[str], min_shared: int = 60) -> Callable[[str], bool]:
    """A test ``key -> bool``: true when ``key`` equals one of ``keys`` or shares a run of at least
    ``min_shared`` characters with one (every key is a :func:`sentence_key`). The run catches a
    sentence that is another one cut short, extended or re-punctuated; 60 letters (about ten
    words) is long enough that unrelated news sentences almost never share it."""
    if min_shared < 1:
        raise ValueError(f"min_shared must be >= 1, got {min_shared}")
    whole: Set[str] = set()
    runs: Set[str] = set()
    for key in keys:
        whole.add(key)
        for i in range(len(key) - min_shared + 1):
            runs.add(key[i : i + min_shared])

    def matches(key: str) -> bool:
        if not key:
            return False
        return key in whole or any(key[i : i + min_shared] in runs for i in range(len(key) - min_shared + 1))

    return matches


@filters("spacy-xproj.ExcludeSentencesFilter.v1")
def make_exclude_sentences_filter(paths: List[str], side: str = "tgt", min_shared: int = 60) -> PairFilter:
    """Drop pairs whose ``side`` sentence occurs in one of the files ``paths`` (CoNLL files or pair
    JSONL files): equal to one of their sentences, or sharing a run of ``min_shared`` letters and
    digits with one (:func:`shared_text_matcher`). The evaluation sentences are then never trained
    on, nor aligned, even where the parallel corpus shares text with the test set (most of the
    MAFAND-MT fr-wol test split is the text of MasakhaNER 2.0 wol test)."""
    if side not in ("src", "tgt"):
        raise ValueError(f"side must be 'src' or 'tgt', got {side!r}")
    keys: List[str] = []
    for path in paths:
        keys.extend(read_sentence_keys(path, side))
    matches = shared_text_matcher(keys, min_shared)

    def keep(pair: Pair) -> Optional[str]:
        return "excluded_sentence" if matches(sentence_key(getattr(pair, side).words)) else None

    return keep


# ----------------------------------------------------------------------------- sentence filters


@filters("spacy-xproj.HasEntitiesFilter.v1")
def make_has_entities_filter(keep_empty_source: bool = False) -> PairFilter:
    """Drop projected sentences without target entities.

    ``keep_empty_source``: keep sentences whose *source* has no entities either (true negatives).
    """

    def keep(pair: Pair) -> Optional[str]:
        if pair.tgt.ents or (keep_empty_source and not pair.src.ents):
            return None
        return "no_entities"

    return keep


@filters("spacy-xproj.SourceAlignedFilter.v1")
def make_source_aligned_filter() -> PairFilter:
    """Drop sentences with a source entity that has a word without any alignment link."""

    def keep(pair: Pair) -> Optional[str]:
        if pair.alignment is None:
            raise ValueError(f"pair {pair.id!r} has no alignment")
        linked = {i for i, _ in pair.alignment.links}
        for e in pair.src.ents:
            if any(i not in linked for i in range(e.start, e.end)):
                return "source_not_aligned"
        return None

    return keep


@filters("spacy-xproj.ContiguousFilter.v1")
def make_contiguous_filter() -> PairFilter:
    """Drop sentences where the target words aligned to a source entity are not one contiguous run."""

    def keep(pair: Pair) -> Optional[str]:
        for e in pair.src.ents:
            targets = aligned_targets(pair, e)
            if targets and max(targets) - min(targets) + 1 != len(targets):
                return "not_contiguous"
        return None

    return keep


@filters("spacy-xproj.EqualCountsFilter.v1")
def make_equal_counts_filter() -> PairFilter:
    """Drop sentences whose number of entities per type differs between source and target."""

    def keep(pair: Pair) -> Optional[str]:
        src = Counter(e.label for e in pair.src.ents)
        tgt = Counter(e.label for e in pair.tgt.ents)
        return None if src == tgt else "unequal_counts"

    return keep


# ----------------------------------------------------------------------------- partial annotation


@dataclass(frozen=True)
class PartialAnnotationStats:
    low_score_ents: int = 0
    unprojected_ents: int = 0
    missing_words: int = 0


def partial_annotation(
    pair: Pair,
    *,
    min_score: float = 0.0,
    unprojected: bool = True,
    unaligned_words: bool = True,
    capitalised: bool = False,
) -> Tuple[Pair, PartialAnnotationStats]:
    """Mark the target words the projection is unsure about as missing; return the new pair.

    * ``min_score``: a projected entity whose score (``meta["xproj_scores"]``) is below it is removed
      and its words become missing;
    * ``unprojected``: for a source entity with no target entity of its label among the words aligned
      to it (the projection lost it), those aligned words become missing;
    * ``unaligned_words``: when a source entity was lost and has no aligned target words at all, every
      target word without an alignment link (outside entities) becomes missing — the lost entity may be
      any of them;
    * ``capitalised``: capitalised target words outside entities (not the first word) become missing:
      in languages written in Latin script, they may be names the source model missed.
    """
    tgt_ents = list(pair.tgt.ents)
    scores = pair.meta.get(PAIR_SCORES_KEY)
    missing: Set[int] = set(missing_words(pair))
    n_low = 0
    if min_score > 0 and isinstance(scores, list) and len(scores) == len(tgt_ents):
        kept = []
        for e, s in zip(tgt_ents, scores):
            if s is not None and float(s) < min_score:
                missing.update(range(e.start, e.end))
                n_low += 1
            else:
                kept.append(e)
        tgt_ents = kept
    n_lost = 0
    if unprojected and pair.alignment is not None:
        linked_tgt = {j for _, j in pair.alignment.links}
        for e in pair.src.ents:
            targets = aligned_targets(pair, e)
            if any(t.label == e.label and any(t.start <= j < t.end for j in targets) for t in tgt_ents):
                continue
            n_lost += 1
            if targets:
                missing.update(targets)
            elif unaligned_words:
                missing.update(j for j in range(len(pair.tgt.words)) if j not in linked_tgt)
    if capitalised:
        for j, w in enumerate(pair.tgt.words):
            if j > 0 and w[:1].isupper():
                missing.add(j)
    in_ents = {j for e in tgt_ents for j in range(e.start, e.end)}
    missing -= in_ents
    meta = dict(pair.meta)
    if missing:
        meta[MISSING_KEY] = [list(r) for r in _ranges(missing)]
    else:
        meta.pop(MISSING_KEY, None)
    if isinstance(scores, list) and len(scores) == len(pair.tgt.ents) and n_low:
        meta[PAIR_SCORES_KEY] = [s for e, s in zip(pair.tgt.ents, scores) if e in tgt_ents]
    new = replace(pair, tgt=replace(pair.tgt, ents=tgt_ents), meta=meta)
    return new, PartialAnnotationStats(n_low, n_lost, len(missing))


@filters("spacy-xproj.PartialAnnotation.v1")
def make_partial_annotation(
    min_score: float = 0.0,
    unprojected: bool = True,
    unaligned_words: bool = True,
    capitalised: bool = False,
) -> Callable[[Pair], Tuple[Pair, PartialAnnotationStats]]:
    """Registered form of :func:`partial_annotation` (see there for the options)."""

    def annotate(pair: Pair) -> Tuple[Pair, PartialAnnotationStats]:
        return partial_annotation(
            pair, min_score=min_score, unprojected=unprojected, unaligned_words=unaligned_words,
            capitalised=capitalised,
        )

    return annotate


# ----------------------------------------------------------------------------- corpus level: name consistency


@dataclass
class NameStats:
    """For each projected entity string (its target words): how often it occurs, and how often inside an entity."""

    occurrences: Counter = field(default_factory=Counter)
    in_entities: Counter = field(default_factory=Counter)

    def share(self, words: Sequence[str]) -> float:
        """The fraction of the string's occurrences that lie inside a projected entity (1.0 if unseen)."""
        key = tuple(words)
        n = self.occurrences.get(key, 0)
        return self.in_entities.get(key, 0) / n if n else 1.0


def name_statistics(pairs: Sequence[Pair]) -> NameStats:
    """Count, over the target sides of ``pairs``, where each projected entity string occurs.

    An occurrence is any run of words equal to the string (overlapping runs count); it is *inside an
    entity* when every one of its words belongs to one projected entity (of any label, e.g. "Sall" in
    "Macky Sall"). ``share`` is therefore small for common words that a source-side error or a
    misalignment put into an entity, and large for names.
    """
    names = {tuple(p.tgt.words[e.start:e.end]) for p in pairs for e in p.tgt.ents}
    stats = NameStats()
    if not names:
        return stats
    max_len = max(len(k) for k in names)
    for pair in pairs:
        words = pair.tgt.words
        ent_of = {j: k for k, e in enumerate(pair.tgt.ents) for j in range(e.start, e.end)}
        for i in range(len(words)):
            for n in range(1, min(max_len, len(words) - i) + 1):
                key = tuple(words[i:i + n])
                if key in names:
                    stats.occurrences[key] += 1
                    k = ent_of.get(i)
                    if k is not None and all(ent_of.get(j) == k for j in range(i, i + n)):
                        stats.in_entities[key] += 1
    return stats


def remove_inconsistent_names(
    pair: Pair, stats: NameStats, *, min_share: float, min_occurrences: int
) -> Tuple[Pair, int]:
    """Remove the projected entities whose string occurs at least ``min_occurrences`` times in the
    corpus but lies inside an entity in less than ``min_share`` of them; their words become missing.

    Returns the new pair and the number of entities removed.
    """
    kept: List[Entity] = []
    missing: Set[int] = set(missing_words(pair))
    for e in pair.tgt.ents:
        key = tuple(pair.tgt.words[e.start:e.end])
        if stats.occurrences.get(key, 0) >= min_occurrences and stats.share(key) < min_share:
            missing.update(range(e.start, e.end))
        else:
            kept.append(e)
    n_removed = len(pair.tgt.ents) - len(kept)
    if not n_removed:
        return pair, 0
    meta = dict(pair.meta)
    meta[MISSING_KEY] = [list(r) for r in _ranges(missing)]
    scores = pair.meta.get(PAIR_SCORES_KEY)
    if isinstance(scores, list) and len(scores) == len(pair.tgt.ents):
        meta[PAIR_SCORES_KEY] = [s for e, s in zip(pair.tgt.ents, scores) if e in kept]
    return replace(pair, tgt=replace(pair.tgt, ents=kept), meta=meta), n_removed


@filters("spacy-xproj.NameConsistency.v1")
def make_name_consistency(
    min_share: float = 0.1, min_occurrences: int = 5
) -> Callable[[Sequence[Pair]], Callable[[Pair], Tuple[Pair, int]]]:
    """Corpus-level rule: fit on all pairs, then remove each pair's inconsistent names.

    A target word string projected as an entity in only a small share of its occurrences is most
    likely a common word that a source-side error (or a misalignment) turned into an entity; see
    :func:`remove_inconsistent_names`.
    """
    if not 0.0 < min_share <= 1.0:
        raise ValueError(f"min_share must be in (0, 1], got {min_share}")
    if min_occurrences < 1:
        raise ValueError(f"min_occurrences must be >= 1, got {min_occurrences}")

    def fit(pairs: Sequence[Pair]) -> Callable[[Pair], Tuple[Pair, int]]:
        stats = name_statistics(pairs)

        def apply(pair: Pair) -> Tuple[Pair, int]:
            return remove_inconsistent_names(pair, stats, min_share=min_share, min_occurrences=min_occurrences)

        return apply

    return fit


# ----------------------------------------------------------------------------- running them


@dataclass
class FilterCounts:
    """What a filter run did: pairs in/out, drops per reason, partial-annotation totals."""

    seen: int = 0
    kept: int = 0
    dropped: Dict[str, int] = field(default_factory=dict)
    low_score_ents: int = 0
    unprojected_ents: int = 0
    missing_words: int = 0
    sentences_with_missing: int = 0
    inconsistent_ents: int = 0

    def as_dict(self) -> Dict[str, object]:
        return {
            "seen": self.seen, "kept": self.kept, "dropped": dict(self.dropped),
            "low_score_ents": self.low_score_ents, "unprojected_ents": self.unprojected_ents,
            "missing_words": self.missing_words, "sentences_with_missing": self.sentences_with_missing,
            "inconsistent_ents": self.inconsistent_ents,
        }


def apply_filters(
    pairs: Iterable[Pair],
    keep_filters: Sequence[PairFilter] = (),
    annotate: Optional[Callable[[Pair], Tuple[Pair, PartialAnnotationStats]]] = None,
    counts: Optional[FilterCounts] = None,
) -> Iterable[Pair]:
    """Yield the pairs every filter keeps (first failing filter counts the drop), then annotate them.

    Partial annotation runs after the filters, so the filters see the projection as it was.
    """
    counts = counts if counts is not None else FilterCounts()
    for pair in pairs:
        counts.seen += 1
        reason = None
        for f in keep_filters:
            reason = f(pair)
            if reason:
                break
        if reason:
            counts.dropped[reason] = counts.dropped.get(reason, 0) + 1
            continue
        if annotate is not None:
            pair, stats = annotate(pair)
            counts.low_score_ents += stats.low_score_ents
            counts.unprojected_ents += stats.unprojected_ents
            counts.missing_words += stats.missing_words
            counts.sentences_with_missing += int(stats.missing_words > 0)
        counts.kept += 1
        yield pair

"""Span precision / recall / F1 of proposed candidates against the reference, label-agnostic."""
from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List

from spacy.scorer import Scorer
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.util import registry

from ..doc import CANDIDATES_KEY


def reference_spans(doc: Doc, spans_key: str = CANDIDATES_KEY) -> List[Span]:
    """The gold candidate spans of a reference doc: ``doc.spans[spans_key]`` if the doc has that
    key, else ``doc.ents`` (every label counts as one class)."""
    if spans_key in doc.spans:
        return list(doc.spans[spans_key])
    return list(doc.ents)


def score_candidates(examples: Iterable[Example], spans_key: str = CANDIDATES_KEY, **_: Any) -> Dict[str, Any]:
    """``cand_p``, ``cand_r``, ``cand_f`` (spans equal when start and end are equal; labels are
    ignored). Predicted spans are ``predicted.spans[spans_key]``; gold spans are
    :func:`reference_spans`. Reference docs with neither the key nor entity annotation are skipped.
    """

    def getter(doc: Doc, attr: str) -> List[Span]:
        return reference_spans(doc, spans_key)

    def has_annotation(doc: Doc) -> bool:
        return spans_key in doc.spans or doc.has_annotation("ENT_IOB")

    scores = Scorer.score_spans(
        examples, "cand", getter=getter, has_annotation=has_annotation, labeled=False, allow_overlap=True
    )
    scores.pop("cand_per_type", None)  # labels are meaningless here
    return scores


@registry.scorers("spacy-xproj.CandidateScorer.v1")
def make_candidate_scorer() -> Callable[..., Dict[str, Any]]:
    """The candidate tagger's scorer: see :func:`score_candidates`."""
    return score_candidates

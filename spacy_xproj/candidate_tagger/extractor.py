"""The trained tagger as a candidate extractor of candidate matching.

Two ways to use it:

* run a pipeline containing ``xproj_candidate_tagger`` over the target docs first: it writes
  ``doc.spans["xproj_candidates"]``, which the projector hands to extractors as
  ``ProjectionInput.tgt_ner_spans`` (used by ``spacy-xproj.NerCandidates.v1``); or
* ``spacy-xproj.TaggerCandidates.v1`` below: an extractor that loads a trained pipeline once and
  tags ``inp.tgt_words`` itself, for projector configs that start from pair files.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable, List, Tuple

from spacy.language import Language
from spacy.tokens import Doc

from ..registry import candidates as candidate_registry
from ..doc import CANDIDATES_KEY

SpanT = Tuple[int, int]


@lru_cache(maxsize=4)
def _load(model: str) -> Language:
    import spacy

    return spacy.load(model)


def tag_words(nlp: Language, words: List[str], spans_key: str = CANDIDATES_KEY) -> List[SpanT]:
    """Run ``nlp`` on pre-tokenised ``words`` and return the spans it writes to ``spans_key``."""
    doc = Doc(nlp.vocab, words=list(words), spaces=[True] * len(words))
    doc = nlp(doc)
    if spans_key not in doc.spans:
        raise ValueError(f"the pipeline {nlp.pipe_names} wrote no doc.spans[{spans_key!r}]; does it contain xproj_candidate_tagger?")
    return [(s.start, s.end) for s in doc.spans[spans_key]]


@candidate_registry("spacy-xproj.TaggerCandidates.v1")
def make_tagger_candidates(model: str, spans_key: str = CANDIDATES_KEY) -> Callable[..., List[SpanT]]:
    """Extractor ``(inp) -> [(s, e), ...]``: the spans a trained candidate-tagger pipeline (a path
    or package name for ``spacy.load``; loaded once per process) proposes on ``inp.tgt_words``.
    An empty target sentence gives no candidates."""

    def extract(inp) -> List[SpanT]:
        if not inp.tgt_words:
            return []
        return tag_words(_load(model), inp.tgt_words, spans_key)

    return extract

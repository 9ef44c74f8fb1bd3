"""Class-agnostic candidate tagger (issue 9): a trainable spaCy component that proposes entity
spans in any language and writes them to ``doc.spans["xproj_candidates"]``.

Registered here: the factory ``xproj_candidate_tagger``, the architecture
``spacy-xproj.CandidateTagger.v1``, the scorer ``spacy-xproj.CandidateScorer.v1``, the reader
``spacy-xproj.CandidateCorpus.v1`` and the candidate extractor ``spacy-xproj.TaggerCandidates.v1``.
"""
from . import iob, model, scoring, component, corpus, extractor  # noqa: F401
from .component import CandidateTagger, make_candidate_tagger
from .corpus import create_candidate_corpus, read_conll_sentences
from .scoring import make_candidate_scorer, score_candidates

__all__ = [
    "CandidateTagger",
    "create_candidate_corpus",
    "make_candidate_scorer",
    "make_candidate_tagger",
    "read_conll_sentences",
    "score_candidates",
]

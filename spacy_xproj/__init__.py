"""spacy-xproj: projection-based cross-lingual NER as a spaCy plugin.

Importing the package creates the registries, installs the Doc extensions and registers every
component factory and backend (the heavy libraries — torch, transformers, eflomal — are imported
lazily, only when a backend is used).
"""
from .about import __version__
from . import registry  # noqa: F401  (creates the xproj_* registries)
from .doc import install_extensions, pair_to_doc, doc_to_pair, SPAN_KEY
from .types import Alignment, Entity, NerProbs, Pair, Side

from . import corpus, evaluate, projection, align, translate, label, candidate_tagger  # noqa: F401,E402

__all__ = [
    "__version__",
    "Alignment",
    "Entity",
    "NerProbs",
    "Pair",
    "Side",
    "SPAN_KEY",
    "doc_to_pair",
    "install_extensions",
    "pair_to_doc",
]

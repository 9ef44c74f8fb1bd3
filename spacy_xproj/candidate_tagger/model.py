"""The candidate tagger's model architecture: any tok2vec, then a 3-way softmax per token."""
from __future__ import annotations

from typing import List

from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Model, Softmax_v2, chain, with_array, zero_init
from thinc.types import Floats2d

from .iob import TAG_NAMES


@registry.architectures("spacy-xproj.CandidateTagger.v1")
def build_candidate_tagger_model(tok2vec: Model[List[Doc], List[Floats2d]]) -> Model[List[Doc], List[Floats2d]]:
    """``tok2vec`` followed by a softmax over ``O / B-CAND / I-CAND`` for every token.

    tok2vec (Model[List[Doc], List[Floats2d]]): token vectors (CNN tok2vec, or a
        spacy-transformers listener).
    RETURNS: per-doc arrays of shape ``(n_tokens, 3)`` holding class probabilities.
    """
    output_layer = Softmax_v2(nO=len(TAG_NAMES), init_W=zero_init, normalize_outputs=True)
    model = chain(tok2vec, with_array(output_layer))
    model.set_ref("tok2vec", tok2vec)
    model.set_ref("output_layer", output_layer)
    return model

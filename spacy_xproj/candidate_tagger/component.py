"""``xproj_candidate_tagger``: a trainable, class-agnostic entity-span proposer.

It tags every token ``O / B-CAND / I-CAND`` (all entity classes of the training data merged into
one, as in the paper's ``models/ner/candidates/train.py``), trains with a class-weighted
cross-entropy (weights ``[1, λ, λ]``, λ = ``label_weight``) and writes the decoded spans to
``doc.spans[spans_key]`` (default ``"xproj_candidates"``, the key the candidate-matching projector
reads as ``ProjectionInput.tgt_ner_spans``), with one score per span in
``doc.spans[spans_key].attrs["scores"]`` (mean of ``P(B)`` at the start and ``P(I)`` inside).
``doc.ents`` is left untouched.

Gold spans come from ``reference.spans[spans_key]`` when the reference has that key, else from
``reference.ents`` (labels ignored), so any NER corpus trains it.
"""
from __future__ import annotations

from itertools import islice
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
from spacy.language import Language
from spacy.pipeline import TrainablePipe
from spacy.tokens import Doc, Span, SpanGroup
from spacy.training import Example, validate_examples, validate_get_examples
from spacy.util import filter_spans
from spacy.vocab import Vocab
from thinc.api import Config, Model, set_dropout_rate
from thinc.types import Floats2d

from .iob import MISSING, O, TAG_NAMES, span_scores, spans_from_tags, tags_from_spans
from ..doc import CANDIDATES_KEY
from .scoring import reference_spans

CANDIDATE_LABEL = "CAND"

DEFAULT_MODEL_CONFIG = """
[model]
@architectures = "spacy-xproj.CandidateTagger.v1"

[model.tok2vec]
@architectures = "spacy.Tok2Vec.v2"

[model.tok2vec.embed]
@architectures = "spacy.MultiHashEmbed.v2"
width = 96
attrs = ["PREFIX", "SUFFIX", "SHAPE"]
rows = [1000, 2500, 2500]
include_static_vectors = false

[model.tok2vec.encode]
@architectures = "spacy.MaxoutWindowEncoder.v2"
width = 96
depth = 4
window_size = 1
maxout_pieces = 3
"""
DEFAULT_MODEL = Config().from_str(DEFAULT_MODEL_CONFIG)["model"]


@Language.factory(
    "xproj_candidate_tagger",
    assigns=["doc.spans"],
    default_config={
        "model": DEFAULT_MODEL,
        "spans_key": CANDIDATES_KEY,
        "label_weight": 3.0,
        "scorer": {"@scorers": "spacy-xproj.CandidateScorer.v1"},
    },
    default_score_weights={"cand_f": 1.0, "cand_p": 0.0, "cand_r": 0.0},
)
def make_candidate_tagger(
    nlp: Language,
    name: str,
    model: Model[List[Doc], List[Floats2d]],
    spans_key: str,
    label_weight: float,
    scorer: Optional[Callable],
) -> "CandidateTagger":
    """Create an ``xproj_candidate_tagger``.

    model: ``spacy-xproj.CandidateTagger.v1`` (a tok2vec and a 3-way softmax).
    spans_key: where the proposed spans go (``doc.spans[spans_key]``) and where gold spans are
        looked for first in training references.
    label_weight: λ of the class weights ``[1, λ, λ]`` for ``O, B-CAND, I-CAND`` (the paper's
        trainer uses e.g. λ = 3; above 1 trades precision for recall).
    scorer: defaults to ``spacy-xproj.CandidateScorer.v1`` (``cand_p/r/f``).
    """
    return CandidateTagger(nlp.vocab, model, name, spans_key=spans_key, label_weight=label_weight, scorer=scorer)


class CandidateTagger(TrainablePipe):
    """Class-agnostic span proposer; see the module docstring."""

    def __init__(
        self,
        vocab: Vocab,
        model: Model[List[Doc], List[Floats2d]],
        name: str,
        *,
        spans_key: str,
        label_weight: float,
        scorer: Optional[Callable],
    ) -> None:
        if not spans_key:
            raise ValueError("spans_key must be a non-empty string")
        if not label_weight > 0:
            raise ValueError(f"label_weight must be > 0, got {label_weight}")
        self.vocab = vocab
        self.model = model
        self.name = name
        self.scorer = scorer
        self.cfg = {"spans_key": spans_key, "label_weight": float(label_weight)}

    @property
    def spans_key(self) -> str:
        return self.cfg["spans_key"]

    @property
    def labels(self) -> Tuple[str, ...]:
        return TAG_NAMES

    @property
    def label_data(self) -> Tuple[str, ...]:
        return TAG_NAMES

    # -- inference ---------------------------------------------------------------------------
    def predict(self, docs: Iterable[Doc]) -> List[Floats2d]:
        """Per-token class probabilities, one ``(len(doc), 3)`` array per doc."""
        docs = list(docs)
        if not any(len(doc) for doc in docs):
            return [self.model.ops.alloc2f(len(doc), len(TAG_NAMES)) for doc in docs]
        return self.model.predict(docs)

    def set_annotations(self, docs: Iterable[Doc], scores: Sequence[Floats2d]) -> None:
        """Write the decoded spans and their scores to ``doc.spans[spans_key]``."""
        for doc, doc_scores in zip(docs, scores):
            probs = self.model.ops.to_numpy(doc_scores)
            spans = spans_from_tags(probs.argmax(axis=1).tolist()) if len(doc) else []
            group = SpanGroup(
                doc,
                name=self.spans_key,
                spans=[Span(doc, s, e, label=CANDIDATE_LABEL) for s, e in spans],
                attrs={"scores": span_scores(probs, spans)},
            )
            doc.spans[self.spans_key] = group

    # -- training ----------------------------------------------------------------------------
    def gold_tags(self, example: Example) -> np.ndarray:
        """Gold tag ids over the *predicted* tokens (``MISSING`` where tokenisation differs)."""
        ref_spans = filter_spans(reference_spans(example.reference, self.spans_key))
        aligned = filter_spans(example.get_aligned_spans_y2x(ref_spans, allow_overlap=False))
        tags = np.asarray(tags_from_spans(len(example.predicted), [(s.start, s.end) for s in aligned]), dtype="i")
        unaligned = np.asarray(example.alignment.x2y.lengths) == 0
        tags[unaligned] = MISSING
        return tags

    def get_loss(self, examples: Iterable[Example], scores: Sequence[Floats2d]) -> Tuple[float, List[Floats2d]]:
        """Class-weighted cross-entropy (weights ``[1, λ, λ]``), summed over tokens.

        RETURNS: the loss and its gradient w.r.t. the softmax input, per doc.
        """
        validate_examples(examples, "CandidateTagger.get_loss")
        lam = self.cfg["label_weight"]
        class_weights = np.asarray([1.0, lam, lam], dtype="f")
        loss = 0.0
        d_scores = []
        for example, doc_scores in zip(examples, scores):
            probs = self.model.ops.to_numpy(doc_scores).astype("f")
            gold = self.gold_tags(example)
            known = gold != MISSING
            g = np.where(known, gold, O)
            rows = np.arange(len(g))
            weights = class_weights[g] * known
            d = probs.copy()
            d[rows, g] -= 1.0
            d *= weights[:, None]
            loss += float(-(weights * np.log(np.clip(probs[rows, g], 1e-8, 1.0))).sum())
            d_scores.append(self.model.ops.asarray2f(d))
        return loss, d_scores

    def update(
        self,
        examples: Iterable[Example],
        *,
        drop: float = 0.0,
        sgd=None,
        losses: Optional[Dict[str, float]] = None,
    ) -> Dict[str, float]:
        """Learn from a batch of examples (see :meth:`get_loss`)."""
        if losses is None:
            losses = {}
        losses.setdefault(self.name, 0.0)
        examples = list(examples)
        validate_examples(examples, "CandidateTagger.update")
        if not any(len(eg.predicted) for eg in examples):
            return losses
        set_dropout_rate(self.model, drop)
        scores, backprop = self.model.begin_update([eg.predicted for eg in examples])
        loss, d_scores = self.get_loss(examples, scores)
        backprop(d_scores)
        if sgd is not None:
            self.finish_update(sgd)
        losses[self.name] += loss
        return losses

    def initialize(self, get_examples: Callable[[], Iterable[Example]], *, nlp: Optional[Language] = None) -> None:
        """Initialise the model's shapes from a sample of examples."""
        validate_get_examples(get_examples, "CandidateTagger.initialize")
        doc_sample, label_sample = [], []
        for example in islice(get_examples(), 10):
            doc_sample.append(example.predicted)
            gold = np.clip(self.gold_tags(example), 0, None)
            label_sample.append(self.model.ops.asarray2f(np.eye(len(TAG_NAMES), dtype="f")[gold]))
        if not doc_sample:
            raise ValueError(f"{self.name}: initialize needs at least one training example")
        self.model.initialize(X=doc_sample, Y=label_sample)

    def add_label(self, label: str) -> int:
        raise NotImplementedError(f"{self.name} is class-agnostic: its labels are fixed ({', '.join(TAG_NAMES)})")

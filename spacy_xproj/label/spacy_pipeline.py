"""Source labelling with any spaCy pipeline that has an ``ner`` (or ``entity_ruler``/``span``-setting)
component: an installed package (``en_core_web_sm``) or a folder saved with ``nlp.to_disk``.

``spacy-xproj.SpacyLabeller.v2`` builds a :class:`SpacyLabeller`, a callable
``(word_lists) -> List[LabelResult]``: each word list becomes a ``Doc`` of the pipeline's vocab
(the words are kept as tokens, the pipeline's tokenizer is not used), the pipeline runs over it,
and ``doc.ents`` are the entities (renamed by ``label_map``, ``drop_labels`` removed). spaCy
pipelines give no per-word class probabilities here (``probs`` is None).

v2 gives the pipeline each word in Unicode normal form ``unicode_form`` (NFC by default; the
input pair is not changed, only what the model sees): a model's features (hashes of the word,
its prefix, suffix and shape) differ between composed and decomposed spellings of the same
letters, and corpora differ in which they use (MAFAND-MT Yorùbá is NFC, MasakhaNER 2.0 Yorùbá
test mostly decomposed). v1 passes the words as they are.
"""
from __future__ import annotations

import unicodedata
from typing import Any, Dict, List, Optional, Sequence

from spacy.tokens import Doc

from ..errors import ConfigError
from ..registry import labellers
from .hf import LabelResult, map_entities

# OntoNotes (en_core_web_*) -> CoNLL types; a CoNLL-trained pipeline maps to itself.
DEFAULT_SPACY_LABEL_MAP = {
    "PERSON": "PER",
    "PER": "PER",
    "ORG": "ORG",
    "GPE": "LOC",
    "LOC": "LOC",
}
UNICODE_FORMS = ("NFC", "NFD", "NFKC", "NFKD")


class SpacyLabeller:
    """Word-level NER with a spaCy pipeline; see the module docstring. Every setting is required:
    the defaults live in ``spacy-xproj.SpacyLabeller.v2`` (:func:`make_spacy_labeller_v2`)."""

    def __init__(
        self,
        model: str,
        *,
        label_map: Optional[Dict[str, str]],
        drop_labels: Sequence[str],
        keep_unmapped: bool,
        batch_size: int,
        unicode_form: Optional[str],
    ) -> None:
        if unicode_form is not None and unicode_form not in UNICODE_FORMS:
            raise ConfigError(f"unicode_form must be one of {', '.join(UNICODE_FORMS)} or null, got {unicode_form!r}")
        self.unicode_form = unicode_form
        self.model_name = model
        self.label_map = dict(DEFAULT_SPACY_LABEL_MAP if label_map is None else label_map)
        self.drop_labels = list(drop_labels)
        self.keep_unmapped = keep_unmapped
        self.batch_size = batch_size
        self._nlp: Any = None

    @property
    def nlp(self) -> Any:
        if self._nlp is None:
            import spacy

            try:
                self._nlp = spacy.load(self.model_name)
            except OSError as err:
                raise ConfigError(
                    f"cannot load the spaCy pipeline {self.model_name!r}: {err} (install the package, "
                    f"e.g. python -m spacy download en_core_web_sm, or give a pipeline folder)"
                ) from None
            if not any(
                name in ("ner", "entity_ruler", "beam_ner") or getattr(proc, "is_ner", False)
                or "doc.ents" in getattr(self._nlp.get_pipe_meta(name), "assigns", [])
                for name, proc in self._nlp.pipeline
            ):
                raise ConfigError(
                    f"the spaCy pipeline {self.model_name!r} has no component that sets doc.ents "
                    f"(components: {', '.join(self._nlp.pipe_names) or 'none'})"
                )
        return self._nlp

    def __call__(self, sentences: Sequence[Sequence[str]]) -> List[LabelResult]:
        nlp = self.nlp
        form = self.unicode_form
        docs = [Doc(nlp.vocab, words=[unicodedata.normalize(form, w) for w in words] if form else list(words))
                for words in sentences]
        out: List[LabelResult] = []
        for doc in nlp.pipe(docs, batch_size=self.batch_size):
            spans = [(e.start, e.end, e.label_) for e in doc.ents]
            ents = map_entities(spans, self.label_map, self.drop_labels, self.keep_unmapped)
            out.append(LabelResult(ents, [(s, e) for s, e, _ in spans], None))
        return out


@labellers.register("spacy-xproj.SpacyLabeller.v1")
def make_spacy_labeller(
    model: str = "en_core_web_sm",
    label_map: Optional[Dict[str, str]] = None,
    drop_labels: List[str] = ["MISC"],
    keep_unmapped: bool = False,
    batch_size: int = 64,
) -> SpacyLabeller:
    """A spaCy pipeline (package name or folder) as labeller. ``label_map`` defaults to
    PERSON/PER->PER, ORG->ORG, GPE/LOC->LOC with other types dropped (``keep_unmapped=false``)."""
    return SpacyLabeller(
        model, label_map=label_map, drop_labels=drop_labels, keep_unmapped=keep_unmapped,
        batch_size=batch_size, unicode_form=None,
    )


@labellers.register("spacy-xproj.SpacyLabeller.v2")
def make_spacy_labeller_v2(
    model: str = "en_core_web_sm",
    label_map: Optional[Dict[str, str]] = None,
    drop_labels: List[str] = ["MISC"],
    keep_unmapped: bool = False,
    batch_size: int = 64,
    unicode_form: Optional[str] = "NFC",
) -> SpacyLabeller:
    """As v1, and the pipeline sees every word in Unicode normal form ``unicode_form`` (NFC, NFD,
    NFKC, NFKD; null: as written). The output keeps the input words."""
    return SpacyLabeller(
        model, label_map=label_map, drop_labels=drop_labels, keep_unmapped=keep_unmapped,
        batch_size=batch_size, unicode_form=unicode_form,
    )

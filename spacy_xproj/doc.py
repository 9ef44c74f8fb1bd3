"""Pairs as spaCy objects: ``doc._.translation``, ``doc._.alignment`` and ``doc._.xproj_probs``.

* ``doc._.translation`` — the other side of the pair as a ``Doc`` of its own language (its own vocab);
* ``doc._.alignment`` — an :class:`~spacy_xproj.types.Alignment` whose links are
  ``(index in doc, index in doc._.translation)``;
* ``doc._.xproj_probs`` — optional :class:`~spacy_xproj.types.NerProbs` for the doc's words.

Projected spans with their scores go to ``doc.spans[SPAN_KEY]`` (scores in the group's attrs,
``doc.spans[SPAN_KEY].attrs["scores"]``), final non-overlapping entities to ``doc.ents``.
"""
from __future__ import annotations

from typing import Dict, Literal, Optional

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from .types import Alignment, Entity, Pair, Side

SPAN_KEY = "xproj"
DocSide = Literal["src", "tgt"]

_VOCABS: Dict[str, Vocab] = {}


def install_extensions() -> None:
    """Register the Doc extensions; safe to call any number of times."""
    for name in ("translation", "alignment", "xproj_probs"):
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)


install_extensions()


def vocab_for(lang: str) -> Vocab:
    """A shared vocab for a language code (falls back to the multi-language ``xx`` class)."""
    if lang not in _VOCABS:
        _VOCABS[lang] = blank(lang).vocab
    return _VOCABS[lang]


def blank(lang: str) -> Language:
    """``spacy.blank(lang)`` for ISO 639-1 codes spaCy knows, else the multi-language ``xx``."""
    try:
        return spacy.blank(lang)
    except Exception:  # spaCy raises ImportError / ValueError variants for unknown codes
        return spacy.blank("xx")


def side_to_doc(side: Side, vocab: Optional[Vocab] = None) -> Doc:
    """Words + entities of one side as a ``Doc`` (spaces between words, entities in ``.ents``).

    Entities may overlap in a side (e.g. raw projections); ``.ents`` cannot hold overlaps, so
    overlapping entities are kept in ``doc.spans["xproj_ents"]`` and the first non-overlapping
    subset (by start) goes to ``.ents``.
    """
    vocab = vocab or vocab_for(side.lang)
    words = side.words
    doc = Doc(vocab, words=words, spaces=[True] * len(words))
    spans = [Span(doc, e.start, e.end, label=e.label) for e in side.ents]
    ents, last_end = [], -1
    for e, span in sorted(zip(side.ents, spans), key=lambda x: (x[0].start, x[0].end)):
        if e.start >= last_end:
            ents.append(span)
            last_end = e.end
    doc.ents = ents
    # spaCy has no class for many low-resource codes (hau, yor, ...): the Doc is "xx", so the real
    # code is kept here and read back by doc_to_side.
    doc.user_data["xproj_lang"] = side.lang
    if len(ents) != len(spans):
        doc.spans["xproj_ents"] = spans
    if side.probs is not None:
        doc._.xproj_probs = side.probs
    return doc


def doc_to_side(doc: Doc, lang: Optional[str] = None) -> Side:
    """The words and ``.ents`` of a ``Doc`` as a side."""
    ents = [Entity(e.start, e.end, e.label_) for e in doc.ents]
    lang = lang or doc.user_data.get("xproj_lang") or doc.lang_
    return Side(lang, [t.text for t in doc], ents, doc._.xproj_probs)


def pair_to_doc(pair: Pair, doc_side: DocSide = "tgt") -> Doc:
    """The ``doc_side`` of a pair as a ``Doc`` with the other side in ``doc._.translation``.

    ``doc_side="tgt"`` is translate-test (the target text is the document, English is its
    translation); ``"src"`` is translate-train. The alignment is oriented from the doc.
    """
    this, other = (pair.tgt, pair.src) if doc_side == "tgt" else (pair.src, pair.tgt)
    doc = side_to_doc(this)
    doc._.translation = side_to_doc(other)
    if pair.alignment is not None:
        doc._.alignment = pair.alignment.inverse() if doc_side == "tgt" else pair.alignment
    doc.user_data["xproj_id"] = pair.id
    return doc


def doc_to_pair(doc: Doc, doc_side: DocSide = "tgt", pair_id: Optional[str] = None) -> Pair:
    """Inverse of :func:`pair_to_doc`."""
    if doc._.translation is None:
        raise ValueError("doc._.translation is not set: this Doc is not one side of a pair")
    this, other = doc_to_side(doc), doc_to_side(doc._.translation)
    alignment: Optional[Alignment] = doc._.alignment
    if alignment is not None and doc_side == "tgt":
        alignment = alignment.inverse()
    src, tgt = (other, this) if doc_side == "tgt" else (this, other)
    pid = pair_id if pair_id is not None else str(doc.user_data.get("xproj_id", ""))
    return Pair(pid, src, tgt, alignment)

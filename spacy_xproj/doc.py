"""Pairs as spaCy objects: ``doc._.xproj_translation``, ``doc._.xproj_alignment`` and ``doc._.xproj_probs``.

* ``doc._.xproj_translation`` — the other side of the pair as a ``Doc`` of its own language (its own vocab);
* ``doc._.xproj_alignment`` — an :class:`~spacy_xproj.types.Alignment` whose links are
  ``(index in doc, index in doc._.xproj_translation)``;
* ``doc._.xproj_probs`` — optional :class:`~spacy_xproj.types.NerProbs` for the doc's words;
* ``doc._.xproj_alignment_runs`` — optional directional runs of the aligner behind the alignment
  (``[[forward links, backward links], ...]``, oriented like the alignment), read by the coverage
  score's block agreement. Setting ``doc._.xproj_alignment`` clears them, so they never outlive
  the alignment they came with.

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
#: pair meta key of the aligner's directional runs (``spacy_xproj.projection.scores.RUNS_KEY``)
RUNS_META_KEY = "xproj_alignment_runs"
#: ``doc.spans`` key of target-side candidate spans (NER model, candidate tagger), read by the projector.
CANDIDATES_KEY = "xproj_candidates"
DocSide = Literal["src", "tgt"]

_VOCABS: Dict[str, Vocab] = {}


TRANSLATION = "xproj_translation"
ALIGNMENT = "xproj_alignment"
ALIGNMENT_RUNS = "xproj_alignment_runs"
PROBS = "xproj_probs"
#: The extension that spacy-llm's translation task (``spacy.Translation.v1``) writes by default.
LLM_TRANSLATION = "translation"
#: ``doc.user_data`` key naming the language of a string translation (see :func:`translation_from_text`).
TRANSLATION_LANG_KEY = "xproj_translation_lang"
_TRANSLATION_KEY = ("._.", TRANSLATION, None, None)  # where a default-valued extension would keep it


def _get_translation(doc: Doc) -> Optional[Doc]:
    value = doc.user_data.get(_TRANSLATION_KEY)
    if value is None and Doc.has_extension(LLM_TRANSLATION):
        text = getattr(doc._, LLM_TRANSLATION)
        if isinstance(text, str):
            # spacy-llm wrote a plain string: tokenise it with the translation language's tokenizer.
            value = translation_from_text(doc, text, doc.user_data.get(TRANSLATION_LANG_KEY, "xx"))
    return value


def _set_translation(doc: Doc, value: Optional[Doc]) -> None:
    if value is not None and not isinstance(value, Doc):
        raise TypeError(
            f"doc._.{TRANSLATION} must be a Doc (or None), got {type(value).__name__}; for a string "
            f"translation use spacy_xproj.doc.translation_from_text(doc, text, lang)"
        )
    doc.user_data[_TRANSLATION_KEY] = value


_ALIGNMENT_KEY = ("._.", ALIGNMENT, None, None)  # where the default-valued extension kept it
_RUNS_KEY = ("._.", ALIGNMENT_RUNS, None, None)


def _get_alignment(doc: Doc) -> Optional[Alignment]:
    return doc.user_data.get(_ALIGNMENT_KEY)


def _set_alignment(doc: Doc, value: Optional[Alignment]) -> None:
    doc.user_data[_ALIGNMENT_KEY] = value
    doc.user_data.pop(_RUNS_KEY, None)  # runs belong to the alignment they came with


def _get_runs(doc: Doc) -> Optional[list]:
    return doc.user_data.get(_RUNS_KEY)


def _set_runs(doc: Doc, value: Optional[list]) -> None:
    doc.user_data[_RUNS_KEY] = value


def install_extensions() -> None:
    """Register the Doc extensions; safe to call any number of times.

    ``doc._.xproj_translation`` also accepts the plain string that spacy-llm's translation task
    writes to ``doc._.translation``: when no translation Doc is set, that string is tokenised with
    the tokenizer of the language in ``doc.user_data["xproj_translation_lang"]`` (default ``xx``;
    the ``xproj_text_translation`` component sets it) and kept as the translation.
    """
    if not Doc.has_extension(TRANSLATION):
        Doc.set_extension(TRANSLATION, getter=_get_translation, setter=_set_translation)
    if not Doc.has_extension(ALIGNMENT):
        Doc.set_extension(ALIGNMENT, getter=_get_alignment, setter=_set_alignment)
    if not Doc.has_extension(ALIGNMENT_RUNS):
        Doc.set_extension(ALIGNMENT_RUNS, getter=_get_runs, setter=_set_runs)
    if not Doc.has_extension(PROBS):
        Doc.set_extension(PROBS, default=None)


def translation_from_text(doc: Doc, text: str, lang: str) -> Doc:
    """Set ``doc._.xproj_translation`` to ``text`` split into words by ``lang``'s tokenizer.

    ``lang`` is a language code (``en``, ``swa``, ``swh_Latn``) or an English language name as
    spacy-llm's translation task takes it (``"English"``). Words come from the language's spaCy
    tokenizer (the multi-language one where spaCy has none; per character for scripts without
    spaces), as for machine translations made by ``xproj_translator``. Any alignment of ``doc`` is
    cleared: it referred to the old translation. Returns the translation Doc.
    """
    from .translate import languages

    code = language_code(lang)
    words, spaces = languages.split_words(text, code)
    spacy_lang = "xx" if code == "xx" else languages.spacy_code(code)
    translation = Doc(vocab_for(spacy_lang), words=words, spaces=spaces)
    translation.user_data["xproj_lang"] = code
    doc.user_data[_TRANSLATION_KEY] = translation
    doc.user_data[TRANSLATION_LANG_KEY] = code
    setattr(doc._, ALIGNMENT, None)
    return translation


def language_code(lang: str) -> str:
    """A language code or English language name (``"Swahili"``) -> an accepted language code."""
    from .translate import languages

    if lang == "xx" or languages._is_known(lang):
        return lang
    by_name = {entry.name.lower(): entry for entry in languages.LANGUAGES}
    entry = by_name.get(lang.strip().lower())
    if entry is not None:
        return entry.iso1 or entry.iso3
    return languages.get_language(lang).iso3  # raises ConfigError with suggestions


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
    """The ``doc_side`` of a pair as a ``Doc`` with the other side in ``doc._.xproj_translation``.

    ``doc_side="tgt"`` is translate-test (the target text is the document, English is its
    translation); ``"src"`` is translate-train. The alignment is oriented from the doc.
    """
    this, other = (pair.tgt, pair.src) if doc_side == "tgt" else (pair.src, pair.tgt)
    doc = side_to_doc(this)
    doc._.xproj_translation = side_to_doc(other)
    if pair.alignment is not None:
        doc._.xproj_alignment = pair.alignment.inverse() if doc_side == "tgt" else pair.alignment
        runs = (pair.meta or {}).get(RUNS_META_KEY)
        if runs:
            doc._.xproj_alignment_runs = Alignment.invert_runs(runs) if doc_side == "tgt" else runs
    doc.user_data["xproj_id"] = pair.id
    return doc


def doc_to_pair(doc: Doc, doc_side: DocSide = "tgt", pair_id: Optional[str] = None) -> Pair:
    """Inverse of :func:`pair_to_doc`."""
    if doc._.xproj_translation is None:
        raise ValueError("doc._.xproj_translation is not set: this Doc is not one side of a pair")
    this, other = doc_to_side(doc), doc_to_side(doc._.xproj_translation)
    alignment: Optional[Alignment] = doc._.xproj_alignment
    if alignment is not None and doc_side == "tgt":
        alignment = alignment.inverse()
    src, tgt = (other, this) if doc_side == "tgt" else (this, other)
    pid = pair_id if pair_id is not None else str(doc.user_data.get("xproj_id", ""))
    meta = {}
    runs = doc._.xproj_alignment_runs
    if alignment is not None and runs:
        meta[RUNS_META_KEY] = Alignment.invert_runs(runs) if doc_side == "tgt" else runs
    return Pair(pid, src, tgt, alignment, meta)

"""A tokenizer whose output and lexical features do not depend on the Unicode normal form of the text.

The same letters can be written composed (``é`` as one code point, NFC) or decomposed (``e`` and a
combining accent, NFD), and corpora differ: MAFAND-MT Yorùbá is NFC, MasakhaNER 2.0 Yorùbá test is
mostly NFD. A spaCy model sees hashes of each word's norm, prefix, suffix and shape, which differ
between the two spellings, and spaCy's punctuation rules do not treat a combining accent as part of
a word (``lánàá.`` in NFD keeps its full stop). A model trained on one form then misses names written
in the other.

``spacy-xproj.NormalisingTokenizer.v1`` (``[nlp.tokenizer]`` of ``configs/cnn.cfg``) wraps spaCy's
default tokenizer:

- the text is tokenized in normal form ``form`` (NFC by default) and the token boundaries are mapped
  back onto the text as given, so ``doc.text`` is always exactly the input and character offsets
  refer to it;
- the vocabulary computes every lexical attribute (``NORM``, ``LOWER``, ``PREFIX``, ``SUFFIX``,
  ``SHAPE``, the ``IS_*`` flags) from the normalised word, so both spellings give a model the same
  features.

Where a boundary of the normalised text cannot be mapped back (compositions across letters, such as
Hangul syllables from separate jamo), the text as given is tokenized instead; the features are still
normalised. A pipeline saved with this tokenizer needs spacy-xproj installed to load.
"""
from __future__ import annotations

import unicodedata
from typing import Any, Callable, Dict, List, Optional

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import registry

from .errors import ConfigError

FORMS = ("NFC", "NFD", "NFKC", "NFKD")
OWN_ATTRS = ("tokenizer", "vocab", "form")


class NormalisedAttr:
    """A lexical attribute getter that sees the word in Unicode normal form ``form`` (picklable)."""

    def __init__(self, getter: Callable[[str], Any], form: str) -> None:
        self.getter = getter
        self.form = form

    def __call__(self, string: str) -> Any:
        return self.getter(unicodedata.normalize(self.form, string))


def normalise_lex_attrs(getters: Dict[int, Callable[[str], Any]], form: str) -> Dict[int, Callable[[str], Any]]:
    """The getters, each computing its attribute from the normalised word (idempotent)."""
    out: Dict[int, Callable[[str], Any]] = {}
    for attr, getter in getters.items():
        while isinstance(getter, NormalisedAttr):
            getter = getter.getter
        out[attr] = NormalisedAttr(getter, form)
    return out


def normalised_boundaries(text: str, form: str) -> Optional[Dict[int, int]]:
    """Map offsets of ``normalize(form, text)`` to offsets of ``text`` at every point where both can be
    cut: before each starter (a character of combining class 0) and at the end. None when
    normalising the pieces separately does not give the normalised text (compositions across
    starters)."""
    cuts = [i for i, ch in enumerate(text) if i == 0 or unicodedata.combining(ch) == 0] + [len(text)]
    mapping = {0: 0}
    pos = 0
    pieces: List[str] = []
    for start, end in zip(cuts, cuts[1:]):
        piece = unicodedata.normalize(form, text[start:end])
        pieces.append(piece)
        pos += len(piece)
        mapping[pos] = end
    if "".join(pieces) != unicodedata.normalize(form, text):
        return None
    return mapping


class NormalisingTokenizer:
    """spaCy's tokenizer applied to the normalised text, with tokens cut from the text as given."""

    def __init__(self, tokenizer: Any, vocab: Any, form: str = "NFC") -> None:
        if form not in FORMS:
            raise ConfigError(f"form must be one of {', '.join(FORMS)}, got {form!r}")
        self.tokenizer = tokenizer
        self.vocab = vocab
        self.form = form

    def __call__(self, text: str) -> Doc:
        normal = unicodedata.normalize(self.form, text)
        if normal == text:
            return self.tokenizer(text)
        mapping = normalised_boundaries(text, self.form)
        if mapping is None:
            return self.tokenizer(text)
        ndoc = self.tokenizer(normal)
        words: List[str] = []
        spaces: List[bool] = []
        for tok in ndoc:
            start, end = mapping.get(tok.idx), mapping.get(tok.idx + len(tok))
            if start is None or end is None:  # a boundary inside a letter: keep the text's own tokens
                return self.tokenizer(text)
            words.append(text[start:end])
            spaces.append(bool(tok.whitespace_))
        doc = Doc(self.vocab, words=words, spaces=spaces)
        if doc.text != text:  # whitespace changed by a compatibility form (NFKC/NFKD)
            return self.tokenizer(text)
        for tok, ntok in zip(doc, ndoc):  # norms set by tokenizer exceptions
            if ntok.norm != ntok.lex.norm:
                tok.norm_ = ntok.norm_
        return doc

    def pipe(self, texts: Any, batch_size: int = 1000) -> Any:
        for text in texts:
            yield self(text)

    def __getattr__(self, name: str) -> Any:  # rules, explain, prefix_search, ... of spaCy's tokenizer
        if name in OWN_ATTRS:
            raise AttributeError(name)
        return getattr(self.tokenizer, name)

    def __setattr__(self, name: str, value: Any) -> None:  # nlp.tokenizer.infix_finditer = ... reaches spaCy's
        if name in OWN_ATTRS:
            object.__setattr__(self, name, value)
        else:
            setattr(self.tokenizer, name, value)

    def to_disk(self, path: Any, **kwargs: Any) -> None:
        self.tokenizer.to_disk(path, **kwargs)

    def from_disk(self, path: Any, **kwargs: Any) -> "NormalisingTokenizer":
        self.tokenizer.from_disk(path, **kwargs)
        return self

    def to_bytes(self, **kwargs: Any) -> bytes:
        return self.tokenizer.to_bytes(**kwargs)

    def from_bytes(self, data: bytes, **kwargs: Any) -> "NormalisingTokenizer":
        self.tokenizer.from_bytes(data, **kwargs)
        return self


@registry.tokenizers("spacy-xproj.NormalisingTokenizer.v1")
def create_normalising_tokenizer(form: str = "NFC") -> Callable[[Language], NormalisingTokenizer]:
    """spaCy's default tokenizer (``spacy.Tokenizer.v1``) for text in Unicode normal form ``form``,
    and lexical attributes computed from the normalised word; see the module docstring."""
    if form not in FORMS:
        raise ConfigError(f"[nlp.tokenizer] form must be one of {', '.join(FORMS)}, got {form!r}")
    make_default = registry.tokenizers.get("spacy.Tokenizer.v1")()

    def create(nlp: Language) -> NormalisingTokenizer:
        nlp.vocab.lex_attr_getters = normalise_lex_attrs(nlp.vocab.lex_attr_getters, form)
        return NormalisingTokenizer(make_default(nlp), nlp.vocab, form)

    return create

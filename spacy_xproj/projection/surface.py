"""Surface (orthographic) evidence: names and cognates are often spelled alike across languages.

``surface_form`` transliterates a word to Latin script (anyascii), strips diacritics and case and
keeps letters and digits, so ``Barón``/``Baron``, ``Москва``/``Moskva`` and ``COMMISSION``/``Commission``
compare equal or close. ``word_similarity`` is the Dice coefficient of the character trigrams of the
padded forms (``^word$``): it does not depend on word order (it compares words, not sentences) and
gives ``Commission``/``Kommission`` 0.8, ``European``/``Europea`` 0.8, ``Prodi``/``Prodi`` 1.
Words without letters or digits, and forms shorter than ``min_chars``, get 0 unless they are equal
(numbers such as ``1999`` match themselves).
"""
from __future__ import annotations

from functools import lru_cache
from typing import FrozenSet, Sequence, Tuple

import numpy as np


def is_function_word(word: str) -> bool:
    """A lowercase word of at most 4 letters, punctuation, or a clitic such as ``'s``.

    Articles, prepositions and clitics (``der``, ``de la``, ``dell'``, ``'s``) in scripts with
    letter case; in scripts without case only punctuation and clitics qualify."""
    w = word.strip()
    if not w or not any(c.isalnum() for c in w):
        return True
    if w.startswith("'") or w.startswith("’"):
        return True
    return w.islower() and sum(c.isalpha() for c in w) <= 4


@lru_cache(maxsize=200_000)
def surface_form(word: str) -> str:
    """Latin-script, lowercase, letters and digits only (``"Barón"`` -> ``"baron"``)."""
    from anyascii import anyascii

    return "".join(c for c in anyascii(word).lower() if c.isalnum())


@lru_cache(maxsize=200_000)
def _trigrams(form: str) -> Tuple[FrozenSet[str], int]:
    padded = f"^{form}$"
    grams = [padded[k:k + 3] for k in range(len(padded) - 2)]
    return frozenset(grams), len(grams)


def word_similarity(a: str, b: str, min_chars: int = 3) -> float:
    """Dice coefficient of character trigrams of the surface forms of two words, in ``[0, 1]``."""
    fa, fb = surface_form(a), surface_form(b)
    if not fa or not fb:
        return 0.0
    if fa == fb:
        return 1.0 if (len(fa) >= min_chars or fa.isdigit()) else 0.0
    if len(fa) < min_chars or len(fb) < min_chars:
        return 0.0
    ga, na = _trigrams(fa)
    gb, nb = _trigrams(fb)
    return 2.0 * len(ga & gb) / (na + nb)


def similarity_matrix(src_words: Sequence[str], tgt_words: Sequence[str], min_chars: int = 3) -> np.ndarray:
    """``S[i, j] = word_similarity(src_words[i], tgt_words[j])``, shape ``(len(src), len(tgt))``."""
    out = np.zeros((len(src_words), len(tgt_words)), dtype=np.float64)
    tgt_forms = {}
    for j, w in enumerate(tgt_words):
        tgt_forms.setdefault(w, []).append(j)
    for i, a in enumerate(src_words):
        for w, cols in tgt_forms.items():
            s = word_similarity(a, w, min_chars)
            if s:
                out[i, cols] = s
    return out

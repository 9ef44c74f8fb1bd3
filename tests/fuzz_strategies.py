"""Hypothesis strategies shared by the fuzz tests (tests/test_fuzz_*.py).

Every fuzz test runs a fixed number of examples with ``derandomize=True`` so CI is reproducible.
The words mix the unicode edge cases that break tokenisers and span arithmetic: combining marks,
right-to-left scripts, zero-width joiners, emoji sequences, and very long tokens.
"""
from __future__ import annotations

from typing import List

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from spacy_xproj.types import Entity

# One fixed profile: reproducible, no deadline (the machine is shared), no example database.
FUZZ = dict(
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
                           HealthCheck.function_scoped_fixture],
)


def fuzz_settings(max_examples: int) -> settings:
    return settings(max_examples=max_examples, **FUZZ)


EDGE_WORDS = [
    "e\u0301",  # e + combining acute
    "\u0915\u094d\u0937",  # Devanagari conjunct (virama)
    "\u05e9\u05dc\u05d5\u05dd",  # Hebrew (RTL)
    "\u0645\u0631\u062d\u0628\u0627",  # Arabic (RTL)
    "\u200f",  # right-to-left mark alone
    "a\u200db",  # zero-width joiner inside a word
    "\u200d",  # zero-width joiner alone
    "\U0001F468\u200d\U0001F469\u200d\U0001F467",  # family emoji (ZWJ sequence)
    "\U0001F1F3\U0001F1EC",  # flag (regional indicators)
    "\U0001F44D\U0001F3FD",  # emoji + skin tone modifier
    "x" * 3000,  # very long token
    "\u0301",  # a lone combining mark
    "Kano",
    "Buhari",
    "ya",
    ".",
    "-DOCSTART-x",
    "wo\ufeffrd",  # BOM inside a word
]

# Characters for random words: letters, marks, RTL, ZWJ/ZWNJ, emoji; no whitespace.
WORD_ALPHABET = st.characters(
    blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc"),
)
random_word = st.text(WORD_ALPHABET, min_size=1, max_size=12).filter(
    lambda w: not any(c.isspace() for c in w) and not w.startswith("\ufeff")
)
word = st.one_of(st.sampled_from(EDGE_WORDS), random_word)
words = st.lists(word, min_size=0, max_size=12)
LABELS = ["PER", "ORG", "LOC", "DATE", "MISC"]


@st.composite
def entities_for(draw, n_words: int, allow_overlap: bool = False, max_ents: int = 5) -> List[Entity]:
    """Valid entities over ``n_words`` words (non-overlapping unless ``allow_overlap``)."""
    if n_words == 0:
        return []
    ents: List[Entity] = []
    for _ in range(draw(st.integers(0, max_ents))):
        s = draw(st.integers(0, n_words - 1))
        e = draw(st.integers(s + 1, min(n_words, s + 6)))
        ent = Entity(s, e, draw(st.sampled_from(LABELS)))
        if allow_overlap or all(not (s < o.end and o.start < e) for o in ents):
            ents.append(ent)
    return sorted(ents)

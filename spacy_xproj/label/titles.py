"""Titles before person names: ``Mr``, ``Governor``, ``Imam``, ``Brother`` are not part of a name.

CoNLL-2003 and MasakhaNER 2.0 annotate the name only (``Mr [Jack Robinson]PER``; in MasakhaNER 2.0
train and dev the titles ``Maazị`` (ibo), ``Gwamna``/``Mista`` (hau), ``Rais`` (swa),
``Gómìnà`` (yor) are ``O`` in every one of their hundreds of occurrences). A source NER trained on
Reuters English still takes the title in where the text is written in another style (``Mr`` without
a full stop, ``Governor``, ``Brother``, ``Imam``, ``Ayatollah``), and projection then carries the
title's translation into the target name, where the target model learns it. Trimming the source
entity first lets the projector find the name alone.

:func:`trim_titles` removes the leading title words (and punctuation between them, ``Mr . Smith``)
of ``PER`` entities; an entity of titles only (``Governor``) is dropped. The lists are
case-insensitive and ignore a final full stop (``Mr`` = ``Mr.`` = ``MR``). Built-in lists:
:data:`TITLES` (``en``, ``fr``); :func:`load_titles` also reads a file. ``xproj label --titles``
applies it to the entities the labeller wrote.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable, Collection, FrozenSet, List, Optional, Sequence, Tuple

from ..errors import ConfigError
from ..types import Entity, Pair

TITLES = {
    "en": frozenset(
        """mr mrs ms miss mx dr prof professor sir dame lord lady rev reverend fr father pastor bishop
        archbishop cardinal pope imam ayatollah sheikh shaikh alhaji alhaja hajia mallam malam brother
        sister president vice prime minister chancellor premier governor senator sen rep congressman
        congresswoman mayor chairman chairwoman chief king queen prince princess emperor sultan emir
        general gen lieutenant lt colonel col captain capt major maj sergeant sgt commander admiral
        marshal judge justice coach leader dear his her honourable honorable hon excellency""".split()
    ),
    "fr": frozenset(
        """m mm mme mmes mlle mlles dr pr me mgr monsieur messieurs madame mesdames mademoiselle docteur
        professeur maître président présidente ministre premier gouverneur maire sénateur député
        général colonel capitaine commandant lieutenant juge roi reine prince princesse pape imam
        abbé frère sœur monseigneur""".split()
    ),
}
TRIMMED_LABELS = ("PER",)


def title_key(word: str) -> str:
    """The form a title list is looked up in: lower case, without a final full stop."""
    return word.lower().rstrip(".")


def titles_for(lang: str) -> FrozenSet[str]:
    """The built-in title list of a language code (``en``, ``fr``); a clear error for any other."""
    try:
        return TITLES[lang]
    except KeyError:
        raise ConfigError(
            f"no built-in list of titles for the source language {lang!r} (built in: {', '.join(sorted(TITLES))}); "
            f"give a file with one title per line (xproj label --titles FILE) or label without trimming (--titles none)"
        ) from None


def is_punct(word: str) -> bool:
    """A word without a letter or a digit (``,``, ``#``, a run of quotes)."""
    return bool(word) and not any(c.isalnum() for c in word)


def trim_titles(
    words: Sequence[str], ents: Sequence[Entity], titles: Collection[str], labels: Sequence[str] = TRIMMED_LABELS
) -> Tuple[List[Entity], int, int]:
    """Remove leading titles from the ``labels`` entities of one sentence.

    Returns ``(entities, trimmed, dropped)``: the new entity list (in the input order), how many
    entities lost words and how many were titles only and were removed. Other entities are kept as
    they are. ``titles`` holds :func:`title_key` forms.
    """
    out: List[Entity] = []
    trimmed = dropped = 0
    for ent in ents:
        if ent.label not in labels:
            out.append(ent)
            continue
        start = ent.start
        while start < ent.end and (
            title_key(words[start]) in titles or (start > ent.start and is_punct(words[start]))
        ):
            start += 1
        if start == ent.start:
            out.append(ent)
        elif start == ent.end or all(is_punct(w) for w in words[start:ent.end]):
            dropped += 1
        else:
            trimmed += 1
            out.append(Entity(start, ent.end, ent.label))
    return out, trimmed, dropped


TitleLists = Callable[[str], Collection[str]]


def load_titles(spec: str) -> Optional[TitleLists]:
    """What ``xproj label --titles`` names: ``none`` (no trimming: ``None``), ``auto`` (the
    built-in list of each sentence's language), a built-in language code (``en``) or a text file
    with one title per line (``#`` starts a comment). Returns ``lang -> titles``."""
    if spec == "none":
        return None
    if spec == "auto":
        return titles_for
    if spec in TITLES:
        fixed: Collection[str] = TITLES[spec]
        return lambda lang: fixed
    path = Path(spec)
    if not path.is_file():
        raise ConfigError(
            f"--titles {spec!r} is neither none, auto, a built-in list ({', '.join(sorted(TITLES))}) nor a file"
        )
    words = set()
    for n, line in enumerate(path.read_text(encoding="utf8").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if len(line.split()) > 1:
            raise ConfigError(f"{path}:{n}: one title per line, got {line!r}")
        words.add(title_key(line))
    if not words:
        raise ConfigError(f"{path}: no titles in the file")
    from_file = frozenset(words)
    return lambda lang: from_file


def trim_pair_titles(pairs: Sequence[Pair], side: str, titles: TitleLists) -> Tuple[List[Pair], int, int]:
    """:func:`trim_titles` on the entities of one side of every pair, with the list of that
    side's language. Returns the new pairs and the numbers of trimmed and dropped entities."""
    out: List[Pair] = []
    n_trimmed = n_dropped = 0
    for pair in pairs:
        s = getattr(pair, side)
        ents, trimmed, dropped = trim_titles(s.words, s.ents, titles(s.lang))
        n_trimmed += trimmed
        n_dropped += dropped
        out.append(replace(pair, **{side: replace(s, ents=ents)}))
    return out, n_trimmed, n_dropped

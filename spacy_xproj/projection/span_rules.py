"""Span rules: adjust the target spans chosen for the source entities of one sentence pair
(registry ``@xproj_span_rules``).

A span rule is ``(inp: ProjectionInput, matches) -> matches`` over the sentence's
``(source entity, (start, end), score)`` triples. Projectors apply it after matching and before
the label rule; without one the chosen spans are kept as they are.

``spacy-xproj.NameContinuation.v1`` completes names that the translation renders with more words
than the source (``UK`` -> ``Reino Unido``, ``America`` -> ``Estados Unidos``, ``Social Fund`` ->
``Fondo Social Europeo``). A statistical aligner links only some of those words: the others stay
unlinked, or are tied to unrelated words by "garbage-collector" links (``Unido`` -> ``figures``),
so every candidate score prefers the truncated span. In a script with letter case the missing words
are visible anyway: they are capitalised and adjacent to the projection. The rule extends the
projection of a capitalised source name over adjacent capitalised target words that no alignment
link ties to a source word outside the entity, from a capitalised edge of the span, never onto a
sentence's first word (or a word after a quote or dash: capitals there say nothing). A projection
that already spells out every content word of its source entity (``Muhammadu Buhari`` for
``Muhammadu Buhari``; surface similarity ``>= min_similarity``) is complete: the capitalised word
next to a name copied letter for letter is usually another name (``Nàìjíríà Muhammadu Buhari`` for
``Nigeria's President Muhammadu Buhari``), so it is left alone. Languages
that capitalise more than names (German nouns) would have the rule take common nouns in, so it is
off in a sentence whose target side has more than ``case_ratio`` times as many capitalised words
as its source side (first words not counted, plus one). Scripts without letter case have no
capitalised words, and the rule never fires there.
"""
from __future__ import annotations

from typing import Callable, Dict, List, Optional, Sequence, Set, Tuple

from ..errors import ConfigError
from ..registry import span_rules
from ..types import Entity
from .labels import is_capitalised_name
from .matching import ProjectionInput
from .surface import is_function_word, word_similarity

Match = Tuple[Entity, Tuple[int, int], float]
SpanRule = Callable[[ProjectionInput, List[Match]], List[Match]]


def is_capitalised_word(word: str) -> bool:
    """A word of two or more letters whose first letter is a capital (``Unido``, ``EU``, ``-Europa``)."""
    first = next((c for c in word if c.isalpha()), None)
    return first is not None and first.isupper() and sum(c.isalpha() for c in word) >= 2


def capitalised_count(words: Sequence[str]) -> int:
    """Capitalised words after the first word (whose capital says nothing)."""
    return sum(1 for w in words[1:] if is_capitalised_word(w))


def names_capitalised(src_words: Sequence[str], tgt_words: Sequence[str], case_ratio: float) -> bool:
    """Capitals in the target sentence mark names about as often as in the source: at most
    ``case_ratio`` times the source's capitalised words, plus one."""
    return capitalised_count(tgt_words) <= case_ratio * capitalised_count(src_words) + 1


def spelled_out(src_words: Sequence[str], tgt_words: Sequence[str], min_similarity: float) -> bool:
    """Every content word of ``src_words`` (not a function word) is spelled alike by some word of
    ``tgt_words`` (``Muhammadu Buhari`` in ``Muhammadu Buhari``; not ``UK`` in ``Reino``)."""
    content = [w for w in src_words if not is_function_word(w)]
    return bool(content) and all(any(word_similarity(a, b) >= min_similarity for b in tgt_words) for a in content)


def continue_names(
    src_words: Sequence[str],
    tgt_words: Sequence[str],
    links: Sequence[Tuple[int, int]],
    matches: Sequence[Match],
    case_ratio: float,
    min_similarity: Optional[float],
) -> List[Match]:
    """``matches`` with each capitalised name's span extended over adjacent free capitalised
    target words (see the module docstring); other matches are returned unchanged, in order.
    ``min_similarity`` ``None``: names spelled out letter for letter continue too."""
    if not matches or not names_capitalised(src_words, tgt_words, case_ratio):
        return list(matches)
    sources: Dict[int, Set[int]] = {}
    for i, j in links:
        sources.setdefault(j, set()).add(i)
    taken = {k for _, (s, e), _ in matches for k in range(s, e)}
    n = len(tgt_words)
    out: List[Match] = list(matches)
    for m in sorted(range(len(matches)), key=lambda m: matches[m][1]):
        ent, (start, end), score = matches[m]
        if not is_capitalised_name(src_words[ent.start:ent.end]):
            continue
        if min_similarity is not None and spelled_out(src_words[ent.start:ent.end], tgt_words[start:end], min_similarity):
            continue
        inside = range(ent.start, ent.end)

        def free(k: int) -> bool:
            return (
                0 < k < n
                and k not in taken
                and is_capitalised_word(tgt_words[k])
                and any(c.isalnum() for c in tgt_words[k - 1])
                and all(i in inside for i in sources.get(k, ()))
            )

        s, e = start, end
        while True:
            if is_capitalised_word(tgt_words[e - 1]) and free(e):
                e += 1
            elif is_capitalised_word(tgt_words[s]) and free(s - 1):
                s -= 1
            else:
                break
            taken.update((s, e - 1))
        out[m] = (ent, (s, e), score)
    return out


@span_rules("spacy-xproj.NameContinuation.v1")
def make_name_continuation(case_ratio: float = 1.5, min_similarity: Optional[float] = 0.5) -> SpanRule:
    """Extend projections of capitalised names over adjacent capitalised target words that no
    link ties to other source words, in sentences whose capitals mark names (at most
    ``case_ratio`` times the source's capitalised words, plus one), unless the projection already
    spells out every content word of the name (surface similarity ``>= min_similarity``; ``null``:
    never skip)."""
    if not case_ratio > 0:
        raise ConfigError(f"NameContinuation.v1: case_ratio must be > 0, got {case_ratio}")
    if min_similarity is not None and not 0.0 < min_similarity <= 1.0:
        raise ConfigError(f"NameContinuation.v1: min_similarity must be in (0, 1] or null, got {min_similarity}")

    def name_continuation(inp: ProjectionInput, matches: List[Match]) -> List[Match]:
        return continue_names(inp.src_words, inp.tgt_words, list(inp.alignment.links), matches, case_ratio, min_similarity)

    return name_continuation

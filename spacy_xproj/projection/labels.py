"""Label rules: the label a projection gets on the target side (registry ``@xproj_label_rules``).

A label rule is ``(inp: ProjectionInput, src_ent: Entity, span: (start, end)) -> Optional[str]``:
the label of the target span chosen for ``src_ent``, or ``None`` to drop the projection. Without a
rule a projection keeps its source entity's label.

``spacy-xproj.DerivedFormLabel.v1`` handles names that the translation renders as a derived word.
A capitalised name on the source side (``Europe``, ``Belgium``, ``Community``) is often translated
by an adjective (``europäischen``, ``belgischen``, ``comunitarias``): annotation guidelines in the
CoNLL tradition (CoNLL-2002/2003, Europarl-NER, WikiNEuRal) tag such derived forms MISC, not
LOC/ORG/PER, and guidelines without a MISC class (MasakhaNER) do not tag them at all. In a script
with letter case, names are capitalised, so a one-word projection written entirely in lower case,
in a sentence that does use capitals, is such a derived form. The rule needs no lexicon and no
language-specific list; in scripts without letter case, and in sentences written all in lower
case, it never fires.

``spacy-xproj.DerivedFormLabel.v2`` differs in what counts as a cased sentence: any capital letter,
the first word's included. ``.v1`` asked for a capital after the first word and so missed
sentences whose only capital is their first letter (``Por esta razón … regulaciones
comunitarias …`` for ``… Community regulations …``).
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence, Tuple

from ..errors import ConfigError
from ..registry import label_rules
from ..types import Entity
from .matching import ProjectionInput

LabelRule = Callable[[ProjectionInput, Entity, Tuple[int, int]], Optional[str]]


def is_lowercase_word(word: str) -> bool:
    """The word has cased letters and all of them are lower case (``europäischen``, ``-en``)."""
    return any(c.isalpha() and c.lower() != c.upper() for c in word) and word == word.lower()


def is_capitalised_name(words: Sequence[str]) -> bool:
    """Every word of two or more letters starts its letters with a capital (``Eastern Europe``,
    ``European Union ' s``: punctuation and one-letter clitics are skipped), and there is one."""
    seen = False
    for w in words:
        first = next((c for c in w if c.isalpha()), None)
        if first is None or sum(c.isalpha() for c in w) < 2:
            continue
        if not first.isupper():
            return False
        seen = True
    return seen


def uses_case(words: Sequence[str]) -> bool:
    """The sentence has a capital letter somewhere after its first word (so lower case means
    something in it)."""
    return any(any(c.isupper() for c in w) for w in words[1:])


def has_capitals(words: Sequence[str]) -> bool:
    """The sentence has a capital letter somewhere, its first word included."""
    return any(any(c.isupper() for c in w) for w in words)


def is_derived_form(
    src_words: Sequence[str],
    src_ent: Entity,
    tgt_words: Sequence[str],
    span: Tuple[int, int],
    first_word_counts: bool = False,
) -> bool:
    """A capitalised source name projected onto one lower-case target word in a cased sentence
    (``first_word_counts``: a capital in the first word is enough to call it cased)."""
    start, end = span
    cased = has_capitals(tgt_words) if first_word_counts else uses_case(tgt_words)
    return (
        end - start == 1
        and is_lowercase_word(tgt_words[start])
        and is_capitalised_name(src_words[src_ent.start:src_ent.end])
        and cased
    )


def derived_form_rule(label: Optional[str], first_word_counts: bool, name: str) -> LabelRule:
    if label is not None and not (isinstance(label, str) and label.strip()):
        raise ConfigError(f"{name}: label must be a non-empty string or null, got {label!r}")

    def derived_form_label(inp: ProjectionInput, src_ent: Entity, span: Tuple[int, int]) -> Optional[str]:
        if src_ent.label == label or not is_derived_form(
            inp.src_words, src_ent, inp.tgt_words, span, first_word_counts=first_word_counts
        ):
            return src_ent.label
        return label

    return derived_form_label


@label_rules("spacy-xproj.DerivedFormLabel.v1")
def make_derived_form_label(label: Optional[str] = "MISC") -> LabelRule:
    """Label derived forms of names (see the module docstring) ``label``; ``null`` drops them,
    whatever their source label (for label sets without a class for them, such as PER/ORG/LOC
    only). Other projections, and source entities already labelled ``label``, keep the source
    label. A sentence counts as cased with a capital after its first word."""
    return derived_form_rule(label, False, "DerivedFormLabel.v1")


@label_rules("spacy-xproj.DerivedFormLabel.v2")
def make_derived_form_label_v2(label: Optional[str] = "MISC") -> LabelRule:
    """``DerivedFormLabel.v1``, with any capital letter of the target sentence (its first word's
    included) as the sign that it is written in cased text."""
    return derived_form_rule(label, True, "DerivedFormLabel.v2")

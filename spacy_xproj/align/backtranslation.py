"""Back-translation refinement (the paper's first enhancement, EasyProject-style markers).

Cross-lingual alignment (English <-> a low-resource language) is noisy. Instead, the labelled
source sentence is translated *into the target language* with its entities marked, so the labels
arrive in a target-language sentence; that back-translation is then aligned with the real target
sentence (same language, easier) and projected from (PAPER.md section 3.2):

1. put ``[`` and ``]`` around every source entity and translate the marked sentence;
2. translate every entity alone (no context);
3. match every marked span ``[...]`` of the output, left to right, to the most similar remaining
   entity translation: ``difflib.SequenceMatcher`` ratio of the lowercased *inner* text, kept
   when above ``threshold`` (0.5) — a true argmax (ties: the earlier entity);
4. the back-translation's words and entities (``bt_words``, ``bt_ents``), then align
   target <-> back-translation and project from the back-translation
   (:func:`refine_pairs` returns the pair to project).

Differences from the paper's code (see README): the paper's matching never updates its running
maximum, so it picks the *last* entity translation above the threshold, and it compares the
bracketed string; here the best one on the inner text wins. Marked spans that match no entity
lose their bracket characters (the paper leaves them in the text), and stray marker tokens are
dropped.

Everything here is a pure function of its inputs and the ``translator``: a callable
``(texts, src_lang, tgt_lang) -> texts``, or an object with such a ``translate`` method (the
``spacy-xproj.HFTranslator.v1`` translator is one; see :func:`as_translator`).
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ..types import Alignment, Entity, Pair, Side

Translator = Callable[[List[str], str, str], List[str]]
Splitter = Callable[[str], List[str]]

_NO_SPACE_BEFORE = {",", ".", ";", ":", "!", "?", ")", "]", "}", "%", "'s", "n't", "'"}
_NO_SPACE_AFTER = {"(", "[", "{"}


def as_translator(translator: Any) -> Translator:
    """The ``(texts, src_lang, tgt_lang) -> texts`` form of ``translator``.

    Translator objects (``HFTranslator``) are called with the texts only, in their configured
    direction; back-translation needs any direction, so their ``translate`` method is used.
    Plain callables are taken to have the three-argument form already.
    """
    method = getattr(translator, "translate", None)
    if callable(method):
        return method  # type: ignore[no-any-return]
    if not callable(translator):
        raise TypeError(f"a translator must be callable, got {type(translator).__name__}")
    return translator  # type: ignore[no-any-return]


def detokenize(words: Sequence[str]) -> str:
    """A light detokeniser: spaces between words except before closing punctuation / after opening."""
    out = ""
    for k, w in enumerate(words):
        if k and w not in _NO_SPACE_BEFORE and words[k - 1] not in _NO_SPACE_AFTER:
            out += " "
        out += w
    return out


def mark_entities(words: Sequence[str], ents: Sequence[Entity], open_mark: str = "[", close_mark: str = "]") -> str:
    """The source sentence with ``[`` before and ``]`` after each entity (one marker pair for all labels)."""
    starts: Dict[int, int] = {}
    ends: Dict[int, int] = {}
    for e in ents:
        starts[e.start] = starts.get(e.start, 0) + 1
        ends[e.end] = ends.get(e.end, 0) + 1
    pieces: List[str] = []
    for k, w in enumerate(words):
        token = w
        if k in ends:  # close before anything opens at this position
            pieces[-1] += close_mark * ends[k]
        if k in starts:
            token = open_mark * starts[k] + token
        pieces.append(token)
    if len(words) in ends and pieces:
        pieces[-1] += close_mark * ends[len(words)]
    return detokenize(pieces)


def similarity(a: str, b: str) -> float:
    """difflib ratio of the lowercased strings."""
    return difflib.SequenceMatcher(None, a.lower(), b.lower()).ratio()


def best_match(inner: str, candidates: Sequence[str], threshold: float = 0.5) -> int:
    """Index of the candidate most similar to ``inner`` with ratio > ``threshold``; -1 if none.

    A true argmax (ties go to the earlier candidate); the paper's code returns the *last* candidate
    above the threshold instead.
    """
    best, best_score = -1, threshold
    for k, cand in enumerate(candidates):
        score = similarity(inner, cand)
        if score > best_score:
            best, best_score = k, score
    return best


@dataclass
class BackTranslation:
    """A labelled back-translation: target-language words with the source entities' labels."""

    words: List[str]
    ents: List[Entity]
    text: str
    unmatched: int = 0  # marked spans that matched no entity translation
    missing: int = 0  # source entities that no marked span matched


def parse_marked(
    text: str,
    ent_translations: Sequence[str],
    labels: Sequence[str],
    split: Splitter,
    threshold: float = 0.5,
    open_mark: str = "[",
    close_mark: str = "]",
) -> BackTranslation:
    """Turn a translated marked sentence into words + entities (step 3 of the module docs)."""
    pattern = re.compile(re.escape(open_mark) + r"(.*?)" + re.escape(close_mark))
    remaining = list(range(len(ent_translations)))
    words: List[str] = []
    ents: List[Entity] = []
    unmatched = 0
    prev = 0

    def add_plain(segment: str) -> None:
        words.extend(w for w in split(segment) if w not in (open_mark, close_mark))

    for m in pattern.finditer(text):
        inner = m.group(1).strip()
        k = best_match(inner, [ent_translations[r] for r in remaining], threshold)
        add_plain(text[prev:m.start()])
        if k >= 0:
            start = len(words)
            inner_words = [w for w in split(inner) if w not in (open_mark, close_mark)]
            words.extend(inner_words)
            if inner_words:
                ents.append(Entity(start, len(words), labels[remaining[k]]))
            del remaining[k]
        else:
            unmatched += 1
            add_plain(inner)
        prev = m.end()
    add_plain(text[prev:])
    return BackTranslation(words, ents, text, unmatched, len(remaining))


def back_translate(
    items: Sequence[Tuple[Sequence[str], Sequence[Entity]]],
    translator: Translator,
    src_lang: str,
    tgt_lang: str,
    split: Optional[Splitter] = None,
    threshold: float = 0.5,
) -> List[BackTranslation]:
    """Back-translate labelled source sentences into ``tgt_lang`` (two translator calls per batch).

    ``split`` splits the target-language output into words; by default spaCy's tokenizer for
    ``tgt_lang`` (``xx`` for languages spaCy does not know).
    """
    translator = as_translator(translator)
    split = split or spacy_splitter(tgt_lang)
    marked = [mark_entities(words, ents) for words, ents in items]
    ent_texts = [detokenize(list(words[e.start:e.end])) for words, ents in items for e in ents]
    out_marked = translator(marked, src_lang, tgt_lang) if marked else []
    out_ents = translator(ent_texts, src_lang, tgt_lang) if ent_texts else []
    if len(out_marked) != len(marked) or len(out_ents) != len(ent_texts):
        raise ValueError("the translator must return one translation per input text")
    results, pos = [], 0
    for (words, ents), text in zip(items, out_marked):
        tr = out_ents[pos:pos + len(ents)]
        pos += len(ents)
        results.append(parse_marked(text, tr, [e.label for e in ents], split, threshold))
    return results


def spacy_splitter(lang: str) -> Splitter:
    """Word splitting with spaCy's tokenizer for ``lang`` (whitespace tokens dropped)."""
    from ..doc import blank

    tok = blank(lang).tokenizer
    return lambda text: [t.text for t in tok(text) if not t.is_space]


def back_translate_pairs(
    pairs: Sequence[Pair],
    translator: Translator,
    split: Optional[Splitter] = None,
    threshold: float = 0.5,
) -> List[Pair]:
    """The back-translated pair of each pair, not yet aligned.

    The returned pair keeps the id and the target side; its src side is the labelled
    back-translation (in the target language) and its alignment is empty.
    ``meta["back_translation"]`` records the source language, the raw back-translated text and
    the counts of unmatched markers / missing entities.
    """
    if not pairs:
        return []
    translator = as_translator(translator)
    by_lang: Dict[Tuple[str, str], List[int]] = {}
    for k, p in enumerate(pairs):
        by_lang.setdefault((p.src.lang, p.tgt.lang), []).append(k)
    bts: List[Optional[BackTranslation]] = [None] * len(pairs)
    for (src_lang, tgt_lang), idx in by_lang.items():
        items = [(pairs[k].src.words, pairs[k].src.ents) for k in idx]
        for k, bt in zip(idx, back_translate(items, translator, src_lang, tgt_lang, split, threshold)):
            bts[k] = bt
    out = []
    for p, bt in zip(pairs, bts):
        assert bt is not None
        meta = dict(p.meta)
        meta["back_translation"] = {
            "src_lang": p.src.lang,
            "text": bt.text,
            "unmatched_markers": bt.unmatched,
            "missing_entities": bt.missing,
        }
        out.append(Pair(p.id, Side(p.tgt.lang, bt.words, bt.ents), p.tgt, Alignment([]), meta))
    return out


def align_pairs(
    pairs: Sequence[Pair], aligner: Callable[[List[List[str]], List[List[str]]], List[Alignment]]
) -> List[Pair]:
    """``pairs`` with the alignment that ``aligner`` gives their src and tgt words."""
    if not pairs:
        return []
    alignments = aligner([list(p.src.words) for p in pairs], [list(p.tgt.words) for p in pairs])
    return [Pair(p.id, p.src, p.tgt, al, dict(p.meta)) for p, al in zip(pairs, alignments)]


def refine_pairs(
    pairs: Sequence[Pair],
    translator: Translator,
    aligner: Callable[[List[List[str]], List[List[str]]], List[Alignment]],
    split: Optional[Splitter] = None,
    threshold: float = 0.5,
) -> List[Pair]:
    """The back-translated refinement of each pair, ready to project.

    :func:`back_translate_pairs`, then the alignment of back-translation words to target words.
    """
    return align_pairs(back_translate_pairs(pairs, translator, split, threshold), aligner)

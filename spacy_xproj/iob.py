"""IOB tags: the one decoder, label-scheme detection and conversion of probabilities to IOB2.

Every part of spacy-xproj that turns tags into spans (CoNLL reading, evaluation, the HF labeller,
NER candidates, the candidate tagger) uses :func:`tags_to_spans`, so they all agree on every input.

Decoding follows the conlleval rule, which is also seqeval's default mode:

* ``B-X`` and ``S-X`` (``U-X``) open an entity; ``S-X`` also closes it;
* ``I-X`` and ``E-X`` (``L-X``) continue an open ``X`` entity, and open one after ``O``, after an
  entity of another type, or after an entity that an ``E-``/``S-`` closed; ``E-X`` closes it;
* ``O`` (and a change of type) closes the open entity.

So IOB1, IOB2, IOBES/BILOU and IO tags (``PER`` with no prefix counts as ``I-PER``) all decode.

Label schemes of a token classifier (:func:`detect_scheme`): ``iobes`` when it has ``S-``/``E-``
(``U-``/``L-``) labels; ``iob1`` when some type has ``I-`` but no ``B-`` label (an IOB2 model must
be able to start every type with ``B-``; IOB1 models, such as XLM-R fine-tuned on CoNLL-03, use
``B-`` only between two adjacent entities of one type and so may lack it); ``io`` when no type has
``B-``; ``iob2`` otherwise. :func:`probs_to_iob2` converts per-word probabilities of any scheme to
IOB2 (``O``, ``B-X``, ``I-X`` with rows still summing to 1), so that scores reading
``P[first word, B-X]`` see the start of an entity whatever scheme the model was trained with.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import numpy as np

SCHEMES = ("auto", "iob1", "iob2", "iobes", "io")

# BILOU letters are IOBES under other names.
_CANON = {"U": "S", "L": "E"}


def split_tag(tag: str) -> Tuple[str, str]:
    """``"B-PER" -> ("B", "PER")``, ``"L-PER" -> ("E", "PER")``, ``"PER" -> ("I", "PER")`` (IO
    tags), ``"O" -> ("O", "")``."""
    if tag in ("O", "", "o"):
        return "O", ""
    if len(tag) > 2 and tag[1] in "-_" and tag[0].upper() in "BIESLU":
        prefix = tag[0].upper()
        return _CANON.get(prefix, prefix), tag[2:]
    return "I", tag


def tags_to_spans(tags: Sequence[str]) -> List[Tuple[int, int, str]]:
    """Decode tags into half-open ``(start, end, type)`` spans with the conlleval rule (see the
    module docstring); equal to ``seqeval.metrics.sequence_labeling.get_entities`` (end exclusive)."""
    spans: List[Tuple[int, int, str]] = []
    start: Optional[int] = None
    prev, prev_type = "O", ""
    for i, tag in enumerate(tags):
        prefix, typ = split_tag(tag)
        ends = prev in ("E", "S") or (prev in ("B", "I") and prefix in ("B", "S", "O")) or (
            prev != "O" and prev_type != typ
        )
        begins = prefix in ("B", "S") or (prefix in ("I", "E") and prev in ("O", "E", "S")) or (
            prefix != "O" and prev_type != typ
        )
        if start is not None and ends:
            spans.append((start, i, prev_type))
            start = None
        if begins:
            start = i
        if prefix == "O":
            start = None
        prev, prev_type = prefix, typ
    if start is not None:
        spans.append((start, len(tags), prev_type))
    return spans


def detect_scheme(labels: Sequence[str]) -> str:
    """The label scheme of a model's label list: ``iobes``, ``iob1``, ``io`` or ``iob2`` (see the
    module docstring)."""
    b_types, i_types = set(), set()
    for lab in labels:
        prefix, typ = split_tag(lab)
        if prefix in ("S", "E"):
            return "iobes"
        if prefix == "B":
            b_types.add(typ)
        elif prefix == "I":
            i_types.add(typ)
    if i_types and not b_types:
        return "io"
    if i_types - b_types:
        return "iob1"
    return "iob2"


def probs_to_iob2(labels: Sequence[str], probs: np.ndarray, scheme: str = "auto") -> Tuple[List[str], np.ndarray]:
    """Per-word probabilities over ``labels`` (any scheme) as probabilities over IOB2 labels.

    Returns ``(iob2_labels, iob2_probs)``: ``O`` first (when present), then ``B-X``, ``I-X`` per
    type in the order the types first appear; every row keeps its sum.

    * ``iob2``: unchanged values (columns renamed/merged only);
    * ``iobes``: ``B = B + S``, ``I = I + E``;
    * ``iob1`` / ``io``: ``I-X`` at word ``j`` means "inside an X entity", which starts one unless
      word ``j-1`` is in an X entity too; with ``q = P[j-1, B-X] + P[j-1, I-X]`` (0 for the first
      word): ``B2 = B1 + I1 * (1 - q)`` and ``I2 = I1 * q`` (``B-X`` of IOB1 always starts an entity).
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown label scheme {scheme!r}; use one of {', '.join(SCHEMES)}")
    P = np.asarray(probs, dtype=np.float64)
    if P.ndim != 2 or P.shape[1] != len(labels):
        raise ValueError(f"probabilities of shape {P.shape} do not match {len(labels)} labels")
    if scheme == "auto":
        scheme = detect_scheme(labels)
    types: List[str] = []
    has_o = False
    for lab in labels:
        prefix, typ = split_tag(lab)
        if prefix == "O":
            has_o = True
        elif typ not in types:
            types.append(typ)
    n = P.shape[0]
    o = np.zeros(n)
    b = {t: np.zeros(n) for t in types}
    inside = {t: np.zeros(n) for t in types}
    for k, lab in enumerate(labels):
        prefix, typ = split_tag(lab)
        if prefix == "O":
            o += P[:, k]
        elif prefix in ("B", "S"):
            b[typ] += P[:, k]
        else:  # I, E
            inside[typ] += P[:, k]
    if scheme in ("iob1", "io"):
        for t in types:
            in_entity = b[t] + inside[t]
            q = np.concatenate(([0.0], in_entity[:-1])) if n else in_entity
            b[t], inside[t] = b[t] + inside[t] * (1.0 - q), inside[t] * q
    names: List[str] = ["O"] if has_o else []
    cols = [o] if has_o else []
    for t in types:
        names += [f"B-{t}", f"I-{t}"]
        cols += [b[t], inside[t]]
    out = np.stack(cols, axis=1) if cols else np.zeros((n, 0))
    return names, out

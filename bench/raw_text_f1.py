"""Span F1 of a spaCy NER pipeline on a CoNLL file read as raw text, the way a user runs a packaged
model: each sentence's words joined by single spaces go through ``nlp(text)`` (the pipeline's own
tokenizer), and predicted entities are compared with the gold ones by character offsets.

    python bench/raw_text_f1.py MODEL ../shared/data/masakhaner2/yor/test.txt [--labels PER ORG LOC] [--form NFC]

``--form`` normalises the text first (NFC, NFD, ...), to compare a pipeline on both spellings.
Prints precision, recall and F1 (labels outside ``--labels`` are ignored on both sides).
"""
from __future__ import annotations

import argparse
import unicodedata
from pathlib import Path
from typing import List, Optional, Set, Tuple

import spacy

from spacy_xproj.corpus.conll import read_conll_sentences, tags_to_entities

Span = Tuple[int, int, str]


def gold_text_and_spans(words: List[str], ents, labels: Set[str]) -> Tuple[str, Set[Span]]:
    starts = []
    pos = 0
    for w in words:
        starts.append(pos)
        pos += len(w) + 1
    spans = {(starts[e.start], starts[e.end - 1] + len(words[e.end - 1]), e.label) for e in ents if e.label in labels}
    return " ".join(words), spans


def main(argv: Optional[List[str]] = None) -> Tuple[float, float, float]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("conll", type=Path)
    ap.add_argument("--labels", nargs="+", default=["PER", "ORG", "LOC"])
    ap.add_argument("--form", default=None, choices=["NFC", "NFD", "NFKC", "NFKD"])
    args = ap.parse_args(argv)
    nlp = spacy.load(args.model)
    labels = set(args.labels)
    texts, golds = [], []
    for sent in read_conll_sentences(args.conll):
        words = [unicodedata.normalize(args.form, w) for w in sent.words] if args.form else list(sent.words)
        text, spans = gold_text_and_spans(words, tags_to_entities(sent.tags), labels)
        texts.append(text)
        golds.append(spans)
    tp = fp = fn = 0
    for doc, gold in zip(nlp.pipe(texts, batch_size=256), golds):
        pred = {(e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in labels}
        tp += len(pred & gold)
        fp += len(pred - gold)
        fn += len(gold - pred)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    print(f"{args.model} on {args.conll} ({len(texts)} sentences, {'as given' if not args.form else args.form}): "
          f"P {100 * p:.1f} R {100 * r:.1f} F1 {100 * f:.1f}")
    return p, r, f


if __name__ == "__main__":
    main()

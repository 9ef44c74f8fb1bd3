"""Projection on MAFAND-MT pairs whose target side is a MasakhaNER 2.0 sentence (gold labels).

Some MAFAND-MT train sentences also occur in the MasakhaNER 2.0 train and dev splits (none of
the MAFAND-MT train splits occurs in a test split; its fr-wol *test* split, which the default
``parallel`` run does not read, is largely MasakhaNER 2.0 wol test text).
For those pairs the projection can be scored against gold target entities in an African
language: the English side labelled by the source NER of the ``parallel`` workflow, eflomal
alignment over all of its pairs, then each projector, PER/ORG/LOC, derived forms dropped as the
MasakhaNER workflows do. Needs the ``labelled.jsonl`` that ``parallel`` writes:

    python -m spacy project run parallel . --vars.lang yor --vars.n_parallel 3000   # up to labelling
    XPROJ_DATA_DIR=../shared/data python bench/masakhaner_overlap.py yor corpus/yor/parallel/labelled.jsonl
"""
from __future__ import annotations

import copy
import dataclasses
import sys
import unicodedata

import spacy_xproj  # noqa: F401
from spacy.util import registry
from spacy_xproj.cli.europarl import METHODS
from spacy_xproj.corpus.conll import read_conll
from spacy_xproj.corpus.jsonl import read_pairs
from spacy_xproj.evaluate.metrics import evaluate_pairs
from spacy_xproj.projection.component import project_pairs
from spacy_xproj.settings import data_dir

LABELS = ("PER", "ORG", "LOC")


def key(words) -> str:
    return unicodedata.normalize("NFC", "".join(words)).lower()


def keep(ents):
    return [e for e in ents if e.label in LABELS]


def main(lang: str, labelled: str, methods=("heuristic", "coverage-v1", "coverage-v2", "coverage")) -> None:
    gold = {}
    for split in ("train", "dev"):
        for p in read_conll(data_dir() / "masakhaner2" / lang / f"{split}.txt", lang):
            gold[key(p.tgt.words)] = p
    inputs, golds = [], []
    for p in read_pairs(labelled):
        g = gold.get(key(p.tgt.words))
        if g is not None and len(g.tgt.words) == len(p.tgt.words):
            inputs.append(dataclasses.replace(p, src=dataclasses.replace(p.src, ents=keep(p.src.ents))))
            golds.append(dataclasses.replace(p, tgt=dataclasses.replace(p.tgt, ents=keep(g.tgt.ents))))
    print(f"{len(inputs)} pairs with a MasakhaNER sentence, {sum(len(g.tgt.ents) for g in golds)} gold entities")
    print("| projector | P | R | F1 |\n|---|---:|---:|---:|")
    for name in methods:
        block = copy.deepcopy(METHODS[name])
        if "label_rule" in block:
            block["label_rule"]["label"] = None  # MasakhaNER has no MISC: derived forms are dropped
        o = evaluate_pairs(project_pairs(inputs, registry.resolve({"p": block})["p"]), golds)["overall"]
        print(f"| {name} | {100 * o['precision']:.1f} | {100 * o['recall']:.1f} | {100 * o['f1']:.1f} |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], *( [sys.argv[3].split(",")] if len(sys.argv) > 3 else []))

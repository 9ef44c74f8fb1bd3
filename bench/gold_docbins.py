"""Gold MasakhaNER 2.0 splits as spaCy DocBins for measuring the ceiling of a training config.

Writes ``OUT/train.spacy``, ``OUT/dev.spacy`` and ``OUT/test.spacy`` from
``<data>/masakhaner2/<lang>/{train,dev,test}.txt`` (read with the project's CoNLL reader), keeping
only the labels the projection workflows produce (PER, ORG, LOC; DATE is dropped, its words become
``O``). Then train on the gold train split, choose the checkpoint on dev and score on test:

    XPROJ_DATA_DIR=../shared/data python bench/gold_docbins.py hau gold_hau
    OMP_NUM_THREADS=1 python -m spacy train configs/cnn.cfg --output gold_hau/model \\
        --paths.train gold_hau/train.spacy --paths.dev gold_hau/dev.spacy --nlp.lang xx
    python -m spacy evaluate gold_hau/model/model-best gold_hau/test.spacy
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Dict, Sequence

import spacy
from spacy.tokens import Doc, DocBin, Span

from spacy_xproj.corpus.conll import read_conll
from spacy_xproj.settings import data_dir

KEEP = ("PER", "ORG", "LOC")


def build(lang: str, out: Path, keep: Sequence[str] = KEEP) -> Dict[str, Dict[str, int]]:
    """Write the three DocBins; return per split the number of sentences and kept/dropped entities."""
    nlp = spacy.blank("xx")
    out.mkdir(parents=True, exist_ok=True)
    counts: Dict[str, Dict[str, int]] = {}
    for split in ("train", "dev", "test"):
        path = data_dir() / "masakhaner2" / lang / f"{split}.txt"
        docs = []
        kept = dropped = 0
        for pair in read_conll(path, lang):
            doc = Doc(nlp.vocab, words=pair.tgt.words)
            ents = [Span(doc, e.start, e.end, label=e.label) for e in pair.tgt.ents if e.label in keep]
            dropped += len(pair.tgt.ents) - len(ents)
            kept += len(ents)
            doc.ents = ents
            docs.append(doc)
        DocBin(docs=docs).to_disk(out / f"{split}.spacy")
        counts[split] = {"sentences": len(docs), "entities": kept, "dropped": dropped}
    return counts


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("lang", help="MasakhaNER 2.0 language folder (hau, ibo, swa, ...)")
    parser.add_argument("out", type=Path, help="output folder for train/dev/test.spacy")
    args = parser.parse_args(argv)
    for split, c in build(args.lang, args.out).items():
        print(f"{split}: {c['sentences']} sentences, {c['entities']} entities ({c['dropped']} DATE dropped)")


if __name__ == "__main__":
    main()

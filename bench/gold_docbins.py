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
import sys
from pathlib import Path
from typing import Dict, Sequence

from spacy_xproj.settings import data_dir

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from gold_target import KEEP, build as build_docbins  # noqa: E402  (scripts/: the ceiling workflow's own step)


def build(lang: str, out: Path, keep: Sequence[str] = KEEP) -> Dict[str, Dict[str, int]]:
    """Write the three DocBins; return per split the number of sentences and kept/dropped entities."""
    folder = data_dir() / "masakhaner2" / lang
    splits = ("train", "dev", "test")
    counts = build_docbins({out / f"{s}.spacy": folder / f"{s}.txt" for s in splits}, lang, keep)
    return {s: counts[str(out / f"{s}.spacy")] for s in splits}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("lang", help="MasakhaNER 2.0 language folder (hau, ibo, swa, ...)")
    parser.add_argument("out", type=Path, help="output folder for train/dev/test.spacy")
    args = parser.parse_args(argv)
    for split, c in build(args.lang, args.out).items():
        print(f"{split}: {c['sentences']} sentences, {c['entities']} entities ({c['dropped']} DATE dropped)")


if __name__ == "__main__":
    main()

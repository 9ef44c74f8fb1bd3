"""Block-level (span-level) agreement of the aligner's directional runs as coverage evidence.

Europarl-NER de and es, eflomal seeds 0,1,2 (cached alignments, see bench/fusion_study.py);
prints F1 / P / R (mean ± half range) of ``CoverageScore.v1`` for each ``block_weight``.

    XPROJ_DATA_DIR=../shared/data python bench/block_study.py 0 1 0.9 0.8
"""
from __future__ import annotations

import statistics
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import fusion_study as fs  # noqa: E402


def projector(block_weight: float):
    from spacy.util import registry
    from spacy_xproj.cli.europarl import METHODS
    cfg = dict(METHODS["coverage"])
    cfg["scorer"] = {"@xproj_scorers": "spacy-xproj.CoverageScore.v1", "block_weight": block_weight}
    return registry.resolve({"p": cfg})["p"]


def main(weights) -> None:
    print("| block_weight | de F1 | es F1 | mean | de P/R | es P/R |")
    print("|---|---:|---:|---:|---:|---:|")
    for w in weights:
        proj = projector(w)
        cells, means, pr = [], [], []
        for lang in fs.LANGS:
            res = [fs.score(proj, lang, s) for s in fs.SEEDS]
            f = [r["f1"] for r in res]
            means.append(statistics.mean(f))
            cells.append(f"{100 * means[-1]:.2f} ± {100 * (max(f) - min(f)) / 2:.1f}")
            pr.append(f"{100 * statistics.mean(r['p'] for r in res):.1f}/{100 * statistics.mean(r['r'] for r in res):.1f}")
        print(f"| {w:g} | {cells[0]} | {cells[1]} | {100 * statistics.mean(means):.2f} | {pr[0]} | {pr[1]} |", flush=True)


if __name__ == "__main__":
    main([float(x) for x in sys.argv[1:]] or [0.0, 1.0])

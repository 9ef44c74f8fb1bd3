"""What each part of the default projector adds, on Europarl-NER de and es (means over eflomal
seeds 0,1,2, over the cached default alignments of ``bench/fusion_study.py``).

Rows: the previous default (``xproj europarl --method coverage-v2``), each change added to it alone,
the default without each change, and the default; then ``NameContinuation.v1``'s ``case_ratio``.

    python bench/default_study.py
"""
from __future__ import annotations

import copy
import statistics
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import fusion_study as fs  # noqa: E402

from spacy.util import registry  # noqa: E402
from spacy_xproj.cli.europarl import METHODS  # noqa: E402

LONG = {"extractor": {"@xproj_candidates": "spacy-xproj.NgramCandidates.v2"}}
CASE = {"label_rule": {"@xproj_label_rules": "spacy-xproj.DerivedFormLabel.v2"}}
NAMES = {"span_rule": {"@xproj_span_rules": "spacy-xproj.NameContinuation.v1"}}
CHANGES = {"n-grams growing with the source entity": LONG, "derived forms: any capital marks a cased sentence": CASE,
           "names continued over capitalised words": NAMES}


def with_changes(*changes) -> dict:
    block = copy.deepcopy(METHODS["coverage-v2"])
    for change in changes:
        block.update(copy.deepcopy(change))
    return block


def row(name: str, block: dict) -> None:
    projector = registry.resolve({"p": block})["p"]
    cells = []
    for lang in fs.LANGS:
        f1 = [100 * fs.score(projector, lang, seed)["f1"] for seed in fs.SEEDS]
        cells.append(f"{statistics.mean(f1):.2f} ± {(max(f1) - min(f1)) / 2:.2f}")
    print(f"| {name} | {' | '.join(cells)} |", flush=True)


def main() -> None:
    print("| projector | de | es |\n|---|---:|---:|")
    row("previous default (`coverage-v2`)", with_changes())
    for name, change in CHANGES.items():
        row(f"previous default + {name}", with_changes(change))
    for name in CHANGES:
        row(f"default without {name}", with_changes(*(c for n, c in CHANGES.items() if n != name)))
    row("**default** (`coverage`)", METHODS["coverage"])
    for ratio in (1.0, 2.0, 3.0, 1000.0):
        block = copy.deepcopy(METHODS["coverage"])
        block["span_rule"]["case_ratio"] = ratio
        row(f"default, `case_ratio` {ratio:g}", block)
    for similarity in (None, 0.4, 0.6):
        block = copy.deepcopy(METHODS["coverage"])
        block["span_rule"]["min_similarity"] = similarity
        row(f"default, `min_similarity` {similarity}", block)


if __name__ == "__main__":
    main()

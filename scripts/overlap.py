"""Count the test sentences that also occur in the training data (a leakage check).

    python scripts/overlap.py TRAINING.jsonl TEST.jsonl [--side tgt] [--output overlap.json]

Both files are pair JSONL files. A test sentence "occurs" in the training data when its letters
and digits (NFKC, lower-cased; spaces and punctuation dropped) equal those of a training sentence
or share a run of at least 60 of them with one (``--min-shared``), the rule of ``xproj filter
--exclude``, so tokenisation, punctuation and case differences and cut or extended copies do not
hide it. Prints one line with the count and writes the count and the ids of the overlapping test
sentences (the first 50) as JSON.
The `parallel` workflow runs it on the projected training sentences and the MasakhaNER 2.0 test
split. Some MAFAND-MT text is also MasakhaNER 2.0 text (most of the fr-wol test split is the
wol test split), so the workflow drops those pairs before alignment (`xproj filter --exclude`), and
this check confirms that no test sentence was trained on.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import List, Optional

import spacy_xproj  # noqa: F401
from spacy_xproj.corpus.filters import sentence_key, shared_text_matcher
from spacy_xproj.corpus.jsonl import read_pairs


def overlap(training: Path, test: Path, side: str = "tgt", min_shared: int = 60) -> dict:
    matches = shared_text_matcher((sentence_key(getattr(p, side).words) for p in read_pairs(training)), min_shared)
    total = 0
    hits: List[str] = []
    for pair in read_pairs(test):
        total += 1
        if matches(sentence_key(getattr(pair, side).words)):
            hits.append(pair.id)
    return {"training": str(training), "test": str(test), "side": side, "test_sentences": total,
            "in_training": len(hits), "ids": hits[:50]}


def main(argv: Optional[List[str]] = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("training", type=Path)
    ap.add_argument("test", type=Path)
    ap.add_argument("--side", choices=("src", "tgt"), default="tgt")
    ap.add_argument("--min-shared", type=int, default=60, help="shared run of letters and digits that counts as a copy")
    ap.add_argument("--output", type=Path, default=None)
    args = ap.parse_args(argv)
    for path in (args.training, args.test):
        if not path.is_file():
            raise SystemExit(f"error: {path} does not exist")
    result = overlap(args.training, args.test, args.side, args.min_shared)
    print(f"overlap: {result['in_training']} of {result['test_sentences']} test sentences ({args.test}) "
          f"also occur in the training data ({args.training})"
          + ("" if not result["in_training"] else f"; first: {', '.join(result['ids'][:5])}"))
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf8")


if __name__ == "__main__":
    sys.exit(main())

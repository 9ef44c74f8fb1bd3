"""Print where a workflow's report and packaged model are, and how to install and load the model.

    python scripts/summary.py --report reports/parallel.md --package packages/parallel

Runs at the end of every workflow, also when every other step was skipped, so a rerun still says
where the results are. The wheel is the one `scripts/package_model.py` recorded in
``<package>/latest-wheel.txt``.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--report", type=Path, required=True)
    ap.add_argument("--package", type=Path, required=True)
    args = ap.parse_args(argv)
    if args.report.is_file():
        print(f"Report: {args.report.resolve()}")
        rows_file = args.report.with_suffix(".json")
        if rows_file.is_file():
            for row in json.loads(rows_file.read_text(encoding="utf8")):
                where = f" — {row['eval_set']}" if row.get("eval_set") else ""
                print(f"  {row['language']} {row['method']}: F1 {100 * row['f1']:.1f}{where}")
    else:
        print(f"No report yet at {args.report}")
    record = args.package / "latest-wheel.txt"
    if not record.is_file():
        print(f"No packaged model yet in {args.package}")
        return
    wheel, package = record.read_text(encoding="utf8").split()[:2]
    if not Path(wheel).is_file():
        print(f"The recorded wheel {wheel} is gone; rerun the package step")
        return
    print(f"Packaged model: {wheel}")
    print("Install and load it:")
    print(f"  pip install {wheel}")
    print(f"  python -c \"import spacy; nlp = spacy.load('{package}'); print(nlp.meta['performance'])\"")


if __name__ == "__main__":
    main()

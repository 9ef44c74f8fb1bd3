"""Score a trained candidate tagger on NER files: span P/R/F1 (labels ignored) and recall.

    python -m spacy_xproj.candidate_tagger.evaluate MODEL FILE [FILE ...] [--output scores.json]

Each FILE is read with ``spacy-xproj.CandidateCorpus.v1`` (CoNLL-style text or a DocBin); gold
spans are its entities with labels ignored (``--ignore-label DATE`` drops an entity type first).
Besides exact-span P/R/F it prints ``R_ovl`` (gold spans some candidate overlaps) and ``R_in`` (gold
spans inside a candidate, i.e. reachable by taking sub-spans of candidates).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence

from spacy.language import Language
from spacy.training import Example

from .corpus import create_candidate_corpus
from .scoring import score_candidates


def evaluate_examples(nlp: Language, examples: Iterable[Example], batch_size: int = 256) -> Dict[str, Any]:
    """Run ``nlp`` on the predicted docs of ``examples`` and score the candidate spans it writes."""
    examples = list(examples)
    docs = list(nlp.pipe((eg.predicted for eg in examples), batch_size=batch_size))
    scored = [Example(doc, eg.reference) for doc, eg in zip(docs, examples)]
    key = _spans_key(nlp)
    scores = score_candidates(scored, spans_key=key)
    scores["n_sentences"] = len(scored)
    scores["n_gold"] = sum(len(eg.reference.spans[key]) for eg in scored)
    scores["n_pred"] = sum(len(eg.predicted.spans[key]) for eg in scored)
    overlapped = within = 0
    for eg in scored:
        cands = [(s.start, s.end) for s in eg.predicted.spans[key]]
        for g in eg.reference.spans[key]:
            overlapped += any(s < g.end and g.start < e for s, e in cands)
            within += any(s <= g.start and g.end <= e for s, e in cands)
    n_gold = max(scores["n_gold"], 1)
    scores["r_overlap"] = overlapped / n_gold  # gold spans that some candidate overlaps
    scores["r_within"] = within / n_gold  # gold spans inside a candidate (found with sub-spans)
    return scores


def evaluate_file(nlp: Language, path: str, limit: int = 0, ignore_labels: Sequence[str] = ()) -> Dict[str, Any]:
    """:func:`evaluate_examples` over one NER file (gold entities with ``ignore_labels`` dropped)."""
    reader = create_candidate_corpus(path, limit=limit, spans_key=_spans_key(nlp), ignore_labels=list(ignore_labels))
    return evaluate_examples(nlp, reader(nlp))


def _spans_key(nlp: Language) -> str:
    for name, pipe in nlp.pipeline:
        if getattr(pipe, "cfg", {}).get("spans_key") and nlp.get_pipe_meta(name).factory == "xproj_candidate_tagger":
            return pipe.cfg["spans_key"]
    raise ValueError(f"the pipeline {nlp.pipe_names} has no xproj_candidate_tagger")


def main(argv: Optional[List[str]] = None) -> int:
    import spacy

    parser = argparse.ArgumentParser(prog="python -m spacy_xproj.candidate_tagger.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("model", help="trained pipeline (path or package)")
    parser.add_argument("files", nargs="+", help="NER files (CoNLL-style text or .spacy)")
    parser.add_argument("--limit", type=int, default=0, help="sentences per file (0 = all)")
    parser.add_argument("--ignore-label", action="append", default=[], help="gold label to drop (repeatable), e.g. DATE")
    parser.add_argument("--output", type=Path, default=None, help="write all scores as JSON here")
    args = parser.parse_args(argv)
    import spacy_xproj  # noqa: F401  (registers the factory when not installed as an entry point)

    nlp = spacy.load(args.model)
    results = {}
    print(f"{'file':<48} {'sents':>6} {'gold':>6} {'pred':>6} {'P':>6} {'R':>6} {'F':>6} {'R_ovl':>6} {'R_in':>6}")
    for path in args.files:
        s = evaluate_file(nlp, path, args.limit, args.ignore_label)
        results[path] = s
        print(
            f"{path[-48:]:<48} {s['n_sentences']:>6} {s['n_gold']:>6} {s['n_pred']:>6} "
            f"{100 * s['cand_p']:>6.1f} {100 * s['cand_r']:>6.1f} {100 * s['cand_f']:>6.1f} "
            f"{100 * s['r_overlap']:>6.1f} {100 * s['r_within']:>6.1f}"
        )
    if args.output:
        args.output.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

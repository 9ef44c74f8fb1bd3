"""Score a trained candidate tagger on NER files: span P/R/F1 (labels ignored) and recall.

    python -m spacy_xproj.candidate_tagger.evaluate MODEL FILE [FILE ...] [--output scores.json]

Each FILE is read with ``spacy-xproj.CandidateCorpus.v1`` (CoNLL-style text or a DocBin); gold
spans are its entities with labels ignored.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

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
    return scores


def evaluate_file(nlp: Language, path: str, limit: int = 0) -> Dict[str, Any]:
    """:func:`evaluate_examples` over one NER file."""
    reader = create_candidate_corpus(path, limit=limit, spans_key=_spans_key(nlp))
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
    parser.add_argument("--output", type=Path, default=None, help="write all scores as JSON here")
    args = parser.parse_args(argv)
    import spacy_xproj  # noqa: F401  (registers the factory when not installed as an entry point)

    nlp = spacy.load(args.model)
    results = {}
    print(f"{'file':<60} {'sents':>6} {'gold':>6} {'pred':>6} {'P':>6} {'R':>6} {'F':>6}")
    for path in args.files:
        s = evaluate_file(nlp, path, args.limit)
        results[path] = s
        print(
            f"{path[-60:]:<60} {s['n_sentences']:>6} {s['n_gold']:>6} {s['n_pred']:>6} "
            f"{100 * s['cand_p']:>6.1f} {100 * s['cand_r']:>6.1f} {100 * s['cand_f']:>6.1f}"
        )
    if args.output:
        args.output.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Several NER pipelines and their majority vote, scored on one gold DocBin as `spacy evaluate` does.

Each pipeline labels the test documents (tokenised by its own tokenizer, as `spacy evaluate` reads
a corpus); the vote keeps the entities a strict majority predicts with the same tokens, span and
type (``spacy_xproj.label.vote.vote_entities``, what ``xproj vote`` does on pair files). Prints NER
P/R/F1 overall and per type for each pipeline and for the vote:

    python bench/source_vote.py corpus/conll/test.spacy training/source_en/model-best \\
        training/source_en_s1/model-best training/source_en_s2/model-best
"""
from __future__ import annotations

import argparse
from typing import Dict, List

import spacy
from spacy.scorer import get_ner_prf
from spacy.tokens import Doc, DocBin, Span
from spacy.training import Example

from spacy_xproj.label.vote import vote_entities
from spacy_xproj.types import Entity


def scores(docs: List[Doc], gold: List[Doc]) -> Dict[str, float]:
    prf = get_ner_prf([Example(d, g) for d, g in zip(docs, gold)])
    out = {"f": prf["ents_f"], "p": prf["ents_p"], "r": prf["ents_r"]}
    out.update({label: v["f"] for label, v in sorted(prf["ents_per_type"].items())})
    return out


def voted_docs(preds: List[List[Doc]], min_votes=None) -> List[Doc]:
    out = []
    for docs in zip(*preds):
        first = docs[0]
        if any([t.text for t in d] != [t.text for t in first] for d in docs[1:]):
            raise SystemExit("error: the pipelines tokenise a document differently; vote over pipelines with one tokenizer")
        ents = vote_entities([[Entity(e.start, e.end, e.label_) for e in d.ents] for d in docs], min_votes)
        doc = Doc(first.vocab, words=[t.text for t in first], spaces=[bool(t.whitespace_) for t in first])
        doc.ents = [Span(doc, e.start, e.end, e.label) for e in ents]
        out.append(doc)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("gold", help="gold DocBin (e.g. corpus/conll/test.spacy)")
    parser.add_argument("models", nargs="+", help="spaCy pipelines (packages or folders), at least two")
    args = parser.parse_args()
    if len(args.models) < 2:
        parser.error("give at least two pipelines to vote over")
    nlps = [spacy.load(m) for m in args.models]
    gold = list(DocBin().from_disk(args.gold).get_docs(nlps[0].vocab))
    preds = [list(nlp.pipe((nlp.make_doc(g.text) for g in gold), batch_size=64)) for nlp in nlps]
    rows = [(m, scores(p, gold)) for m, p in zip(args.models, preds)]
    rows.append((f"vote (at least {len(nlps) // 2 + 1} of {len(nlps)})", scores(voted_docs(preds), gold)))
    labels = [k for k in rows[0][1] if k not in ("f", "p", "r")]
    print("| model | F1 | P | R | " + " | ".join(labels) + " |")
    print("|---|---:|---:|---:|" + "---:|" * len(labels))
    for name, s in rows:
        print(f"| {name} | {100 * s['f']:.1f} | {100 * s['p']:.1f} | {100 * s['r']:.1f} | "
              + " | ".join(f"{100 * s.get(k, 0.0):.1f}" for k in labels) + " |")


if __name__ == "__main__":
    main()

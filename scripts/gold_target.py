"""Gold target-language NER data as DocBins: the training and dev data of the `ceiling` workflow.

    python scripts/gold_target.py assets/masakhaner2/hau corpus/hau/ceiling

reads ``FOLDER/train.txt`` and ``FOLDER/dev.txt`` (MasakhaNER 2.0 CoNLL files, read with the
project's CoNLL reader) and writes ``OUT/train/target.spacy`` and ``OUT/dev.spacy``, keeping only the
labels the projection workflows produce (``--keep-label``, default PER ORG LOC: DATE is dropped and
its words become ``O``, as MISC of the English source NER is). The training folder ``OUT/train`` then
takes the gold source sentences and the copies of ``target.spacy`` that `parallel` puts beside the
projected sentences (``scripts/source_ner.py gold --projected OUT/train/target.spacy``), so a model
trained on it is the one `parallel` would train if every projected entity were right: the ceiling of
the training setup on that language.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Dict, Mapping, Optional, Sequence

KEEP = ("PER", "ORG", "LOC")


def build(sources: Mapping[Path, Path], lang: str, keep: Sequence[str] = KEEP) -> Dict[str, Dict[str, int]]:
    """Write each CoNLL file of ``sources`` (``{out_path: conll_path}``) as a DocBin with the entities
    of ``keep`` only; return per output path its sentences and kept / dropped entities."""
    import spacy
    from spacy.tokens import Doc, DocBin, Span

    from spacy_xproj.corpus.conll import read_conll

    missing = [str(conll) for conll in sources.values() if not Path(conll).is_file()]
    if missing:  # checked before anything is written
        raise SystemExit(f"error: {', '.join(missing)}: no such file (a gold CoNLL split)")
    nlp = spacy.blank("xx")
    counts: Dict[str, Dict[str, int]] = {}
    for out_path, conll in sources.items():
        docs = []
        kept = dropped = 0
        for pair in read_conll(conll, lang):
            doc = Doc(nlp.vocab, words=pair.tgt.words)
            ents = [Span(doc, e.start, e.end, label=e.label) for e in pair.tgt.ents if e.label in keep]
            dropped += len(pair.tgt.ents) - len(ents)
            kept += len(ents)
            doc.ents = ents
            docs.append(doc)
        out = Path(out_path)
        out.parent.mkdir(parents=True, exist_ok=True)
        DocBin(docs=docs).to_disk(out)
        counts[str(out)] = {"sentences": len(docs), "entities": kept, "dropped": dropped}
    return counts


def report(counts: Dict[str, Dict[str, int]], keep: Sequence[str]) -> None:
    for path, c in counts.items():
        print(f"{path}: {c['sentences']} sentences, {c['entities']} entities ({', '.join(keep)}; "
              f"{c['dropped']} of other types dropped)")


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path, help="folder with the gold train.txt and dev.txt (CoNLL)")
    parser.add_argument("out", type=Path, help="output folder: train/target.spacy and dev.spacy")
    parser.add_argument("--lang", default="xx", help="language of the files (recorded in the pairs read)")
    parser.add_argument("--keep-label", nargs="+", default=list(KEEP), help="entity types kept")
    args = parser.parse_args(argv)
    sources = {args.out / "train" / "target.spacy": args.folder / "train.txt",
               args.out / "dev.spacy": args.folder / "dev.txt"}
    report(build(sources, args.lang, args.keep_label), args.keep_label)


if __name__ == "__main__":
    main()

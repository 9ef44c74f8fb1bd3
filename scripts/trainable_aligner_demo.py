"""Real-data demo of the trainable eflomal aligner (issue 9); run by hand, not in CI.

    python scripts/trainable_aligner_demo.py mafand  --out demo/      # MAFAND-MT en-swa
    python scripts/trainable_aligner_demo.py europarl --out demo/     # Europarl-NER en->de, held out

``mafand``: the ``xproj_aligner`` component (default ``spacy-xproj.Eflomal.v1``) is initialised
through ``nlp.initialize()`` on MAFAND-MT en-swa train (``spacy-xproj.ParallelCorpus.v1`` on the
gzipped file; docs are Swahili, translations English, as in translate-test), saved with
``nlp.to_disk`` and re-loaded with ``spacy.load``. The MAFAND en-swa test pairs are then aligned in
batches of 32 and one pair at a time, with and without the learned statistics. There is no gold
alignment for MAFAND, so the figure is *agreement* (link P/R/F1) with a silver reference: the test
pairs aligned together with the whole train set as one eflomal corpus (the most data eflomal can
use here).

``europarl``: projection F1 on Europarl-NER en->de (gold English entities projected onto the real
German sentence) when each half of the 799 pairs is aligned with statistics learned on the *other*
half only (2-fold, so no pair is aligned with statistics that saw it), against no statistics, in
batches of 32 and one pair at a time.

Everything is seeded (eflomal seed 0, one sampler); results go to ``OUT/*.json`` and stdout.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

import spacy

import spacy_xproj  # noqa: F401
from spacy_xproj.align.eflomal_backend import create_eflomal_aligner, read_parallel
from spacy_xproj.settings import data_dir
from spacy_xproj.types import Alignment


def _link_prf(pred: Sequence[Alignment], ref: Sequence[Alignment]) -> Dict[str, float]:
    tp = n_p = n_r = 0
    for p, r in zip(pred, ref):
        ps, rs = set(p.links), set(r.links)
        tp += len(ps & rs)
        n_p += len(ps)
        n_r += len(rs)
    prec = tp / n_p if n_p else 0.0
    rec = tp / n_r if n_r else 0.0
    return {"p": prec, "r": rec, "f": 2 * prec * rec / (prec + rec) if prec + rec else 0.0, "links": n_p}


def _batched(aligner: Any, src: List[List[str]], tgt: List[List[str]], size: int) -> Tuple[List[Alignment], float]:
    start = time.perf_counter()
    out: List[Alignment] = []
    for k in range(0, len(src), size):
        out.extend(aligner(src[k:k + size], tgt[k:k + size]))
    return out, time.perf_counter() - start


def _machine() -> str:
    return f"{platform.platform()}, {os.cpu_count()} CPUs (shared), Python {platform.python_version()}"


def mafand(out: Path, single: int) -> Dict[str, Any]:
    folder = data_dir() / "mafand_mt" / "en-swa"
    train = folder / "train.jsonl.gz"
    # docs are Swahili (translate-test orientation): doc -> translation = swa -> en
    test = [(t, s) for s, t in read_parallel(folder / "test.jsonl", "en", "swa")]
    src = [s for s, _ in test]
    tgt = [t for _, t in test]
    res: Dict[str, Any] = {"machine": _machine(), "command": " ".join(sys.argv), "test_pairs": len(test)}

    nlp = spacy.blank("xx")  # spaCy has no Swahili class
    nlp.add_pipe("xproj_aligner")
    nlp.config["initialize"]["components"]["xproj_aligner"] = {
        "corpus": {"@readers": "spacy-xproj.ParallelCorpus.v1", "path": str(train), "src_lang": "en", "tgt_lang": "swa"},
        "corpus_doc_side": "tgt",
    }
    t0 = time.perf_counter()
    nlp.initialize()
    res["initialize_s"] = round(time.perf_counter() - t0, 1)
    aligner = nlp.get_pipe("xproj_aligner").aligner
    priors = aligner.priors
    res["train_pairs"] = priors.n_pairs
    res["priors"] = {"lex": len(priors.lex), "hmmf": len(priors.hmmf), "hmmr": len(priors.hmmr),
                     "ferf": len(priors.ferf), "ferr": len(priors.ferr)}
    nlp.to_disk(out / "aligner_swa")
    res["aligner_bin_bytes"] = (out / "aligner_swa" / "xproj_aligner" / "aligner.bin").stat().st_size
    t0 = time.perf_counter()
    loaded = spacy.load(out / "aligner_swa")
    res["load_s"] = round(time.perf_counter() - t0, 2)
    trained = loaded.get_pipe("xproj_aligner").aligner
    print(json.dumps(res), flush=True)

    # silver reference: train + test aligned as one corpus, no priors (same settings)
    train_pairs = [(t, s) for s, t in read_parallel(train, "en", "swa")]
    plain = create_eflomal_aligner()
    t0 = time.perf_counter()
    joint = plain([s for s, _ in train_pairs] + src, [t for _, t in train_pairs] + tgt)
    ref = joint[len(train_pairs):]
    res["reference_s"] = round(time.perf_counter() - t0, 1)

    rows = []
    for label, al, size, n in [
        ("no statistics, whole test set as one corpus", plain, len(src), len(src)),
        ("learned statistics, whole test set as one corpus", trained, len(src), len(src)),
        ("no statistics, batches of 32", plain, 32, len(src)),
        ("learned statistics, batches of 32", trained, 32, len(src)),
        (f"no statistics, one pair at a time (first {single})", plain, 1, single),
        (f"learned statistics, one pair at a time (first {single})", trained, 1, single),
    ]:
        pred, secs = _batched(al, src[:n], tgt[:n], size)
        row = {"setting": label, "pairs": n, "seconds": round(secs, 1), **_link_prf(pred, ref[:n])}
        rows.append(row)
        print(json.dumps(row), flush=True)
    res["rows"] = rows
    (out / "mafand_swa.json").write_text(json.dumps(res, indent=2) + "\n", encoding="utf8")
    return res


def europarl(out: Path, single: bool) -> Dict[str, Any]:
    from spacy.util import registry

    from spacy_xproj.cli.europarl import METHODS
    from spacy_xproj.corpus.europarl import read_europarl
    from spacy_xproj.evaluate.metrics import evaluate_pairs
    from spacy_xproj.projection.component import project_pairs
    from spacy_xproj.types import Pair

    pairs = read_europarl(data_dir() / "europarl_ner", "en", "de")
    half = len(pairs) // 2
    folds = [(list(range(0, half)), list(range(half, len(pairs)))), (list(range(half, len(pairs))), list(range(0, half)))]
    methods = ["heuristic", "heuristic-nothr", "candidates"]
    projectors = {m: registry.resolve({"p": METHODS[m]})["p"] for m in methods}
    res: Dict[str, Any] = {"machine": _machine(), "command": " ".join(sys.argv), "pairs": len(pairs), "rows": []}
    sizes = [32] + ([1] if single else [])
    for size in sizes:
        for init in ("none", "other half"):
            alignments: List[Alignment] = [Alignment([])] * len(pairs)
            secs = 0.0
            for test_idx, train_idx in folds:
                al = create_eflomal_aligner()
                t0 = time.perf_counter()
                if init != "none":
                    al.initialize([(pairs[i].src.words, pairs[i].tgt.words) for i in train_idx])
                got, _ = _batched(al, [pairs[i].src.words for i in test_idx], [pairs[i].tgt.words for i in test_idx], size)
                secs += time.perf_counter() - t0
                for i, a in zip(test_idx, got):
                    alignments[i] = a
            aligned = [Pair(p.id, p.src, p.tgt, a, {}) for p, a in zip(pairs, alignments)]
            for m in methods:
                o = evaluate_pairs(project_pairs(aligned, projectors[m]), pairs)
                row = {"batch": size, "init": init, "method": m, "f1": o["overall"]["f1"],
                       "p": o["overall"]["precision"], "r": o["overall"]["recall"], "align_s": round(secs, 1)}
                res["rows"].append(row)
                print(json.dumps(row), flush=True)
    (out / "europarl_heldout.json").write_text(json.dumps(res, indent=2) + "\n", encoding="utf8")
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=["mafand", "europarl"])
    ap.add_argument("--out", type=Path, default=Path("demo"))
    ap.add_argument("--single", type=int, default=200, help="mafand: pairs aligned one at a time")
    ap.add_argument("--no-single", action="store_true", help="europarl: skip the one-pair-at-a-time rows")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.what == "mafand":
        mafand(args.out, args.single)
    else:
        europarl(args.out, not args.no_single)


if __name__ == "__main__":
    main()

"""Sweep projection settings on Europarl-NER (de and es together) over several eflomal seeds.

Directional eflomal links are computed once per (language, seed, aligner options) and cached under
``$XPROJ_SWEEP_CACHE`` (default /tmp/xproj-sweep); every projector variant is then evaluated on the
same alignments. Prints mean and spread of F1 per variant and language.

    python bench/europarl_sweep.py --langs de,es --seeds 0,1,2
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

import spacy_xproj  # noqa: F401
from spacy_xproj.align.eflomal_backend import create_eflomal_aligner, symmetrize_links
from spacy_xproj.corpus.europarl import read_europarl
from spacy_xproj.evaluate.metrics import evaluate_pairs
from spacy_xproj.projection.component import project_pairs
from spacy_xproj.settings import data_dir
from spacy_xproj.types import Alignment, Pair

CACHE = Path(os.environ.get("XPROJ_SWEEP_CACHE", "/tmp/xproj-sweep"))


def directions(lang: str, pairs, seed: int, prefix_len: int = 5) -> Tuple[list, list]:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{lang}-s{seed}-p{prefix_len}.json"
    if path.exists():
        d = json.loads(path.read_text())
        return d["fwd"], d["rev"]
    al = create_eflomal_aligner(seed=seed, prefix_len=prefix_len)
    fwd, rev = al.align_directions([p.src.words for p in pairs], [p.tgt.words for p in pairs])
    path.write_text(json.dumps({"fwd": fwd, "rev": rev}))
    return fwd, rev


def vote_alignment(runs, min_vote=0.0, binary=False, power=1.0) -> Alignment:
    from collections import Counter
    votes = Counter(tuple(l) for run in runs for l in run)
    keep = {l: c / len(runs) for l, c in votes.items() if c / len(runs) > min_vote}
    links = sorted(keep)
    return Alignment(links) if binary else Alignment(links, [keep[l] ** power for l in links])


def with_alignments(pairs, aligns) -> List[Pair]:
    return [Pair(p.id, p.src, p.tgt, a, {}) for p, a in zip(pairs, aligns)]


def evaluate(pairs, aligned, projector) -> Dict[str, float]:
    projected = project_pairs(aligned, projector)
    res = evaluate_pairs(projected, pairs)
    o = res["overall"]
    return {"f1": o["f1"], "p": o["precision"], "r": o["recall"]}


def main() -> None:
    from spacy.util import registry

    ap = argparse.ArgumentParser()
    ap.add_argument("--langs", default="de,es")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--variants", required=True, help="JSON file: {name: {aligner: ..., projector: {...}}}")
    args = ap.parse_args()
    variants = json.loads(Path(args.variants).read_text())
    seeds = [int(s) for s in args.seeds.split(",")]
    results: Dict[str, Dict[str, List[float]]] = {}
    for lang in args.langs.split(","):
        pairs = read_europarl(data_dir() / "europarl_ner", "en", lang)
        for seed in seeds:
            fwd, rev = directions(lang, pairs, seed)
            for name, v in variants.items():
                sym = v.get("symmetrize", "intersection")
                if "ensemble" in v:
                    runs = [directions(lang, pairs, 1000 * seed + k) for k in range(v["ensemble"])]
                    aligns = [vote_alignment([r[0][n] for r in runs] + [r[1][n] for r in runs],
                                             v.get("min_vote", 0.0), v.get("binary", False), v.get("power", 1.0))
                              for n in range(len(pairs))]
                else:
                    aligns = [Alignment(symmetrize_links(f, r, sym, len(p.src.words), len(p.tgt.words)))
                              for f, r, p in zip(fwd, rev, pairs)]
                projector = registry.resolve({"p": v["projector"]})["p"]
                start = time.perf_counter()
                m = evaluate(pairs, with_alignments(pairs, aligns), projector)
                results.setdefault(name, {}).setdefault(lang, []).append(m["f1"])
                print(f"{lang} seed={seed} {name:<30} F1 {m['f1']:.4f} P {m['p']:.4f} R {m['r']:.4f} "
                      f"({time.perf_counter() - start:.1f}s)", flush=True)
    print()
    for name, per in results.items():
        cells = [f"{lang} {100 * statistics.mean(v):.1f}±{100 * (max(v) - min(v)) / 2:.1f}" for lang, v in per.items()]
        print(f"{name:<30} " + "  ".join(cells))


if __name__ == "__main__":
    main()

"""Projection experiments on Europarl-NER (de and es) over cached default alignments.

The default aligner (``spacy-xproj.Eflomal.v2``: 4 seeded eflomal runs x 2 directions, links kept
with > 50% of the votes, scored by their vote share) is rebuilt from directional links cached by
``bench/europarl_sweep.py`` (``$XPROJ_SWEEP_CACHE``, default /tmp/xproj-sweep; missing runs are
aligned and cached), so scorers can be compared and fitted without re-aligning.

    python bench/fusion_study.py errors              # error classes, coverage, seeds 0,1,2
    python bench/fusion_study.py ship                # fit the shipped LearnedScore.v1 weights on de+es
    python bench/fusion_study.py lolo                # learned scorer: unfitted / LOLO / shipped rows
"""
from __future__ import annotations

import os
import sys
import statistics
from typing import Dict, List

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from europarl_sweep import directions  # noqa: E402

import spacy_xproj  # noqa: F401,E402
from spacy_xproj.align.eflomal_backend import vote_links  # noqa: E402
from spacy_xproj.corpus.europarl import read_europarl  # noqa: E402
from spacy_xproj.evaluate.metrics import evaluate_pairs  # noqa: E402
from spacy_xproj.projection.scores import RUNS_KEY  # noqa: E402
from spacy_xproj.projection.component import project_pairs  # noqa: E402
from spacy_xproj.settings import data_dir  # noqa: E402
from spacy_xproj.types import Pair  # noqa: E402

LANGS = ("de", "es")
SEEDS = (0, 1, 2)


def default_aligned(lang: str, seed: int, n_runs: int = 4, min_vote: float = float(os.environ.get("MIN_VOTE", "0.5"))) -> List[Pair]:
    """The pairs of ``lang`` with ``Eflomal.v2(seed=seed)``'s alignment (run k uses seed*1000+k)."""
    pairs = read_europarl(data_dir() / "europarl_ner", "en", lang)
    runs = [directions(lang, pairs, seed if k == 0 else seed * 1000 + k) for k in range(n_runs)]
    voters = [r[0] for r in runs] + [r[1] for r in runs]
    # Eflomal.v2 orders the voters fwd0, rev0, fwd1, ...; vote shares do not depend on the order.
    # The directional runs ride along in the pair meta, as Eflomal.v2 writes them (block evidence).
    return [Pair(p.id, p.src, p.tgt, vote_links([v[n] for v in voters], min_vote),
                 {RUNS_KEY: [[r[0][n], r[1][n]] for r in runs]})
            for n, p in enumerate(pairs)]


_CACHE: Dict[tuple, List[Pair]] = {}


def aligned(lang: str, seed: int) -> List[Pair]:
    if (lang, seed) not in _CACHE:
        _CACHE[(lang, seed)] = default_aligned(lang, seed)
    return _CACHE[(lang, seed)]


def score(projector, lang: str, seed: int) -> Dict[str, float]:
    gold = aligned(lang, seed)
    res = evaluate_pairs(project_pairs(gold, projector), gold)
    o = res["overall"]
    return {"f1": o["f1"], "p": o["precision"], "r": o["recall"], "rate": res["projection_rate"]}


def mean_f1(projector, langs=LANGS, seeds=SEEDS) -> Dict[str, str]:
    out = {}
    for lang in langs:
        f = [score(projector, lang, s)["f1"] for s in seeds]
        out[lang] = f"{100 * statistics.mean(f):.1f}±{100 * (max(f) - min(f)) / 2:.1f}"
    return out


def coverage_projector():
    from spacy.util import registry
    from spacy_xproj.cli.europarl import METHODS
    return registry.resolve({"p": METHODS["coverage"]})["p"]


def errors_main() -> None:
    """Error classes of the default (coverage) and the learned score (shipped weights), rounded
    means over seeds 0,1,2."""
    from spacy_xproj.projection.diagnose import classify_errors, format_errors
    from spacy_xproj.projection.learned import load_default_model
    tables = {}
    for (lang, name) in [(lang, name) for lang in LANGS for name in ("coverage", "learned")]:
        proj = coverage_projector() if name == "coverage" else learned_projector(load_default_model())
        tot: Dict[str, Dict[str, float]] = {}
        for seed in SEEDS:
            gold = aligned(lang, seed)
            t = classify_errors(gold, project_pairs(gold, proj))
            for kind, counts in t.items():
                for c, n in counts.items():
                    tot.setdefault(kind, {}).setdefault(c, 0)
                    tot[kind][c] += n / len(SEEDS)
        tables[f"{lang} {name}"] = {k: {c: round(v) for c, v in d.items()} for k, d in tot.items()}
    print(format_errors(tables))




def examples_main() -> None:
    """Errors of seed 0, printed with the words, for reading."""
    proj = coverage_projector()
    for lang in LANGS:
        gold = aligned(lang, 0)
        pred = project_pairs(gold, proj)
        for g, p in zip(gold, pred):
            gs = {(e.start, e.end, e.label) for e in g.tgt.ents}
            ps = {(e.start, e.end, e.label) for e in p.tgt.ents}
            if gs == ps:
                continue
            w = g.tgt.words
            src = [(" ".join(g.src.words[e.start:e.end]), e.label) for e in g.src.ents]
            print(f"{lang} {g.id} SRC {src}")
            print("   miss", [(" ".join(w[s:e]), l) for s, e, l in sorted(gs - ps)],
                  " FP", [(" ".join(w[s:e]), l) for s, e, l in sorted(ps - gs)])


def examples(lang: str, seed: int):
    from spacy_xproj.projection.component import projection_input_from_pair
    return [(projection_input_from_pair(p), list(p.tgt.ents)) for p in aligned(lang, seed)]


def learned_projector(model):
    from spacy.util import registry
    from spacy_xproj.cli.europarl import METHODS
    from spacy_xproj.cli.config import registered_default
    from spacy_xproj.projection.learned import LearnedScorer, make_learned_score
    proj = registry.resolve({"p": METHODS["coverage"]})["p"]
    proj.scorer = LearnedScorer(model, registered_default(make_learned_score, "min_similarity"))
    return proj


def fit(langs, seeds, l2=1.0):
    from spacy_xproj.projection.learned import fit_fusion
    exs = [ex for lang in langs for seed in seeds for ex in examples(lang, seed)]
    return fit_fusion(exs, l2=l2, meta={"fitted_on": f"Europarl-NER en->{'+'.join(langs)}, "
                                                  f"Eflomal.v2 seeds {','.join(map(str, seeds))}"})


def row(name: str, per_seed) -> str:
    f = [m["f1"] for m in per_seed]
    mean = lambda k: 100 * statistics.mean(m[k] for m in per_seed)  # noqa: E731
    return (f"| {name} | {100 * statistics.mean(f):.1f} ± {100 * (max(f) - min(f)) / 2:.1f} | {mean('p'):.1f} "
            f"| {mean('r'):.1f} | {statistics.mean(m['rate'] for m in per_seed):.3f} |")


def lolo_main() -> None:
    """Unfitted default, leave-one-language-out and shipped rows, means over seeds 0,1,2.

    Leave-one-language-out: for each seed, fit on the other language's pairs aligned with that seed.
    """
    from spacy_xproj.projection.learned import LearnedScorer, load_default_model
    print("| scorer | target | F1 | P | R | proj. rate |")
    print("|---|---|---:|---:|---:|---:|")
    for lang in LANGS:
        print(row(f"coverage (no fitting) | {lang}", [score(coverage_projector(), lang, s) for s in SEEDS]), flush=True)
        other = [x for x in LANGS if x != lang][0]
        print(row(f"learned, fitted on {other} only | {lang}",
                  [score(learned_projector(fit([other], [s])), lang, s) for s in SEEDS]), flush=True)
        print(row(f"learned, shipped weights (de+es) | {lang}",
                  [score(learned_projector(load_default_model()), lang, s) for s in SEEDS]), flush=True)


def ship_main() -> None:
    """Fit the shipped weights on de+es (seeds 0,1,2 pooled) and write them into the package."""
    from spacy_xproj.projection.learned import DEFAULT_WEIGHTS_PATH
    model = fit(LANGS, SEEDS)
    model.to_disk(DEFAULT_WEIGHTS_PATH)
    print(f"wrote {DEFAULT_WEIGHTS_PATH}: {model.meta}")


if __name__ == "__main__":
    {"errors": errors_main, "examples": examples_main, "lolo": lolo_main, "ship": ship_main}[sys.argv[1]]()

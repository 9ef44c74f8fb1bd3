"""Variants of the learned projection score tried on Europarl-NER de and es (cached alignments).

Each variant prints F1 (mean ± half range over eflomal seeds 0,1,2) fitted on one language and
tested on the other (``de->es``, ``es->de``) and fitted on both (``both de``, ``both es``; tested
on the pairs it was fitted on). Features are computed once per (language, seed) and kept in
memory; alignments come from bench/fusion_study.py's cache.

    XPROJ_DATA_DIR=../shared/data python bench/fusion_variants.py logit unlinked caps clogit pairwise weak
    XPROJ_DATA_DIR=../shared/data python bench/fusion_variants.py oracle extend
"""
from __future__ import annotations

import copy
import statistics
import sys
from typing import Callable, Dict, List, Tuple

import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import fusion_study as fs  # noqa: E402

from spacy_xproj.evaluate.metrics import evaluate_pairs  # noqa: E402
from spacy_xproj.projection.candidates import make_ngram_candidates  # noqa: E402
from spacy_xproj.projection.component import projection_input_from_pair  # noqa: E402
from spacy_xproj.projection.learned import (  # noqa: E402
    FEATURES, candidate_features, evidence_parts, fit_logistic, gold_targets,
)
from spacy_xproj.projection.matching import MatchingProblem  # noqa: E402
from spacy_xproj.projection.learned import FREE_INSIDE, make_learned_score  # noqa: E402
from spacy_xproj.cli.config import registered_default  # noqa: E402
from spacy_xproj.projection.scores import alignment_weights, coverage_scores  # noqa: E402
from spacy_xproj.projection.solvers import make_greedy_solver  # noqa: E402
from spacy_xproj.types import Entity  # noqa: E402

LABELS = ("PER", "ORG", "LOC", "MISC")
UNLINKED = ("free_share", "foreign_share", "first_free", "last_free", "prev_free", "next_free",
            "same_first_case", "same_last_case")
CAPS = ("first_cap", "last_cap", "prev_cap", "next_cap", "cap_share", "shorter_next_cap",
        "shorter_prev_cap") + tuple(f"label_{x}" for x in LABELS)
WEAK = ("coverage_weak", "prev_weak", "next_weak")
EXTRA = UNLINKED + CAPS + WEAK
ALL = tuple(FEATURES) + EXTRA
IDX = {n: k for k, n in enumerate(ALL)}
SOLVE = make_greedy_solver()
MIN_SIM = registered_default(make_learned_score, "min_similarity")


def extra_features(inp, cands, weak_alignment) -> np.ndarray:
    """The features beyond the shipped 14, shape (P, T, len(EXTRA))."""
    P, T = len(inp.src_ents), len(cands)
    X = np.zeros((P, T, len(EXTRA)))
    E = {n: k for k, n in enumerate(EXTRA)}
    A, S = evidence_parts(inp, MIN_SIM)
    M = np.maximum(A, S)
    n_src, n_tgt = M.shape
    c = np.asarray(cands)
    ts, te = c[:, 0], c[:, 1]
    tlen = (te - ts).astype(float)
    has_prev, has_next = ts > 0, te < n_tgt
    free = (M.max(axis=0) <= 0).astype(float)
    cum = lambda v: np.concatenate(([0.0], np.cumsum(v)))  # noqa: E731
    fc = cum(free)
    X[:, :, E["free_share"]] = (fc[te] - fc[ts]) / tlen
    X[:, :, E["first_free"]] = free[ts]
    X[:, :, E["last_free"]] = free[te - 1]
    X[:, :, E["prev_free"]] = np.where(has_prev, free[np.maximum(ts - 1, 0)], 0)
    X[:, :, E["next_free"]] = np.where(has_next, free[np.minimum(te, n_tgt - 1)], 0)
    upper = np.array([w[:1].isupper() for w in inp.tgt_words], dtype=float)
    prev_cap = np.where(ts > 1, upper[np.maximum(ts - 1, 0)], 0)  # not the sentence's first word
    next_cap = np.where(has_next, upper[np.minimum(te, n_tgt - 1)], 0)
    uc = cum(upper)
    X[:, :, E["first_cap"]] = upper[ts]
    X[:, :, E["last_cap"]] = upper[te - 1]
    X[:, :, E["prev_cap"]] = prev_cap
    X[:, :, E["next_cap"]] = next_cap
    X[:, :, E["cap_share"]] = (uc[te] - uc[ts]) / tlen
    W = alignment_weights(weak_alignment, n_src, n_tgt, True)
    X[:, :, E["coverage_weak"]] = coverage_scores([e.span for e in inp.src_ents], cands, W, FREE_INSIDE)
    for k, ent in enumerate(inp.src_ents):
        s, e = ent.start, ent.end
        linked = (M[s:e].max(axis=0) > 0).astype(float)
        foreign = ((linked == 0) & (free == 0)).astype(float)
        gc = cum(foreign)
        X[k, :, E["foreign_share"]] = (gc[te] - gc[ts]) / tlen
        X[k, :, E["same_first_case"]] = upper[ts] == inp.src_words[s][:1].isupper()
        X[k, :, E["same_last_case"]] = upper[te - 1] == inp.src_words[e - 1][:1].isupper()
        shorter = (tlen < e - s).astype(float)
        X[k, :, E["shorter_next_cap"]] = shorter * next_cap
        X[k, :, E["shorter_prev_cap"]] = shorter * prev_cap
        if ent.label in LABELS:
            X[k, :, E[f"label_{ent.label}"]] = 1.0
        weak = W[s:e].max(axis=0) > 0
        X[k, :, E["prev_weak"]] = np.where(has_prev, weak[np.maximum(ts - 1, 0)], 0)
        X[k, :, E["next_weak"]] = np.where(has_next, weak[np.minimum(te, n_tgt - 1)], 0)
    return X


_DATA: Dict[Tuple[str, int], list] = {}


def data(key):
    """Per pair: (candidates, features (P, T, len(ALL)), gold 0/1 (P, T)) or None."""
    if key not in _DATA:
        lang, seed = key
        extractor = make_ngram_candidates()
        weak = fs.default_aligned(lang, seed, min_vote=0.0)
        rows = []
        for p, w in zip(fs.aligned(lang, seed), weak):
            inp = projection_input_from_pair(p)
            if not inp.src_ents:
                rows.append(None)
                continue
            cands = extractor(inp)
            X = np.concatenate([candidate_features(inp, cands, MIN_SIM), extra_features(inp, cands, w.alignment)], 2)
            y = gold_targets(inp, list(p.tgt.ents), np.maximum(X[:, :, 0], X[:, :, IDX["coverage_weak"]]), cands)
            rows.append((cands, X.astype(np.float32), y))
        _DATA[key] = rows
    return _DATA[key]


def project(key, score: Callable[[np.ndarray], np.ndarray], gold_scores: bool = False) -> float:
    """F1 of greedy matching with ``score(features)`` (``gold_scores``: ``score(gold targets)``)."""
    gold = fs.aligned(*key)
    preds = []
    for p, row in zip(gold, data(key)):
        q = copy.copy(p)
        q.tgt = copy.copy(p.tgt)
        q.tgt.ents = []
        if row is not None:
            cands, X, y = row
            chosen = SOLVE(MatchingProblem(score(y if gold_scores else X), cands, "<=", 1))
            q.tgt.ents = sorted((Entity(cands[t][0], cands[t][1], p.src.ents[e].label) for e, t in chosen),
                                key=lambda e: e.start)
        preds.append(q)
    return evaluate_pairs(preds, gold)["overall"]["f1"]


# ---------------------------------------------------------------------------- models


def rows_of(keys, names, gate):
    cols = [IDX[n] for n in names]
    Xs, ys, gs = [], [], []
    g = 0
    for key in keys:
        for row in data(key):
            if row is None:
                continue
            _, X, y = row
            for e in range(X.shape[0]):
                keep = X[e][:, gate].max(-1) > 0
                if keep.any():
                    Xs.append(X[e, keep][:, cols])
                    ys.append(y[e, keep])
                    gs.append(np.full(int(keep.sum()), g))
                    g += 1
    return np.concatenate(Xs).astype(float), np.concatenate(ys), np.concatenate(gs), g


def pairwise(Z: np.ndarray) -> np.ndarray:
    iu = np.triu_indices(Z.shape[-1], 1)
    return np.concatenate([Z, (Z[..., :, None] * Z[..., None, :])[..., iu[0], iu[1]]], -1)


def logit(names, l2=1.0, thr=0.15, gate=(0,), expand=lambda Z: Z):
    cols = [IDX[n] for n in names]
    gate = list(gate)

    def fit(keys):
        X, y, _, _ = rows_of(keys, names, gate)
        w, b, m, s = fit_logistic(expand(X), y, l2)

        def score(X3):
            Z = expand(X3[:, :, cols].astype(float))
            p = 1 / (1 + np.exp(-np.clip(((Z - m) / s) @ w + b, -30, 30)))
            p = np.where(X3[:, :, gate].max(-1) > 0, p, 0)
            return np.where(p >= thr, p, 0)
        return score
    return fit


def clogit(names, l2=1.0, thr=0.3):
    """Conditional logit: a softmax over each entity's candidates and 'no projection'."""
    from scipy.optimize import minimize

    cols = [IDX[n] for n in names]

    def fit(keys):
        X, y, gid, G = rows_of(keys, names, [0])
        m, s = X.mean(0), np.where(X.std(0) > 1e-9, X.std(0), 1.0)
        Z = (X - m) / s
        d = Z.shape[1]
        pos = np.bincount(gid, weights=y, minlength=G) > 0
        xt = (Z * y[:, None]).sum(0)

        def fg(theta):
            w, b0 = theta[:d], theta[d]
            u = Z @ w
            top = np.full(G, -np.inf)
            np.maximum.at(top, gid, u)
            top = np.maximum(top, b0)
            eu, en = np.exp(u - top[gid]), np.exp(b0 - top)
            den = np.bincount(gid, weights=eu, minlength=G) + en
            f = (np.log(den) + top).sum() - (u * y).sum() - b0 * (~pos).sum() + 0.5 * l2 * w @ w
            return f, np.r_[Z.T @ (eu / den[gid]) - xt + l2 * w, (en / den).sum() - (~pos).sum()]

        theta = minimize(fg, np.zeros(d + 1), jac=True, method="L-BFGS-B").x
        w, b0 = theta[:d], theta[d]

        def score(X3):
            u = ((X3[:, :, cols].astype(float) - m) / s) @ w
            ok = X3[:, :, 0] > 0
            u = np.where(ok, u, -np.inf)
            top = np.maximum(u.max(1, keepdims=True), b0)
            eu = np.where(ok, np.exp(u - top), 0)
            p = eu / (eu.sum(1, keepdims=True) + np.exp(b0 - top))
            return np.where(p >= thr, p, 0)
        return score
    return fit


def report(name: str, fit) -> None:
    f = lambda v: f"{100 * statistics.mean(v):.1f}±{100 * (max(v) - min(v)) / 2:.1f}"  # noqa: E731
    out = {}
    for train, test in (("de", "es"), ("es", "de")):
        out[f"{train}->{test}"] = f([project((test, s), fit([(train, s)])) for s in fs.SEEDS])
    both: Dict[str, List[float]] = {lang: [] for lang in fs.LANGS}
    for s in fs.SEEDS:
        score = fit([(lang, s) for lang in fs.LANGS])
        for lang in fs.LANGS:
            both[lang].append(project((lang, s), score))
    out.update({f"both {lang}": f(v) for lang, v in both.items()})
    print(f"{name:<10} {out}", flush=True)


BASE = tuple(FEATURES)
VARIANTS = {
    "logit": lambda: report("logit", logit(BASE)),
    "unlinked": lambda: report("unlinked", logit(BASE + UNLINKED)),
    "caps": lambda: report("caps", logit(BASE + CAPS, thr=0.5)),
    "clogit": lambda: report("clogit", clogit(BASE)),
    "pairwise": lambda: report("pairwise", logit(BASE, l2=10.0, expand=pairwise)),
    "weak": lambda: report("weak", logit(BASE + WEAK)),
    "weakcands": lambda: report("weakcands", logit(BASE + WEAK, gate=(0, IDX["coverage_weak"]))),
}


def oracle() -> None:
    """F1 when every entity gets its gold span whenever that is among the candidates with evidence."""
    for lang in fs.LANGS:
        f1 = project((lang, 0), lambda y: y.astype(float), gold_scores=True)
        print(f"oracle {lang} (seed 0): F1 {100 * f1:.1f}", flush=True)


def extend() -> None:
    """Coverage, then grow each projection over adjacent capitalised words without evidence while
    it is shorter than its source entity."""
    from spacy_xproj.projection.scores import evidence_matrix, make_coverage_score

    base = fs.coverage_projector()

    def projector(inp):
        out = base(inp)
        if not out:
            return out
        M = evidence_matrix(inp, *(registered_default(make_coverage_score, k) for k in
                                   ("alignment_weight", "surface_weight", "min_similarity", "link_scores")))
        linked = M.max(axis=0) > 0
        taken = {k for e, _ in out for k in range(e.start, e.end)}
        W = inp.tgt_words
        res = []
        for ent, sc in out:
            s, e = ent.start, ent.end
            src = max((p for p in inp.src_ents if p.label == ent.label), key=lambda p: M[p.start:p.end, s:e].sum())
            need = (src.end - src.start) - (e - s)
            while need > 0:
                if e < len(W) and W[e][:1].isupper() and not linked[e] and e not in taken:
                    taken.add(e)
                    e += 1
                elif s - 1 > 0 and W[s - 1][:1].isupper() and not linked[s - 1] and s - 1 not in taken:
                    taken.add(s - 1)
                    s -= 1
                else:
                    break
                need -= 1
            res.append((Entity(s, e, ent.label), sc))
        return sorted(res, key=lambda x: x[0].start)

    print("extend", fs.mean_f1(projector), flush=True)


VARIANTS["oracle"] = oracle
VARIANTS["extend"] = extend


if __name__ == "__main__":
    for name in sys.argv[1:]:
        VARIANTS[name]()

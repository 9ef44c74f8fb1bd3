"""Learned fusion: a small logistic model over features of (source entity, target candidate) pairs.

``spacy-xproj.LearnedScore.v1`` scores a candidate ``t`` for a source entity ``p`` with
``sigmoid(w . f(p, t) + b)``, where ``f`` is a handful of features that hold for any language pair
(:data:`FEATURES`): the soft-link coverage of the span (alignment link weights and surface
similarity together, each alone, and each direction), how far the candidate is from the entity's
best coverage, the length ratio, whether the span's border words are function words, whether its
outside neighbours are linked to the entity, and its relative position. Capitalisation and the
entity label are left out on purpose: they mean different things in different languages (German
capitalises every noun) and, measured leave-one-language-out, they did not transfer.
Candidates without any evidence (coverage 0) score 0, and scores under ``threshold`` are dropped,
so the solver still decides which candidates are taken.

The weights are fitted on gold pairs (source entities and the gold target entities of the same
sentence pair) by :func:`fit_fusion`: an L2-regularised logistic regression (plain numpy, Newton's
method) over standardised features. The package ships weights fitted on Europarl-NER en->de and
en->es together (``spacy_xproj/projection/fusion_default.json``); ``xproj fit-fusion`` or the
projector component's ``initialize`` fit weights for another language from a few hundred gold
pairs.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import ConfigError, InputError
from ..registry import scorers
from ..types import Entity
from .matching import ProjectionInput, Span
from .scores import alignment_weights, coverage_scores

DEFAULT_THRESHOLD = 0.15  # a candidate scoring below this probability is not projected
DEFAULT_WEIGHTS_PATH = Path(__file__).with_name("fusion_default.json")
FEATURES = (
    "coverage",  # soft-link coverage over max(alignment, surface) (CoverageScore.v1)
    "coverage_align",  # the same over alignment links only
    "coverage_surface",  # the same over surface similarity only
    "src_covered",  # share of the entity's words with evidence inside the candidate
    "tgt_covered",  # share of the candidate's words with evidence from the entity
    "gap_to_best",  # coverage minus the entity's best coverage over all candidates (<= 0)
    "is_best",  # 1 if the candidate has the entity's best coverage
    "log_length_ratio",  # log(|t| / |p|)
    "abs_log_length_ratio",  # |log(|t| / |p|)|
    "first_function",  # the first word is a function word (short lowercase word or punctuation)
    "last_function",  # the same for the last word
    "prev_linked",  # the word before the candidate has evidence with the entity
    "next_linked",  # the word after the candidate has evidence with the entity
    "position_gap",  # |relative middle of p - relative middle of t|
)
F = {name: k for k, name in enumerate(FEATURES)}


# The coverage features are computed as CoverageScore.v1 computes them (unlinked words inside a span
# whose borders have evidence are free). This is part of the features' definition, fixed for every
# fitted model (the shipped weights were fitted with it), not a setting.
FREE_INSIDE = True


def _is_function(word: str) -> bool:
    w = word.strip()
    if not w or not any(c.isalnum() for c in w):
        return True
    if w[0] in "'’":
        return True
    return w.islower() and len(w) <= 4


@dataclass
class FusionModel:
    """Logistic-regression weights over :data:`FEATURES` (standardised with ``mean``/``scale``)."""

    weights: np.ndarray
    bias: float
    mean: np.ndarray
    scale: np.ndarray
    threshold: float = DEFAULT_THRESHOLD
    meta: Dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.weights = np.asarray(self.weights, dtype=np.float64)
        self.mean = np.asarray(self.mean, dtype=np.float64)
        self.scale = np.asarray(self.scale, dtype=np.float64)
        n = len(FEATURES)
        for name in ("weights", "mean", "scale"):
            if getattr(self, name).shape != (n,):
                raise ConfigError(
                    f"fusion model: '{name}' has {getattr(self, name).shape} values, expected {n} "
                    f"(one per feature: {', '.join(FEATURES)}); refit it with `xproj fit-fusion`"
                )
        if not 0.0 <= self.threshold < 1.0:
            raise ConfigError(f"fusion model: threshold must be in [0, 1), got {self.threshold}")

    def predict(self, X: np.ndarray) -> np.ndarray:
        z = ((X - self.mean) / self.scale) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def to_dict(self) -> Dict[str, Any]:
        return {
            "features": list(FEATURES),
            "weights": [round(float(x), 6) for x in self.weights],
            "bias": round(float(self.bias), 6),
            "mean": [round(float(x), 6) for x in self.mean],
            "scale": [round(float(x), 6) for x in self.scale],
            "threshold": self.threshold,
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, data: Dict[str, Any], source: str = "fusion model") -> "FusionModel":
        missing = [k for k in ("features", "weights", "bias", "mean", "scale") if k not in data]
        if missing:
            raise InputError(f"{source}: missing field(s) {missing}")
        if list(data["features"]) != list(FEATURES):
            raise InputError(
                f"{source}: its features {data['features']} are not this version's {list(FEATURES)}; "
                "refit it with `xproj fit-fusion`"
            )
        return cls(data["weights"], float(data["bias"]), data["mean"], data["scale"],
                   float(data.get("threshold", DEFAULT_THRESHOLD)), dict(data.get("meta", {})))

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_dict(), sort_keys=True).encode("utf8")

    @classmethod
    def from_bytes(cls, data: bytes) -> "FusionModel":
        return cls.from_dict(json.loads(data.decode("utf8")))

    def to_disk(self, path: Path) -> None:
        from ..atomic import atomic_write_text

        atomic_write_text(Path(path), json.dumps(self.to_dict(), indent=1, sort_keys=True) + "\n")

    @classmethod
    def from_disk(cls, path: Path) -> "FusionModel":
        path = Path(path)
        if not path.exists():
            raise InputError("fusion weights file not found (fit one with `xproj fit-fusion`)", path)
        try:
            data = json.loads(path.read_text(encoding="utf8"))
        except json.JSONDecodeError as err:
            raise InputError(f"not valid JSON: {err}", path) from None
        return cls.from_dict(data, str(path))


def load_default_model() -> FusionModel:
    """The shipped weights (fitted on Europarl-NER en->de and en->es together)."""
    return FusionModel.from_disk(DEFAULT_WEIGHTS_PATH)


# --------------------------------------------------------------------------------------------
# features


def evidence_parts(inp: ProjectionInput, min_similarity: float) -> Tuple[np.ndarray, np.ndarray]:
    """``(A, S)``: alignment link weights and thresholded surface similarity, ``(n_src, n_tgt)``."""
    from .surface import similarity_matrix

    n_src, n_tgt = len(inp.src_words), len(inp.tgt_words)
    A = alignment_weights(inp.alignment, n_src, n_tgt, True)
    S = similarity_matrix(inp.src_words, inp.tgt_words)
    return A, np.where(S >= min_similarity, S, 0.0)


def candidate_features(inp: ProjectionInput, candidates: Sequence[Span], min_similarity: float) -> np.ndarray:
    """Features of every (source entity, candidate) pair: shape ``(P, T, len(FEATURES))``."""
    P, T = len(inp.src_ents), len(candidates)
    X = np.zeros((P, T, len(FEATURES)), dtype=np.float64)
    if not P or not T:
        return X
    A, S = evidence_parts(inp, min_similarity)
    M = np.maximum(A, S)
    src_spans = [e.span for e in inp.src_ents]
    cand = np.asarray(candidates, dtype=np.int64).reshape(-1, 2)
    ts, te = cand[:, 0], cand[:, 1]
    tlen = (te - ts).astype(np.float64)
    n_src, n_tgt = M.shape
    cov = coverage_scores(src_spans, candidates, M, FREE_INSIDE)
    X[:, :, F["coverage"]] = cov
    X[:, :, F["coverage_align"]] = coverage_scores(src_spans, candidates, A, FREE_INSIDE)
    X[:, :, F["coverage_surface"]] = coverage_scores(src_spans, candidates, S, FREE_INSIDE)
    best = cov.max(axis=1, keepdims=True)
    X[:, :, F["gap_to_best"]] = cov - best
    X[:, :, F["is_best"]] = (cov >= best - 1e-12) & (best > 0)
    func = np.array([_is_function(w) for w in inp.tgt_words], dtype=np.float64)
    X[:, :, F["first_function"]] = func[ts]
    X[:, :, F["last_function"]] = func[te - 1]
    has_prev = ts > 0
    has_next = te < n_tgt
    t_mid = (ts + te) / 2.0 / max(n_tgt, 1)
    for k, (s, e) in enumerate(src_spans):
        linked = (M[s:e].max(axis=0) > 0).astype(np.float64)  # per target word
        cum = np.concatenate(([0.0], np.cumsum(linked)))
        X[k, :, F["tgt_covered"]] = (cum[te] - cum[ts]) / tlen
        covered_src = np.zeros(T)
        for i in range(s, e):
            row = np.concatenate(([0.0], np.cumsum(M[i] > 0)))
            covered_src += (row[te] - row[ts]) > 0
        X[k, :, F["src_covered"]] = covered_src / (e - s)
        ratio = np.log(tlen / (e - s))
        X[k, :, F["log_length_ratio"]] = ratio
        X[k, :, F["abs_log_length_ratio"]] = np.abs(ratio)
        X[k, :, F["prev_linked"]] = np.where(has_prev, linked[np.maximum(ts - 1, 0)], 0.0)
        X[k, :, F["next_linked"]] = np.where(has_next, linked[np.minimum(te, n_tgt - 1)], 0.0)
        X[k, :, F["position_gap"]] = np.abs((s + e) / 2.0 / max(n_src, 1) - t_mid)
    return X


# --------------------------------------------------------------------------------------------
# gold targets and fitting


def gold_targets(inp: ProjectionInput, gold: Sequence[Entity], coverage: np.ndarray,
                 candidates: Sequence[Span]) -> np.ndarray:
    """0/1 ``(P, T)``: the candidate that is the gold target entity of each source entity.

    Source and gold target entities of the same label are paired greedily by the coverage of the
    gold span (highest first; each used once); a source entity with no gold partner of its label
    that has some evidence gets no positive candidate (the model learns to leave it unprojected).
    """
    index = {tuple(c): k for k, c in enumerate(candidates)}
    y = np.zeros(coverage.shape, dtype=np.float64)
    options = []
    for g in gold:
        t = index.get((g.start, g.end))
        if t is None:
            continue
        for p, ent in enumerate(inp.src_ents):
            if ent.label == g.label and coverage[p, t] > 0:
                options.append((-coverage[p, t], p, t))
    used_p, used_t = set(), set()
    for _, p, t in sorted(options):
        if p in used_p or t in used_t:
            continue
        used_p.add(p)
        used_t.add(t)
        y[p, t] = 1.0
    return y


def training_rows(
    examples: Iterable[Tuple[ProjectionInput, Sequence[Entity]]],
    extractor: Any,
    min_similarity: float = 0.5,
) -> Tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` over every (source entity, candidate with evidence) of the examples."""
    Xs: List[np.ndarray] = []
    ys: List[np.ndarray] = []
    for inp, gold in examples:
        if not inp.src_ents or not inp.tgt_words:
            continue
        cands = list(extractor(inp))
        if not cands:
            continue
        X = candidate_features(inp, cands, min_similarity)
        y = gold_targets(inp, gold, X[:, :, F["coverage"]], cands)
        keep = X[:, :, F["coverage"]] > 0
        Xs.append(X[keep])
        ys.append(y[keep])
    if not Xs:
        return np.zeros((0, len(FEATURES))), np.zeros(0)
    return np.concatenate(Xs), np.concatenate(ys)


def fit_logistic(X: np.ndarray, y: np.ndarray, l2: float = 1.0, iterations: int = 50) -> Tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """L2-regularised logistic regression by Newton's method on standardised features:
    ``(weights, bias, mean, scale)``. ``l2`` is the penalty on the (standardised) weights, not on
    the bias."""
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    Z = np.hstack([(X - mean) / scale, np.ones((len(X), 1))])
    w = np.zeros(Z.shape[1])
    reg = np.full(Z.shape[1], float(l2))
    reg[-1] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(Z @ w, -30, 30)))
        grad = Z.T @ (p - y) + reg * w
        H = (Z * (p * (1 - p))[:, None]).T @ Z + np.diag(reg) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(H, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1]), mean, scale


def fit_fusion(
    examples: Iterable[Tuple[ProjectionInput, Sequence[Entity]]],
    extractor: Optional[Any] = None,
    l2: float = 1.0,
    threshold: float = DEFAULT_THRESHOLD,
    min_similarity: float = 0.5,
    meta: Optional[Dict[str, Any]] = None,
) -> FusionModel:
    """Fit a :class:`FusionModel` on ``(projection input with gold source entities, gold target
    entities)`` examples. Raises ``InputError`` when the examples hold no positive candidate."""
    if extractor is None:
        from .candidates import make_ngram_candidates

        extractor = make_ngram_candidates()
    X, y = training_rows(examples, extractor, min_similarity)
    if not len(y) or y.sum() == 0 or y.sum() == len(y):
        raise InputError(
            "fitting the fusion model needs gold pairs whose source entities have aligned or "
            f"alike-spelled target candidates, some matching a gold target entity; got {int(y.sum())} "
            f"positive of {len(y)} candidates"
        )
    w, b, mean, scale = fit_logistic(X, y, l2)
    info = {"n_candidates": int(len(y)), "n_positive": int(y.sum()), "l2": l2}
    info.update(meta or {})
    return FusionModel(w, b, mean, scale, threshold, info)


# --------------------------------------------------------------------------------------------
# scorer


class LearnedScorer:
    """The scorer of ``spacy-xproj.LearnedScore.v1``; ``model`` may be replaced (``initialize``)."""

    def __init__(self, model: FusionModel, min_similarity: float) -> None:
        self.model = model
        self.min_similarity = min_similarity

    def __call__(self, inp: ProjectionInput, candidates: Sequence[Span]) -> np.ndarray:
        P, T = len(inp.src_ents), len(candidates)
        if not P or not T:
            return np.zeros((P, T), dtype=np.float64)
        X = candidate_features(inp, candidates, self.min_similarity)
        prob = self.model.predict(X.reshape(P * T, -1)).reshape(P, T)
        prob = np.where(X[:, :, F["coverage"]] > 0, prob, 0.0)
        return np.where(prob >= self.model.threshold, prob, 0.0)

    def fit(self, examples: Iterable[Tuple[ProjectionInput, Sequence[Entity]]], extractor: Any = None,
            l2: float = 1.0, meta: Optional[Dict[str, Any]] = None) -> FusionModel:
        self.model = fit_fusion(examples, extractor, l2, self.model.threshold, self.min_similarity, meta)
        return self.model


@scorers("spacy-xproj.LearnedScore.v1")
def make_learned_score(
    weights: Optional[str] = None, threshold: Optional[float] = None, min_similarity: float = 0.5
) -> LearnedScorer:
    """Learned fusion of alignment, surface and span-shape features (see the module docstring).

    ``weights`` is a JSON file written by ``xproj fit-fusion`` (``null``: the shipped weights,
    fitted on Europarl-NER en->de and en->es together); ``threshold`` overrides the file's
    probability threshold. In an ``xproj_projector`` component, ``nlp.initialize`` with gold
    examples refits the weights and they are saved with the pipeline.
    """
    model = FusionModel.from_disk(Path(weights)) if weights else load_default_model()
    if threshold is not None:
        model.threshold = float(threshold)
        if not 0.0 <= model.threshold < 1.0:
            raise ConfigError(f"threshold must be in [0, 1), got {threshold}")
    return LearnedScorer(model, min_similarity)

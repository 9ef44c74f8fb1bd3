"""Benchmark inputs: Europarl-NER en→de with an alignment, and a seeded synthetic stress set."""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..projection.matching import ProjectionInput
from ..types import Alignment, Entity

logger = logging.getLogger(__name__)

ALIGNERS = ("eflomal", "diagonal")


def diagonal_alignment(n_src: int, n_tgt: int) -> Alignment:
    """A monotone alignment along the diagonal: source word ``i`` ↔ target word
    ``round(i * (n_tgt - 1) / (n_src - 1))``. The offline fallback when no aligner is available; it
    has the size and shape of a real alignment, not its quality (fine for timing, not for F1)."""
    if n_src == 0 or n_tgt == 0:
        return Alignment([])
    if n_src == 1:
        return Alignment([(0, 0)])
    scale = (n_tgt - 1) / (n_src - 1)
    return Alignment([(i, int(round(i * scale))) for i in range(n_src)])


def align_pairs(
    src: Sequence[Sequence[str]], tgt: Sequence[Sequence[str]], aligner: str = "eflomal"
) -> Tuple[List[Alignment], Dict[str, object]]:
    """Align sentence pairs with ``aligner``; returns the alignments and what was used.

    ``"eflomal"`` uses the registered ``spacy-xproj.Eflomal.v1`` (defaults: seeded, reproducible,
    the batch is its own corpus). When it is not available (not installed / not registered) this
    falls back to ``"diagonal"`` and says so in the returned info (and a warning).
    """
    if aligner not in ALIGNERS:
        raise ValueError(f"unknown aligner {aligner!r}; use one of {', '.join(ALIGNERS)}")
    info: Dict[str, object] = {"requested": aligner}
    if aligner == "eflomal":
        import spacy

        try:
            factory = spacy.registry.xproj_aligners.get("spacy-xproj.Eflomal.v1")
            model = factory()
            t0 = time.perf_counter()
            alignments = list(model([list(s) for s in src], [list(t) for t in tgt]))
            info.update(used="spacy-xproj.Eflomal.v1 (defaults)", seconds=round(time.perf_counter() - t0, 3))
            return alignments, info
        except Exception as err:  # registry miss, missing extra, binary failure
            logger.warning("eflomal alignment unavailable (%s); using the diagonal alignment", err)
            info["fallback_reason"] = f"{type(err).__name__}: {err}"
    t0 = time.perf_counter()
    alignments = [diagonal_alignment(len(s), len(t)) for s, t in zip(src, tgt)]
    info.update(used="diagonal (monotone; timing only, not projection quality)",
                seconds=round(time.perf_counter() - t0, 3))
    return alignments, info


def europarl_inputs(
    folder: Path, aligner: str = "eflomal", limit: Optional[int] = None, src: str = "en", tgt: str = "de"
) -> Tuple[List[ProjectionInput], Dict[str, object]]:
    """Europarl-NER ``src``→``tgt``: gold source entities, the real target sentence, an alignment."""
    from ..corpus.europarl import read_europarl

    pairs = read_europarl(folder, src, tgt)
    if limit is not None:
        pairs = pairs[:limit]
    alignments, info = align_pairs([p.src.words for p in pairs], [p.tgt.words for p in pairs], aligner)
    inputs = [
        ProjectionInput(
            src_words=list(p.src.words),
            src_ents=list(p.src.ents),
            tgt_words=list(p.tgt.words),
            alignment=a,
            src_lang=src,
            tgt_lang=tgt,
            extra={"id": p.id, "gold": list(p.tgt.ents)},
        )
        for p, a in zip(pairs, alignments)
    ]
    info["sentences"] = len(inputs)
    info["entities"] = sum(len(i.src_ents) for i in inputs)
    info["mean_target_words"] = round(float(np.mean([len(i.tgt_words) for i in inputs])), 1) if inputs else 0
    return inputs, info


def stress_inputs(
    n_sentences: int = 20,
    min_words: int = 100,
    max_words: int = 300,
    min_entities: int = 10,
    max_entities: int = 20,
    seed: int = 0,
) -> Tuple[List[ProjectionInput], Dict[str, object]]:
    """Seeded synthetic long sentences with many entities and a noisy near-diagonal alignment.

    Target length ``m`` ~ U[min_words, max_words]; source length ``m * U[0.8, 1.2]``; entities of 1-4
    words placed without overlap; each entity word is linked to a target word of a contiguous block
    near the diagonal (sometimes two), every other source word with probability 0.8 to a word near the
    diagonal (Gaussian jitter, sd 2), plus 2% random links; about 1% of target words are ``!``/``?``.
    """
    if not (1 <= min_words <= max_words):
        raise ValueError("need 1 <= min_words <= max_words")
    if not (0 <= min_entities <= max_entities):
        raise ValueError("need 0 <= min_entities <= max_entities")
    rng = np.random.default_rng(seed)
    labels = ("PER", "ORG", "LOC", "MISC")
    inputs: List[ProjectionInput] = []
    for k in range(n_sentences):
        m = int(rng.integers(min_words, max_words + 1))
        n = max(1, int(round(m * rng.uniform(0.8, 1.2))))
        tgt = [("!" if rng.random() < 0.5 else "?") if rng.random() < 0.01 else f"t{j}" for j in range(m)]
        src = [f"s{i}" for i in range(n)]
        # Entities: non-overlapping source spans of 1-4 words.
        want = int(rng.integers(min_entities, max_entities + 1))
        free = np.ones(n, dtype=bool)
        ents: List[Entity] = []
        for _ in range(want * 20):
            if len(ents) >= want:
                break
            length = int(rng.integers(1, 5))
            s = int(rng.integers(0, max(1, n - length + 1)))
            e = min(n, s + length)
            if free[s:e].all():
                free[s:e] = False
                ents.append(Entity(s, e, labels[int(rng.integers(len(labels)))]))
        ents.sort()
        scale = (m - 1) / max(1, n - 1)
        links = set()
        ent_words = np.zeros(n, dtype=bool)
        for ent in ents:
            ent_words[ent.start : ent.end] = True
            base = int(np.clip(round(ent.start * scale + rng.normal(0, 2)), 0, m - 1))
            width = max(1, len(ent) + int(rng.integers(-1, 2)))
            for off, i in enumerate(range(ent.start, ent.end)):
                j = min(m - 1, base + min(off, width - 1))
                links.add((i, j))
                if rng.random() < 0.15:
                    links.add((i, min(m - 1, j + 1)))
        for i in range(n):
            if not ent_words[i] and rng.random() < 0.8:
                links.add((i, int(np.clip(round(i * scale + rng.normal(0, 2)), 0, m - 1))))
            if rng.random() < 0.02:
                links.add((i, int(rng.integers(m))))
        inputs.append(
            ProjectionInput(src, ents, tgt, Alignment(sorted(links)), "xx", "yy", extra={"id": f"stress/{k}"})
        )
    info = {
        "sentences": len(inputs),
        "seed": seed,
        "words": [min_words, max_words],
        "entities_per_sentence": [min_entities, max_entities],
        "mean_target_words": round(float(np.mean([len(i.tgt_words) for i in inputs])), 1) if inputs else 0,
        "mean_entities": round(float(np.mean([len(i.src_ents) for i in inputs])), 1) if inputs else 0,
    }
    return inputs, info

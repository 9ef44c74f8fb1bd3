"""AWESoME-align "softmax" extraction (Dou & Neubig, 2021) on transformers, without awesome-align.

For a sentence pair, with ``h_s`` / ``h_t`` the subword vectors of ``layer`` (each sentence
embedded on its own, special tokens excluded; see :class:`~.encoder.SubwordEncoder`):

* ``S = h_s @ h_t.T`` (dot product, no scaling);
* ``P_fwd = softmax(S, axis=target)``, ``P_bwd = softmax(S, axis=source)``;
* subwords ``i``, ``j`` are linked iff ``P_fwd[i, j] > threshold`` **and** ``P_bwd[i, j] > threshold``;
* two words are aligned iff any of their subwords are linked.

This is awesome-align's ``extraction="softmax"`` for a model that was not fine-tuned, which is
what the paper used (mBERT, layer 8, threshold 0.001). Per-link score: the mean of the two
probabilities, ``(P_fwd + P_bwd) / 2``; a word link keeps the max over its subword links.
"""
from __future__ import annotations

from typing import List, Optional

import numpy as np

from ..errors import ConfigError
from ..registry import aligners
from ..types import Alignment
from .alignment_ops import matrix_to_alignment


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    z = x - x.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def softmax_links(
    src_vecs: np.ndarray, tgt_vecs: np.ndarray, threshold: float
) -> "tuple[np.ndarray, np.ndarray]":
    """The subword link mask and per-link scores of the softmax extraction (pure numpy)."""
    sim = src_vecs.astype(np.float64) @ tgt_vecs.astype(np.float64).T
    p_fwd = _softmax(sim, axis=1)
    p_bwd = _softmax(sim, axis=0)
    mask = (p_fwd > threshold) & (p_bwd > threshold)
    return mask, (p_fwd + p_bwd) / 2.0


class AwesomeAligner:
    """AWESoME-style softmax aligner."""

    def __init__(
        self,
        *,
        model: str,
        layer: int,
        threshold: float,
        device: str,
        batch_size: int,
        max_length: Optional[int],
    ) -> None:
        from .encoder import SubwordEncoder

        try:
            self.threshold = float(threshold)
        except (TypeError, ValueError):
            raise ConfigError(f"AWESoME: threshold must be a number, got {threshold!r}") from None
        if not 0.0 <= self.threshold < 1.0:
            raise ConfigError(f"AWESoME: threshold must be in [0, 1), got {threshold!r}")
        self.encoder = SubwordEncoder(
            model, layer, device=device, batch_size=batch_size, max_length=max_length,
            owner="AWESoME",
        )
        self.name = f"awesome:{model}:softmax{self.threshold:g}:layer{layer}"

    def __call__(self, src: List[List[str]], tgt: List[List[str]]) -> List[Alignment]:
        if len(src) != len(tgt):
            raise ValueError(f"AWESoME: {len(src)} source but {len(tgt)} target sentences")
        n = len(src)
        embedded = self.encoder.embed([list(s) for s in src] + [list(t) for t in tgt])
        out: List[Alignment] = []
        for k in range(n):
            (sv, sw), (tv, tw) = embedded[k], embedded[n + k]
            if not sw or not tw:
                out.append(Alignment())
                continue
            mask, scores = softmax_links(sv, tv, self.threshold)
            alignment = matrix_to_alignment(mask, sw, tw, scores=scores)
            alignment.validate(len(src[k]), len(tgt[k]), "AWESoME")
            out.append(alignment)
        return out


@aligners("spacy-xproj.Awesome.v1")
def make_awesome(
    model: str = "bert-base-multilingual-cased",
    layer: int = 8,
    threshold: float = 0.001,
    device: str = "cpu",
    batch_size: int = 32,
    max_length: Optional[int] = None,
) -> AwesomeAligner:
    """AWESoME-align softmax extraction on any Hugging Face encoder (name or local path).

    The defaults are the paper's: mBERT, not fine-tuned, layer 8, threshold 0.001. A fine-tuned
    awesome-align checkpoint directory works too (its encoder weights are loaded with
    ``AutoModel``). ``device``: ``cpu``, ``cuda[:N]``, ``mps`` or ``auto``.
    """
    return AwesomeAligner(
        model=model,
        layer=layer,
        threshold=threshold,
        device=device,
        batch_size=batch_size,
        max_length=max_length,
    )

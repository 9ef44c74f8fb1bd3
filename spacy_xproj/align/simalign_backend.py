"""SimAlign backend (Jalili Sabet et al., 2020) with a batched embedding pass.

The ``simalign`` package embeds one sentence pair per call and truncates long inputs. Here the
embedding pass is done in batches with transformers (:class:`~.encoder.SubwordEncoder`: any
Hugging Face encoder by name or local path, one hidden layer, long sentences embedded in
windows), then for each pair the similarity matrix is built and simalign's own matching
functions are applied (``SentenceAligner.get_similarity``, ``apply_distortion``,
``get_alignment_matrix``, ``iter_max``, ``get_max_weight_match``), so results equal simalign's for
inputs it can handle.

Methods (simalign's names in brackets): ``itermax`` (``i``), ``argmax`` (``a``/``inter``: the
intersection of the forward and backward argmax), ``match`` (``m``/``mwmf``: maximum-weight
bipartite matching, needs networkx), and the directional ``fwd`` / ``rev``.
``token_type="bpe"`` aligns subwords and maps them to words ("two words are aligned iff any of
their subwords are"); ``"word"`` aligns mean-pooled word vectors.

Per-link scores: the similarity ``(cos + 1) / 2`` of the link (after distortion); a word link keeps
the max over its subword links.
"""
from __future__ import annotations

from typing import Any, List, Optional

import numpy as np

from ..errors import ConfigError
from ..registry import aligners
from ..types import Alignment
from .alignment_ops import matrix_to_alignment

METHODS = {
    "itermax": "itermax",
    "i": "itermax",
    "argmax": "argmax",
    "a": "argmax",
    "inter": "argmax",
    "match": "match",
    "m": "match",
    "mwmf": "match",
    "fwd": "fwd",
    "f": "fwd",
    "rev": "rev",
    "r": "rev",
}


def _sentence_aligner() -> Any:
    """simalign's ``SentenceAligner`` class (its static matching functions are used)."""
    try:
        from simalign import SentenceAligner
    except ImportError as err:
        from ..errors import MissingExtraError

        raise MissingExtraError("simalign", "transformers", "The SimAlign aligner") from err
    return SentenceAligner


class SimAlignAligner:
    """Batched SimAlign."""

    def __init__(
        self,
        *,
        model: str,
        method: str,
        layer: int,
        token_type: str,
        device: str,
        batch_size: int,
        distortion: float,
        max_length: Optional[int],
    ) -> None:
        from .encoder import SubwordEncoder

        key = str(method).lower()
        if key not in METHODS:
            raise ConfigError(
                f"SimAlign: unknown method {method!r}; use itermax, argmax, match, fwd or rev"
            )
        self.method = METHODS[key]
        if token_type not in ("bpe", "word"):
            raise ConfigError(f"SimAlign: token_type must be 'bpe' or 'word', got {token_type!r}")
        self.token_type = token_type
        try:
            self.distortion = float(distortion)
        except (TypeError, ValueError):
            raise ConfigError(f"SimAlign: distortion must be a number, got {distortion!r}") from None
        if not 0.0 <= self.distortion <= 1.0:
            raise ConfigError(f"SimAlign: distortion must be in [0, 1], got {distortion!r}")
        self._sa = _sentence_aligner()
        if self.method == "match":
            try:
                import networkx  # noqa: F401
            except ImportError as err:
                from ..errors import MissingExtraError

                raise MissingExtraError("networkx", "transformers", "SimAlign method 'match'") from err
        self.encoder = SubwordEncoder(
            model, layer, device=device, batch_size=batch_size, max_length=max_length,
            owner="SimAlign",
        )
        suffix = "" if token_type == "bpe" else ":word"
        suffix += f":distortion{self.distortion:g}" if self.distortion else ""
        self.name = f"simalign:{model}:{self.method}:layer{layer}{suffix}"

    def __call__(self, src: List[List[str]], tgt: List[List[str]]) -> List[Alignment]:
        if len(src) != len(tgt):
            raise ValueError(f"SimAlign: {len(src)} source but {len(tgt)} target sentences")
        n = len(src)
        embedded = self.encoder.embed([list(s) for s in src] + [list(t) for t in tgt])
        return [
            self.align_vectors(*embedded[k], *embedded[n + k], len(src[k]), len(tgt[k]))
            for k in range(n)
        ]

    def align_vectors(
        self,
        src_vecs: np.ndarray,
        src_wids: List[int],
        tgt_vecs: np.ndarray,
        tgt_wids: List[int],
        n_src: int,
        n_tgt: int,
    ) -> Alignment:
        """Align one pair from its subword vectors and subword -> word maps."""
        if len(src_wids) == 0 or len(tgt_wids) == 0:
            return Alignment()
        if self.token_type == "word":
            src_vecs, src_wids = _mean_over_words(src_vecs, src_wids)
            tgt_vecs, tgt_wids = _mean_over_words(tgt_vecs, tgt_wids)
        sa = self._sa
        sim = sa.get_similarity(src_vecs, tgt_vecs)
        sim = sa.apply_distortion(sim, self.distortion)
        if self.method == "itermax":
            mask = sa.iter_max(sim)
        elif self.method == "match":
            mask = sa.get_max_weight_match(sim)
        else:
            fwd, rev = sa.get_alignment_matrix(sim)
            mask = {"argmax": fwd * rev, "fwd": fwd, "rev": rev}[self.method]
        alignment = matrix_to_alignment(mask, src_wids, tgt_wids, scores=sim)
        alignment.validate(n_src, n_tgt, "SimAlign")
        return alignment


def _mean_over_words(vecs: np.ndarray, wids: List[int]) -> "tuple[np.ndarray, List[int]]":
    """Mean-pool subword vectors per word (words without subwords are left out)."""
    words = sorted(set(wids))
    index = {w: r for r, w in enumerate(words)}
    pooled = np.zeros((len(words), vecs.shape[1]), dtype=np.float64)
    counts = np.zeros(len(words))
    for pos, w in enumerate(wids):
        pooled[index[w]] += vecs[pos]
        counts[index[w]] += 1
    return (pooled / counts[:, None]).astype(np.float32), words


@aligners("spacy-xproj.SimAlign.v1")
def make_simalign(
    model: str = "bert-base-multilingual-cased",
    method: str = "itermax",
    layer: int = 8,
    token_type: str = "bpe",
    device: str = "cpu",
    batch_size: int = 32,
    distortion: float = 0.0,
    max_length: Optional[int] = None,
) -> SimAlignAligner:
    """SimAlign word aligner on any Hugging Face encoder (name or local path).

    The paper's setting is the default: mBERT (``bert-base-multilingual-cased``), ``itermax``,
    layer 8, subword (``bpe``) alignment, no distortion. ``device`` is ``cpu``, ``cuda[:N]``,
    ``mps`` or ``auto``; ``batch_size`` counts sequences per forward pass; ``max_length`` caps the
    sequence length (default: the model's maximum); longer sentences are embedded in windows.
    """
    return SimAlignAligner(
        model=model,
        method=method,
        layer=layer,
        token_type=token_type,
        device=device,
        batch_size=batch_size,
        distortion=distortion,
        max_length=max_length,
    )

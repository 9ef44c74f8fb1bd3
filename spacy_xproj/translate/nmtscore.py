"""NMTScore "direct" similarity (normalised, symmetric) as a candidate-matching scorer.

Vamvas & Sennrich's NMTScore as used by the thesis (PAPER.md §3.5)::

    P(X|Y)   = exp(mean_k log p(X_k | Y, X_<k))           (forced decoding of X given Y)
    sim(A,B) = ½ [ P(A|B) / P(A|A)  +  P(B|A) / P(B|B) ]

with A = the detokenised source-entity words (language ``src_lang``) and B = the detokenised
candidate words (``tgt_lang``). The mean runs over the target tokens and the end-of-sentence token;
the forced language token of NLLB / M2M-100 is not scored (it is forced at generation time too).
``sim(A, A) = 1`` when both sides are the same text in the same language, and
``sim(A, B) = sim(B, A)`` with the languages swapped.

All forced-decoding passes of a sentence are batched (sorted by length); log-probabilities are
cached in memory and, with ``cache=PATH``, in the SQLite translation cache.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..errors import ConfigError
from ..registry import scorers
from . import languages
from .cache import TranslationCache, make_key, open_cache
from .hf import LoadedSeq2Seq, _import_torch_transformers, _max_input_length, load_seq2seq


def _encode(lm: LoadedSeq2Seq, texts: Sequence[str], code: str, as_target: bool) -> Tuple[List[List[int]], int]:
    """Token ids of ``texts`` as model input (``as_target=False``) or as forced-decoding labels,
    and how many leading label tokens are forced (not scored)."""
    tok = lm.tokenizer
    max_len = _max_input_length(lm)
    if lm.kind in ("nllb", "m2m100"):
        tok.src_lang = code  # both sides look the same: [lang_code] tokens </s>
        ids = tok(list(texts), truncation=True, max_length=max_len)["input_ids"]
        return [list(x) for x in ids], (1 if as_target else 0)
    if lm.kind == "marian":
        if as_target:
            ids = tok(text_target=list(texts), truncation=True, max_length=max_len)["input_ids"]
        else:
            prefix = f"{code} " if code else ""
            ids = tok([prefix + t for t in texts], truncation=True, max_length=max_len)["input_ids"]
        return [list(x) for x in ids], 0
    ids = tok(list(texts), truncation=True, max_length=max_len)["input_ids"]
    return [list(x) for x in ids], 0


def mean_logprobs(
    lm: LoadedSeq2Seq,
    sources: Sequence[str],
    targets: Sequence[str],
    src_lang: str,
    tgt_lang: str,
    batch_size: int,
) -> np.ndarray:
    """Mean token log-probability of each ``targets[i]`` force-decoded given ``sources[i]``."""
    torch, _ = _import_torch_transformers()
    if len(sources) != len(targets):
        raise ValueError("sources and targets must have the same length")
    n = len(sources)
    out = np.zeros(n, dtype=np.float64)
    if n == 0:
        return out
    src_ids, _ = _encode(lm, sources, lm.lang_code(src_lang), as_target=False)
    tgt_ids, skip = _encode(lm, targets, lm.lang_code(tgt_lang), as_target=True)
    pad = lm.tokenizer.pad_token_id
    start = lm.model.config.decoder_start_token_id
    if start is None:
        start = pad
    order = sorted(range(n), key=lambda i: -(len(src_ids[i]) + len(tgt_ids[i])))
    device = lm.model.device
    for b in range(0, n, batch_size):
        idx = order[b : b + batch_size]
        s_len = max(len(src_ids[i]) for i in idx)
        t_len = max(len(tgt_ids[i]) for i in idx)
        inp = torch.full((len(idx), s_len), pad, dtype=torch.long)
        att = torch.zeros((len(idx), s_len), dtype=torch.long)
        lab = torch.full((len(idx), t_len), pad, dtype=torch.long)
        mask = torch.zeros((len(idx), t_len), dtype=torch.bool)
        for r, i in enumerate(idx):
            inp[r, : len(src_ids[i])] = torch.tensor(src_ids[i])
            att[r, : len(src_ids[i])] = 1
            lab[r, : len(tgt_ids[i])] = torch.tensor(tgt_ids[i])
            mask[r, skip : len(tgt_ids[i])] = True
        dec = torch.full_like(lab, pad)
        dec[:, 0] = start
        dec[:, 1:] = lab[:, :-1]
        with torch.inference_mode():
            logits = lm.model(
                input_ids=inp.to(device),
                attention_mask=att.to(device),
                decoder_input_ids=dec.to(device),
                use_cache=False,
            ).logits.float()
            logp = torch.log_softmax(logits, dim=-1)
            tok_lp = logp.gather(-1, lab.to(device).unsqueeze(-1)).squeeze(-1)
            m = mask.to(device)
            means = (tok_lp * m).sum(-1) / m.sum(-1).clamp(min=1)
        out[idx] = means.cpu().numpy()
    return out


class NMTScorer:
    """NMTScore similarity with one seq2seq model; see the module docstring. Every setting is
    required: the defaults live in ``spacy-xproj.NMTScore.v1`` (:func:`make_nmtscore`)."""

    def __init__(
        self,
        model: str,
        src_lang: Optional[str],
        tgt_lang: Optional[str],
        *,
        threshold: float,
        batch_size: int,
        device: str,
        fp16: bool,
        cache: Optional[Union[str, TranslationCache]],
    ) -> None:
        for code in (src_lang, tgt_lang):
            if code is not None:
                languages.get_language(code)
        if batch_size < 1:
            raise ConfigError("batch_size must be >= 1")
        self.model_name = model
        self.src_lang = src_lang
        self.tgt_lang = tgt_lang
        self.threshold = float(threshold)
        self.batch_size = batch_size
        self.device = device
        self.fp16 = fp16
        self.cache = open_cache(cache)
        self._memo: Dict[str, float] = {}
        self.hits = 0
        self.misses = 0

    @property
    def lm(self) -> LoadedSeq2Seq:
        return load_seq2seq(self.model_name, self.device, self.fp16)

    def log_probs(self, items: Sequence[Tuple[str, str, str, str]]) -> np.ndarray:
        """Mean log-probs for ``(source, target, src_lang, tgt_lang)`` items, cached."""
        lm = self.lm
        keys = [make_key("nmtscore", lm.fingerprint, sl, tl, s, t) for s, t, sl, tl in items]
        missing = [k for k in dict.fromkeys(keys) if k not in self._memo]
        if missing and self.cache is not None:
            self._memo.update(self.cache.get_scores(missing))
            missing = [k for k in missing if k not in self._memo]
        self.misses += len(missing)
        self.hits += len(keys) - len(missing)
        if missing:
            todo = {k: item for k, item in zip(keys, items) if k in set(missing)}
            by_dir: Dict[Tuple[str, str], List[str]] = {}
            for k, (_, _, sl, tl) in todo.items():
                by_dir.setdefault((sl, tl), []).append(k)
            new: List[Tuple[str, float]] = []
            for (sl, tl), ks in by_dir.items():
                vals = mean_logprobs(
                    lm, [todo[k][0] for k in ks], [todo[k][1] for k in ks], sl, tl, self.batch_size
                )
                new += list(zip(ks, vals.tolist()))
            self._memo.update(new)
            if self.cache is not None:
                self.cache.put_scores(new)
        return np.array([self._memo[k] for k in keys], dtype=np.float64)

    def similarity_matrix(
        self, a_texts: Sequence[str], b_texts: Sequence[str], a_lang: str, b_lang: str
    ) -> np.ndarray:
        """``sim(a_i, b_j)`` for every pair: shape ``(len(a_texts), len(b_texts))``."""
        na, nb = len(a_texts), len(b_texts)
        if na == 0 or nb == 0:
            return np.zeros((na, nb))
        items: List[Tuple[str, str, str, str]] = []
        items += [(a, a, a_lang, a_lang) for a in a_texts]  # P(A|A)
        items += [(b, b, b_lang, b_lang) for b in b_texts]  # P(B|B)
        items += [(b, a, b_lang, a_lang) for a in a_texts for b in b_texts]  # P(A|B)
        items += [(a, b, a_lang, b_lang) for a in a_texts for b in b_texts]  # P(B|A)
        lp = self.log_probs(items)
        p_aa = lp[:na]
        p_bb = lp[na : na + nb]
        p_a_b = lp[na + nb : na + nb + na * nb].reshape(na, nb)
        p_b_a = lp[na + nb + na * nb :].reshape(na, nb)
        # Ratios of probabilities computed in log space: exp(log P(A|B) - log P(A|A)).
        return 0.5 * (np.exp(p_a_b - p_aa[:, None]) + np.exp(p_b_a - p_bb[None, :]))

    def similarity(self, a: str, b: str, a_lang: str, b_lang: str) -> float:
        return float(self.similarity_matrix([a], [b], a_lang, b_lang)[0, 0])

    def __call__(self, inp: Any, candidates: Sequence[Tuple[int, int]]) -> np.ndarray:
        """The ``nmt`` score c[p, t] for a :class:`~spacy_xproj.projection.matching.ProjectionInput`:
        NMTScore of source entity p vs candidate t, zero unless strictly above ``threshold``."""
        src_lang = self.src_lang or inp.src_lang
        tgt_lang = self.tgt_lang or inp.tgt_lang
        a = [languages.detokenize(inp.src_words[e.start : e.end], src_lang) for e in inp.src_ents]
        b = [languages.detokenize(inp.tgt_words[s:e], tgt_lang) for s, e in candidates]
        sim = self.similarity_matrix(a, b, src_lang, tgt_lang)
        sim[sim <= self.threshold] = 0.0  # kept only when strictly above (PAPER: c > thr)
        return sim


@scorers.register("spacy-xproj.NMTScore.v1")
def make_nmtscore(
    model: str = "facebook/nllb-200-distilled-600M",
    src_lang: Optional[str] = "en",
    tgt_lang: Optional[str] = None,
    threshold: float = 0.1,
    batch_size: int = 16,
    device: str = "cpu",
    fp16: bool = True,
    cache: Optional[str] = None,
) -> NMTScorer:
    """The ``nmt`` matching score (NMTScore direct, normalised, symmetric). ``src_lang`` /
    ``tgt_lang`` default to the languages of each sentence pair when ``null``."""
    return NMTScorer(
        model, src_lang, tgt_lang, threshold=threshold, batch_size=batch_size, device=device,
        fp16=fp16, cache=cache,
    )

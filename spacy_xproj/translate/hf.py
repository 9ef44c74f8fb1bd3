"""Translation with Hugging Face seq2seq models: NLLB-200, M2M-100 and Marian (OPUS-MT).

``spacy-xproj.HFTranslator.v1`` builds an :class:`HFTranslator`: a callable ``texts -> texts`` for
its configured direction, plus

* :meth:`HFTranslator.translate` — the plain ``(texts, src_lang, tgt_lang) -> texts`` form (any
  direction the model supports; the back-translation refinement calls this);
* :meth:`HFTranslator.translate_words` — word lists in, word lists out (detokenise, translate,
  split with the target language's tokenizer).

Models load with ``AutoModelForSeq2SeqLM.from_pretrained(name_or_path)`` and ``AutoTokenizer`` —
hub names or local folders — once per process (shared with NMTScore). Language codes are ISO
639-1/639-3 (``hau``, ``sw``) and are mapped to the model's own codes (``hau_Latn``, ``__ha__``,
``>>hau<<``). Inputs are sorted by length before batching (less padding); outputs come back in
input order. Generation is greedy by default (``num_beams=1``); fp16 is used on CUDA only.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from ..errors import ConfigError, MissingExtraError
from ..registry import translators
from . import languages
from .cache import TranslationCache, model_fingerprint, open_cache, settings_json

logger = logging.getLogger(__name__)


def _import_torch_transformers() -> Tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise MissingExtraError(str(err.name or "transformers"), "transformers", "HF translation") from None
    return torch, transformers


def resolve_device(device: str) -> str:
    """``"auto"`` -> ``cuda`` when available else ``cpu``; ``cuda``/``cuda:N``/``cpu``/``mps`` as is."""
    torch, _ = _import_torch_transformers()
    device = (device or "cpu").strip()
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} was requested but CUDA is not available; use device='cpu'")
    if isinstance(device, int) or device.isdigit():
        return f"cuda:{device}"
    return device


@dataclass
class LoadedSeq2Seq:
    """A loaded model + tokenizer and what kind of language handling it needs."""

    name: str
    fingerprint: str
    model: Any
    tokenizer: Any
    kind: str  # "nllb" | "m2m100" | "marian" | "plain"
    device: str

    def lang_code(self, lang: str) -> str:
        """The model's code for an ISO code ('' for kinds without language codes)."""
        if self.kind == "nllb":
            return languages.nllb_code(lang)
        if self.kind == "m2m100":
            return languages.m2m100_code(lang)
        if self.kind == "marian":
            token = languages.marian_target_token(lang, self.tokenizer.get_vocab())
            return token or ""
        return ""

    def language_token_ids(self) -> List[int]:
        """Ids of every language token (removed from outputs before decoding)."""
        tok = self.tokenizer
        if self.kind == "m2m100":
            return sorted(int(i) for i in getattr(tok, "lang_token_to_id", {}).values())
        if self.kind == "nllb":
            vocab = tok.get_vocab()
            return sorted(vocab[c] for c in languages.NLLB_CODES if c in vocab)
        return []

    def lang_token_id(self, code: str) -> int:
        """Vocabulary id of an NLLB / M2M-100 language token."""
        tok = self.tokenizer
        if self.kind == "m2m100":
            return int(tok.get_lang_id(code))
        tid = tok.convert_tokens_to_ids(code)
        if tid is None or tid == tok.unk_token_id:
            raise ConfigError(f"the model {self.name!r} has no language token {code!r}")
        return int(tid)


_LOADED: Dict[Tuple[str, str, bool], LoadedSeq2Seq] = {}


def _model_kind(model: Any, tokenizer: Any) -> str:
    model_type = getattr(model.config, "model_type", "")
    if model_type == "marian":
        return "marian"
    if model_type == "m2m_100":
        if "Nllb" in type(tokenizer).__name__ or "eng_Latn" in tokenizer.get_vocab():
            return "nllb"
        return "m2m100"
    return "plain"


def load_seq2seq(name_or_path: str, device: str = "cpu", fp16: bool = True) -> LoadedSeq2Seq:
    """Load (once per process) a seq2seq model and its tokenizer, in eval mode on ``device``."""
    torch, transformers = _import_torch_transformers()
    device = resolve_device(device)
    half = bool(fp16) and device.startswith("cuda")
    key = (name_or_path, device, half)
    if key not in _LOADED:
        try:
            tokenizer = transformers.AutoTokenizer.from_pretrained(name_or_path)
            model = transformers.AutoModelForSeq2SeqLM.from_pretrained(
                name_or_path, torch_dtype=torch.float16 if half else None
            )
        except (OSError, ValueError) as err:  # missing folder / bad hub id / no weights
            raise ConfigError(
                f"cannot load the translation model {name_or_path!r}: {err} (give a Hugging Face "
                f"model name, e.g. facebook/nllb-200-distilled-600M, or a local folder saved with "
                f"save_pretrained; offline machines need the model in the local HF cache)"
            ) from None
        model.to(device)
        model.eval()
        kind = _model_kind(model, tokenizer)
        _LOADED[key] = LoadedSeq2Seq(
            name_or_path, model_fingerprint(name_or_path), model, tokenizer, kind, device
        )
    return _LOADED[key]


def _format_model_name(template: str, src_lang: str, tgt_lang: str) -> str:
    """Marian models are one per direction: ``Helsinki-NLP/opus-mt-{src}-{tgt}`` is filled in."""
    if "{src}" in template or "{tgt}" in template:
        return template.format(
            src=languages.marian_model_code(src_lang), tgt=languages.marian_model_code(tgt_lang)
        )
    return template


class HFTranslator:
    """Batched, cached translation with one HF seq2seq model (see the module docstring)."""

    def __init__(
        self,
        model: str,
        src_lang: str,
        tgt_lang: str,
        *,
        device: str,
        batch_size: int,
        num_beams: int,
        max_length: int,
        fp16: bool,
        cache: Optional[Union[str, TranslationCache]],
    ) -> None:
        if batch_size < 1:
            raise ConfigError("batch_size must be >= 1")
        if num_beams < 1 or max_length < 1:
            raise ConfigError("num_beams and max_length must be >= 1")
        # Validate the language codes now (before any work starts).
        languages.get_language(src_lang)
        languages.get_language(tgt_lang)
        self.model_name = model
        self.src_lang = src_lang
        self.tgt_lang = tgt_lang
        self.device = device
        self.batch_size = batch_size
        self.num_beams = num_beams
        self.max_length = max_length
        self.fp16 = fp16
        self.cache = open_cache(cache)
        self.hits = 0  # texts served from the cache (or repeated within a call)
        self.misses = 0  # texts the model translated
        self.truncated = 0  # batches with an input cut to the model's maximum length

    # -- the callable forms ---------------------------------------------------------------------
    def __call__(self, texts: Sequence[str]) -> List[str]:
        """Translate ``texts`` in the configured direction (``src_lang -> tgt_lang``)."""
        return self.translate(texts, self.src_lang, self.tgt_lang)

    def translate_words(
        self,
        word_lists: Sequence[Sequence[str]],
        src_lang: Optional[str] = None,
        tgt_lang: Optional[str] = None,
    ) -> List[List[str]]:
        """Word lists -> word lists: detokenise, translate, split into target words."""
        src_lang = src_lang or self.src_lang
        tgt_lang = tgt_lang or self.tgt_lang
        texts = [languages.detokenize(words, src_lang) for words in word_lists]
        return [languages.split_words(t, tgt_lang)[0] for t in self.translate(texts, src_lang, tgt_lang)]

    @property
    def generation_settings(self) -> Dict[str, Any]:
        return {"num_beams": self.num_beams, "max_length": self.max_length}

    def loaded(self, src_lang: Optional[str] = None, tgt_lang: Optional[str] = None) -> LoadedSeq2Seq:
        name = _format_model_name(self.model_name, src_lang or self.src_lang, tgt_lang or self.tgt_lang)
        return load_seq2seq(name, self.device, self.fp16)

    def translate(self, texts: Sequence[str], src_lang: str, tgt_lang: str) -> List[str]:
        """Translate ``texts`` from ``src_lang`` to ``tgt_lang`` (ISO codes), in input order.

        Empty texts translate to ``""`` without calling the model. Cached translations are reused;
        new ones are stored after every batch.
        """
        texts = list(texts)
        if not texts:
            return []
        for t in texts:
            if not isinstance(t, str):
                raise TypeError(f"translate() expects strings, got {type(t).__name__}")
        lm = self.loaded(src_lang, tgt_lang)
        src_code, tgt_code = lm.lang_code(src_lang), lm.lang_code(tgt_lang)
        settings = settings_json(self.generation_settings)
        results: Dict[str, str] = {"": ""}
        todo = [t for t in dict.fromkeys(texts) if t.strip()]
        if not all(t.strip() for t in texts):
            results.update({t: "" for t in texts if not t.strip()})
        if self.cache is not None and todo:
            found = self.cache.get_translations(lm.fingerprint, src_code, tgt_code, settings, todo)
            results.update(found)
            todo = [t for t in todo if t not in found]
        self.misses += len(todo)
        self.hits += sum(1 for t in texts if t.strip()) - len(todo)
        # Sort by length (longest first) so that each batch has little padding.
        todo.sort(key=lambda t: (-len(t), t))
        for start in range(0, len(todo), self.batch_size):
            batch = todo[start : start + self.batch_size]
            outputs = self._generate(lm, batch, src_code, tgt_code)
            results.update(zip(batch, outputs))
            if self.cache is not None:
                self.cache.put_translations(
                    lm.fingerprint, src_code, tgt_code, settings, zip(batch, outputs)
                )
        return [results[t] for t in texts]

    def _generate(self, lm: LoadedSeq2Seq, batch: List[str], src_code: str, tgt_code: str) -> List[str]:
        torch, _ = _import_torch_transformers()
        tok = lm.tokenizer
        kwargs: Dict[str, Any] = {}
        inputs = batch
        if lm.kind in ("nllb", "m2m100"):
            tok.src_lang = src_code
            kwargs["forced_bos_token_id"] = lm.lang_token_id(tgt_code)
        elif lm.kind == "marian" and tgt_code:
            inputs = [f"{tgt_code} {t}" for t in batch]
        max_in = _max_input_length(lm)
        enc = tok(inputs, return_tensors="pt", padding=True, truncation=True, max_length=max_in)
        if enc["input_ids"].shape[1] >= max_in:
            self.truncated += 1
            logger.warning("an input was truncated to the model's %d tokens", max_in)
        enc = {k: v.to(lm.model.device) for k, v in enc.items()}
        with torch.inference_mode():
            out = lm.model.generate(
                **enc, num_beams=self.num_beams, max_length=self.max_length, **kwargs
            )
        drop = set(lm.language_token_ids())
        seqs = [[int(i) for i in seq if int(i) not in drop] for seq in out.tolist()]
        return [s.strip() for s in tok.batch_decode(seqs, skip_special_tokens=True)]

    def stats(self) -> Dict[str, int]:
        return {"hits": self.hits, "misses": self.misses}


def _max_input_length(lm: LoadedSeq2Seq) -> int:
    n = getattr(lm.model.config, "max_position_embeddings", None) or 1024
    tok_max = getattr(lm.tokenizer, "model_max_length", None)
    if isinstance(tok_max, int) and 0 < tok_max < n:
        n = tok_max
    return int(n)


@translators.register("spacy-xproj.HFTranslator.v1")
def make_hf_translator(
    model: str = "facebook/nllb-200-distilled-600M",
    src_lang: str = "en",
    tgt_lang: str = "hau",
    device: str = "cpu",
    batch_size: int = 16,
    num_beams: int = 1,
    max_length: int = 256,
    fp16: bool = True,
    cache: Optional[str] = None,
) -> HFTranslator:
    """A Hugging Face seq2seq translator (NLLB-200, M2M-100, Marian) — see :class:`HFTranslator`.

    ``model`` is a hub name or local folder; for per-direction Marian models it may contain
    ``{src}``/``{tgt}`` (``Helsinki-NLP/opus-mt-{src}-{tgt}``). ``cache`` is an SQLite file path.
    """
    return HFTranslator(
        model,
        src_lang,
        tgt_lang,
        device=device,
        batch_size=batch_size,
        num_beams=num_beams,
        max_length=max_length,
        fp16=fp16,
        cache=cache,
    )

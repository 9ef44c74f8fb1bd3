"""Batched subword embeddings from any Hugging Face encoder (shared by SimAlign and AWESoME).

Each sentence (a list of words) is tokenized word by word (``is_split_into_words``; the
tokenizer's ``word_ids`` give the subword -> word map) and embedded **on its own** (no pairing
of source and target in one sequence), as SimAlign and awesome-align do. The hidden states of
one layer (``hidden_states[layer]``: 0 = the embedding layer, ``n`` = the last layer) are kept
for the non-special subwords.

Long inputs: a sentence whose subwords (plus the model's special tokens) do not fit the model's
maximum length is split into consecutive windows that do fit, ending at word boundaries where
possible (:func:`~spacy_xproj.align.alignment_ops.window_spans`); every window is embedded as its
own sequence (with its own special tokens) and the windows' vectors are concatenated. No word is
dropped and nothing crashes; the number of split sentences is counted in ``stats["windowed"]``
and logged once per call.

torch / transformers are imported only when an encoder is created.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np

from ..errors import ConfigError, MissingExtraError
from .alignment_ops import window_spans

logger = logging.getLogger(__name__)

#: model types whose position ids start after the padding index (RoBERTa family).
_OFFSET_POSITION_TYPES = {"roberta", "xlm-roberta", "xlm-roberta-xl", "camembert", "longformer"}


def _import_torch_transformers() -> Tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError as err:  # pragma: no cover - depends on the installation
        raise MissingExtraError(
            getattr(err, "name", None) or "transformers", "transformers", "Neural word alignment"
        ) from err
    return torch, transformers


def resolve_device(device: str) -> str:
    """``"cpu"``, ``"cuda"``, ``"cuda:N"``, ``"mps"`` or ``"auto"`` (CUDA if available, else CPU).

    Raises :class:`ConfigError` when an unavailable accelerator is requested.
    """
    torch, _ = _import_torch_transformers()
    device = str(device).strip().lower()
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError):
        raise ConfigError(
            f"unknown device {device!r}; use 'cpu', 'cuda', 'cuda:N', 'mps' or 'auto'"
        ) from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(
                f"device {device!r} was requested but CUDA is not available; use device='cpu' "
                "or install a CUDA build of torch"
            )
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ConfigError(
                f"device {device!r} does not exist ({torch.cuda.device_count()} CUDA devices)"
            )
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(f"device {device!r} was requested but MPS is not available")
    return device


class SubwordEncoder:
    """Loads a tokenizer + encoder once and embeds batches of word lists.

    The configuration and the tokenizer are loaded (and ``layer`` / ``max_length`` checked) when
    the encoder is created, so configuration errors surface before any work; the model weights
    are loaded on first use and then kept.
    """

    def __init__(
        self,
        model: Union[str, Path],
        layer: int,
        device: str = "cpu",
        batch_size: int = 32,
        max_length: Optional[int] = None,
        owner: str = "aligner",
    ) -> None:
        _, transformers = _import_torch_transformers()
        self.model_name = str(model)
        self.owner = owner
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ConfigError(f"{owner}: batch_size must be a positive integer, got {batch_size!r}")
        self.batch_size = batch_size
        self.device = resolve_device(device)
        try:
            self.config = transformers.AutoConfig.from_pretrained(self.model_name)
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(self.model_name)
        except (OSError, ValueError) as err:
            raise ConfigError(
                f"{owner}: could not load the model {self.model_name!r} (a Hugging Face model "
                f"name or a local directory with config and tokenizer files): {err}"
            ) from None
        n_layers = getattr(self.config, "num_hidden_layers", None)
        if not isinstance(layer, int) or isinstance(layer, bool):
            raise ConfigError(f"{owner}: layer must be an integer, got {layer!r}")
        if n_layers is not None and not 0 <= layer <= n_layers:
            raise ConfigError(
                f"{owner}: layer={layer} but {self.model_name!r} has {n_layers} layers; "
                f"choose a layer between 0 (embeddings) and {n_layers}"
            )
        self.layer = layer
        self.n_special = self.tokenizer.num_special_tokens_to_add(pair=False)
        model_max = self.model_max_length()
        if max_length is None:
            self.max_length = model_max
        else:
            if not isinstance(max_length, int) or max_length < self.n_special + 1:
                raise ConfigError(
                    f"{owner}: max_length must be an integer >= {self.n_special + 1}, "
                    f"got {max_length!r}"
                )
            self.max_length = min(max_length, model_max)
        self._model: Any = None
        self.stats: Dict[str, int] = {"sentences": 0, "windowed": 0, "windows": 0}

    def model_max_length(self) -> int:
        """The longest sequence (special tokens included) the model accepts."""
        limits = []
        max_pos = getattr(self.config, "max_position_embeddings", None)
        if isinstance(max_pos, int) and max_pos > 0:
            if getattr(self.config, "model_type", "") in _OFFSET_POSITION_TYPES:
                max_pos -= (getattr(self.config, "pad_token_id", None) or 0) + 1
            limits.append(max_pos)
        tok_max = getattr(self.tokenizer, "model_max_length", None)
        if isinstance(tok_max, int) and 0 < tok_max < 1_000_000:
            limits.append(tok_max)
        return min(limits) if limits else 512

    @property
    def model(self) -> Any:
        """The encoder, loaded on first use (eval mode, on ``self.device``)."""
        if self._model is None:
            torch, transformers = _import_torch_transformers()
            try:
                model = transformers.AutoModel.from_pretrained(self.model_name)
            except (OSError, ValueError) as err:
                raise ConfigError(
                    f"{self.owner}: could not load the model weights of {self.model_name!r}: {err}"
                ) from None
            model.eval()
            model.to(torch.device(self.device))
            self._model = model
        return self._model

    # -- tokenization --------------------------------------------------------------------------

    def tokenize(self, sentences: List[List[str]]) -> List[Tuple[List[int], List[int]]]:
        """For each sentence: (subword ids, word index of each subword), without special tokens."""
        if self.tokenizer.is_fast:
            nonempty = [k for k, s in enumerate(sentences) if len(s) > 0]
            results: Dict[int, Tuple[List[int], List[int]]] = {k: ([], []) for k in range(len(sentences))}
            if nonempty:
                enc = self.tokenizer(
                    [list(sentences[k]) for k in nonempty],
                    is_split_into_words=True,
                    add_special_tokens=False,
                    truncation=False,
                    verbose=False,
                )
                for b, k in enumerate(nonempty):
                    ids = list(enc["input_ids"][b])
                    wids = enc.word_ids(b)
                    keep = [p for p, w in enumerate(wids) if w is not None]
                    results[k] = ([ids[p] for p in keep], [int(wids[p]) for p in keep])
            return [results[k] for k in range(len(sentences))]
        out: List[Tuple[List[int], List[int]]] = []
        for words in sentences:  # slow tokenizers: word by word, as SimAlign / awesome-align do
            ids: List[int] = []
            wids: List[int] = []
            for w_idx, word in enumerate(words):
                pieces = self.tokenizer.convert_tokens_to_ids(self.tokenizer.tokenize(word))
                ids.extend(pieces)
                wids.extend([w_idx] * len(pieces))
            out.append((ids, wids))
        return out

    # -- embedding -----------------------------------------------------------------------------

    def _content_positions(self, n: int) -> List[int]:
        """Positions of the ``n`` content subwords in a sequence built with special tokens."""
        marked = self.tokenizer.build_inputs_with_special_tokens([-1] * n)
        positions = [p for p, t in enumerate(marked) if t == -1]
        if len(positions) != n:  # pragma: no cover - exotic tokenizers
            raise ConfigError(f"{self.owner}: cannot locate the subwords among the special tokens")
        return positions

    def embed(self, sentences: List[List[str]]) -> List[Tuple[np.ndarray, List[int]]]:
        """Embed each sentence: (``(n_subwords, hidden)`` float32 array, subword -> word index).

        A sentence without subwords (empty) gets a ``(0, hidden)`` array.
        """
        torch, _ = _import_torch_transformers()
        tokenized = self.tokenize(sentences)
        max_sub = self.max_length - self.n_special
        # (sentence index, window start, window end, input ids with special tokens)
        sequences: List[Tuple[int, int, int, List[int]]] = []
        n_windowed = 0
        for k, (ids, wids) in enumerate(tokenized):
            spans = window_spans(wids, max_sub) if ids else []
            if len(spans) > 1:
                n_windowed += 1
            for s, e in spans:
                sequences.append((k, s, e, self.tokenizer.build_inputs_with_special_tokens(ids[s:e])))
        self.stats["sentences"] += len(sentences)
        self.stats["windowed"] += n_windowed
        self.stats["windows"] += len(sequences)
        if n_windowed:
            logger.warning(
                "%s: %d of %d sentences are longer than %d subwords (the model's limit with "
                "special tokens); they were embedded in windows",
                self.owner,
                n_windowed,
                len(sentences),
                self.max_length,
            )
        hidden = int(getattr(self.config, "hidden_size", 0) or 0)
        pieces: Dict[Tuple[int, int], np.ndarray] = {}
        order = sorted(range(len(sequences)), key=lambda q: (-len(sequences[q][3]), q))
        pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        if sequences:
            model = self.model
            device = torch.device(self.device)
            with torch.no_grad():
                for b0 in range(0, len(order), self.batch_size):
                    batch = [sequences[q] for q in order[b0 : b0 + self.batch_size]]
                    width = max(len(seq[3]) for seq in batch)
                    input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
                    mask = torch.zeros((len(batch), width), dtype=torch.long)
                    for r, seq in enumerate(batch):
                        input_ids[r, : len(seq[3])] = torch.tensor(seq[3], dtype=torch.long)
                        mask[r, : len(seq[3])] = 1
                    out = model(
                        input_ids=input_ids.to(device),
                        attention_mask=mask.to(device),
                        output_hidden_states=True,
                    )
                    states = out.hidden_states[self.layer].float().cpu().numpy()
                    hidden = states.shape[-1]
                    for r, (k, s, e, full) in enumerate(batch):
                        content = self._content_positions(e - s)
                        pieces[(k, s)] = states[r, content]
        result: List[Tuple[np.ndarray, List[int]]] = []
        for k, (ids, wids) in enumerate(tokenized):
            if not ids:
                result.append((np.zeros((0, hidden), dtype=np.float32), []))
                continue
            parts = [pieces[(k, s)] for s, _ in window_spans(wids, max_sub)]
            result.append((np.concatenate(parts, axis=0).astype(np.float32, copy=False), wids))
        return result

"""Source labelling with a Hugging Face token classifier (first-subword labels, probabilities).

``spacy-xproj.HFTokenClassifier.v1`` builds an :class:`HFTokenClassifier`: a callable
``(word_lists) -> List[LabelResult]``. For every word it takes the model's logits at the word's
**first subword** (as the paper does, HF aggregation "first"), so that

* ``LabelResult.probs`` is a :class:`~spacy_xproj.types.NerProbs` — softmax over the model's labels
  at the first subword, **converted to IOB2** (``O``, ``B-PER``, ``I-PER``, ...; see
  :mod:`spacy_xproj.iob`) whatever the model's scheme (``label_scheme``: ``auto`` detects IOB1,
  IOB2, IOBES/BILOU or IO from the label list), entity types renamed by ``label_map`` (columns that
  map to the same name are summed, rows still sum to 1). So ``P[first word, B-X]`` is the
  probability that an X entity starts there, also for IOB1 models (such as
  xlm-roberta-large-finetuned-conll03-english) that tag entity starts ``I-X``;
* ``LabelResult.ents`` are the argmax tags chunked by the conlleval / seqeval rule (an ``I-X`` after
  ``O`` or another type opens a new entity, so IOB1 models such as xlm-roberta-large-finetuned-
  conll03-english, which predict ``I-PER`` only, work; ``B-``/``S-``/``E-`` variants too), renamed
  by ``label_map``, with ``drop_labels`` (MISC) removed;
* ``LabelResult.spans`` are all predicted spans, label discarded (NER-model candidates), including
  the dropped labels' spans.

Long inputs are split into windows of whole words that fit the model (a warning is logged and
counted in ``windowed``); a word longer than the whole window is truncated to its first subwords.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import ConfigError, MissingExtraError
from ..iob import SCHEMES, probs_to_iob2, split_tag, tags_to_spans
from ..registry import labellers
from ..types import Entity, NerProbs

logger = logging.getLogger(__name__)

DEFAULT_LABEL_MAP = {"PER": "PER", "ORG": "ORG", "LOC": "LOC"}


@dataclass
class LabelResult:
    """Labeller output for one sentence."""

    ents: List[Entity]
    spans: List[Tuple[int, int]] = field(default_factory=list)  # label-agnostic predicted spans
    probs: Optional[NerProbs] = None




def map_entities(
    spans: Sequence[Tuple[int, int, str]],
    label_map: Optional[Dict[str, str]],
    drop_labels: Sequence[str],
    keep_unmapped: bool = True,
) -> List[Entity]:
    """Rename by ``label_map``, remove ``drop_labels`` (and unmapped types if not
    ``keep_unmapped``)."""
    out = []
    for s, e, typ in spans:
        if typ in drop_labels:
            continue
        if label_map and typ in label_map:
            typ = label_map[typ]
        elif label_map and not keep_unmapped:
            continue
        out.append(Entity(s, e, typ))
    return out


def map_prob_labels(
    labels: Sequence[str], probs: np.ndarray, label_map: Optional[Dict[str, str]], scheme: str = "auto"
) -> NerProbs:
    """Probabilities over the model's ``labels`` (any ``scheme``) as IOB2 probabilities
    (:func:`spacy_xproj.iob.probs_to_iob2`), types renamed by ``label_map``; columns with the same
    name are summed."""
    iob2_labels, probs = probs_to_iob2(labels, probs, scheme)
    names: List[str] = []
    for lab in iob2_labels:
        prefix, typ = split_tag(lab)
        if prefix == "O":
            names.append("O")
            continue
        if label_map and typ in label_map:
            typ = label_map[typ]
        names.append(f"{prefix}-{typ}")
    unique = list(dict.fromkeys(names))
    if len(unique) == len(names):
        return NerProbs(names, probs.astype(np.float32))
    merged = np.zeros((probs.shape[0], len(unique)), dtype=np.float32)
    for j, n in enumerate(names):
        merged[:, unique.index(n)] += probs[:, j]
    return NerProbs(unique, merged)


class HFTokenClassifier:
    """Word-level NER with an HF token-classification model; see the module docstring.

    Every setting is required: the defaults live in ``spacy-xproj.HFTokenClassifier.v1``
    (:func:`make_hf_token_classifier`), which Python callers use."""

    def __init__(
        self,
        model: str,
        *,
        device: str,
        batch_size: int,
        label_map: Optional[Dict[str, str]],
        drop_labels: Sequence[str],
        keep_unmapped: bool,
        with_probs: bool,
        max_length: Optional[int],
        fp16: bool,
        use_fast: bool,
        label_scheme: str,
    ) -> None:
        if batch_size < 1:
            raise ConfigError("batch_size must be >= 1")
        if label_scheme not in SCHEMES:
            raise ConfigError(f"unknown label_scheme {label_scheme!r}; use one of {', '.join(SCHEMES)}")
        self.label_scheme = label_scheme
        self.model_name = model
        self.device = device
        self.batch_size = batch_size
        self.label_map = dict(DEFAULT_LABEL_MAP if label_map is None else label_map)
        self.drop_labels = list(drop_labels)
        self.keep_unmapped = keep_unmapped
        self.with_probs = with_probs
        self.max_length = max_length
        self.fp16 = fp16
        self.use_fast = use_fast
        self.windowed = 0  # sentences that had to be split into windows
        self._loaded: Optional[Tuple[Any, Any, str]] = None

    def _load(self) -> Tuple[Any, Any, str]:
        if self._loaded is None:
            try:
                import torch
                import transformers
            except ImportError as err:  # pragma: no cover
                raise MissingExtraError(str(err.name or "transformers"), "transformers", "HF token classification") from None
            from ..translate.hf import resolve_device

            device = resolve_device(self.device)
            half = self.fp16 and device.startswith("cuda")
            try:
                tok = transformers.AutoTokenizer.from_pretrained(self.model_name, use_fast=self.use_fast)
                if getattr(tok, "add_prefix_space", None) is False:  # byte-level BPE (RoBERTa)
                    tok = transformers.AutoTokenizer.from_pretrained(
                        self.model_name, use_fast=self.use_fast, add_prefix_space=True
                    )
                model = transformers.AutoModelForTokenClassification.from_pretrained(
                    self.model_name, torch_dtype=torch.float16 if half else None
                )
            except (OSError, ValueError) as err:  # missing folder / bad hub id / no weights
                raise ConfigError(
                    f"cannot load the token classifier {self.model_name!r}: {err} (give a Hugging Face "
                    f"model name or a local folder saved with save_pretrained)"
                ) from None
            model.to(device)
            model.eval()
            self._loaded = (tok, model, device)
        return self._loaded

    @property
    def labels(self) -> List[str]:
        """The model's label names in id order."""
        _, model, _ = self._load()
        return [model.config.id2label[i] for i in range(len(model.config.id2label))]

    def _word_pieces(self, tok: Any, sentences: Sequence[Sequence[str]]) -> List[List[List[int]]]:
        """Subword ids per word (a word without subwords gets the unknown token)."""
        unk = tok.unk_token_id if tok.unk_token_id is not None else 0
        out: List[List[List[int]]] = []
        if getattr(tok, "is_fast", False):
            enc = tok([list(s) for s in sentences], is_split_into_words=True, add_special_tokens=False)
            for b, words in enumerate(sentences):
                pieces: List[List[int]] = [[] for _ in words]
                for pos, w in enumerate(enc.word_ids(b)):
                    if w is not None:
                        pieces[w].append(enc["input_ids"][b][pos])
                out.append([p or [unk] for p in pieces])
        else:
            for words in sentences:
                ids = tok(list(words), add_special_tokens=False)["input_ids"] if words else []
                out.append([list(p) or [unk] for p in ids])
        return out

    def _windows(self, pieces: List[List[int]], room: int) -> List[Tuple[int, int]]:
        """Consecutive word ranges whose subwords fit into ``room`` tokens."""
        windows: List[Tuple[int, int]] = []
        start, used = 0, 0
        for i, p in enumerate(pieces):
            n = min(len(p), room)
            if used + n > room and i > start:
                windows.append((start, i))
                start, used = i, 0
            used += n
        windows.append((start, len(pieces)))
        return windows

    def __call__(self, sentences: Sequence[Sequence[str]]) -> List[LabelResult]:
        """Label word lists; one :class:`LabelResult` per sentence."""
        import torch

        tok, model, device = self._load()
        labels = self.labels
        n_special = len(tok.build_inputs_with_special_tokens([]))
        limit = self.max_length or min(
            int(getattr(model.config, "max_position_embeddings", 512) or 512) - 2,
            int(tok.model_max_length) if 0 < int(getattr(tok, "model_max_length", 0) or 0) < 10**6 else 10**6,
        )
        room = max(limit - n_special, 1)
        all_pieces = self._word_pieces(tok, sentences)
        # Build every model input: (sentence index, first word, ids, first-subword positions).
        chunks: List[Tuple[int, int, List[int], List[int]]] = []
        for si, pieces in enumerate(all_pieces):
            if not pieces:
                continue
            windows = self._windows(pieces, room)
            if len(windows) > 1:
                self.windowed += 1
                logger.warning(
                    "sentence %d has %d subwords, more than the model's %d: labelled in %d windows",
                    si, sum(len(p) for p in pieces), room, len(windows),
                )
            for ws, we in windows:
                body: List[int] = []
                firsts: List[int] = []
                for p in pieces[ws:we]:
                    firsts.append(len(body))
                    body.extend(p[:room])
                body = body[:room]
                ids = tok.build_inputs_with_special_tokens(body)
                offset = _body_offset(tok)
                chunks.append((si, ws, ids, [offset + f for f in firsts]))
        probs = [np.zeros((len(s), len(labels)), dtype=np.float32) for s in sentences]
        order = sorted(range(len(chunks)), key=lambda c: -len(chunks[c][2]))
        pad = tok.pad_token_id if tok.pad_token_id is not None else 0
        for b in range(0, len(order), self.batch_size):
            batch = [chunks[c] for c in order[b : b + self.batch_size]]
            width = max(len(c[2]) for c in batch)
            ids = torch.full((len(batch), width), pad, dtype=torch.long)
            att = torch.zeros((len(batch), width), dtype=torch.long)
            for r, c in enumerate(batch):
                ids[r, : len(c[2])] = torch.tensor(c[2])
                att[r, : len(c[2])] = 1
            with torch.inference_mode():
                logits = model(input_ids=ids.to(device), attention_mask=att.to(device)).logits.float()
                p = torch.softmax(logits, dim=-1).cpu().numpy()
            for r, (si, ws, _, firsts) in enumerate(batch):
                probs[si][ws : ws + len(firsts)] = p[r, firsts]
        results = []
        for si, words in enumerate(sentences):
            tags = [labels[j] for j in probs[si].argmax(-1)] if len(words) else []
            spans = tags_to_spans(tags)
            ents = map_entities(spans, self.label_map, self.drop_labels, self.keep_unmapped)
            nprobs = map_prob_labels(labels, probs[si], self.label_map, self.label_scheme) if self.with_probs else None
            results.append(LabelResult(ents, [(s, e) for s, e, _ in spans], nprobs))
        return results


def _body_offset(tok: Any) -> int:
    """Position of the first body token after ``build_inputs_with_special_tokens``."""
    probe = tok.build_inputs_with_special_tokens([-7])
    return probe.index(-7)


@labellers.register("spacy-xproj.HFTokenClassifier.v1")
def make_hf_token_classifier(
    model: str = "FacebookAI/xlm-roberta-large-finetuned-conll03-english",
    device: str = "cpu",
    batch_size: int = 16,
    label_map: Optional[Dict[str, str]] = None,
    drop_labels: List[str] = ["MISC"],
    keep_unmapped: bool = True,
    with_probs: bool = True,
    max_length: Optional[int] = None,
    fp16: bool = True,
    use_fast: bool = True,
    label_scheme: str = "auto",
) -> HFTokenClassifier:
    """HF token-classification labeller (the paper's source NER is the default model).
    ``label_map`` defaults to PER/ORG/LOC kept; ``drop_labels`` to MISC. ``label_scheme`` is the
    model's tag scheme (``auto``: detected from its labels; ``iob1``, ``iob2``, ``iobes``, ``io``);
    probabilities are always returned as IOB2."""
    return HFTokenClassifier(
        model, device=device, batch_size=batch_size, label_map=label_map, drop_labels=drop_labels,
        keep_unmapped=keep_unmapped, with_probs=with_probs, max_length=max_length, fp16=fp16,
        use_fast=use_fast, label_scheme=label_scheme,
    )

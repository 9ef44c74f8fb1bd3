"""A tiny random XLM-R-style token classifier for tests (no downloads).

``XLMRobertaForTokenClassification`` with the label set of
FacebookAI/xlm-roberta-large-finetuned-conll03-english (IOB1: no ``B-PER``) and an
``XLMRobertaTokenizer`` / ``XLMRobertaTokenizerFast`` on the sentencepiece model trained by
``tiny_seq2seq.train_spm``. Saved with ``save_pretrained`` and loaded by the code under test with
``AutoModelForTokenClassification.from_pretrained(folder)``. Seeded; built once per folder.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

from tiny_seq2seq import SEED, train_spm

# The label order of xlm-roberta-large-finetuned-conll03-english (IOB1: B- only for LOC/MISC/ORG).
XLMR_CONLL03_LABELS = ["B-LOC", "B-MISC", "B-ORG", "I-LOC", "I-MISC", "I-ORG", "I-PER", "O"]


def build_xlmr_tagger(folder: Path, spm_path: Path, fast: bool = True) -> Path:
    """Build and save the tiny classifier (``fast=False`` saves only the slow tokenizer)."""
    import torch
    from transformers import (
        XLMRobertaConfig,
        XLMRobertaForTokenClassification,
        XLMRobertaTokenizer,
        XLMRobertaTokenizerFast,
    )

    folder = Path(folder)
    if (folder / "config.json").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "_tok"
    tmp.mkdir(exist_ok=True)
    (tmp / "sentencepiece.bpe.model").write_bytes(Path(spm_path).read_bytes())
    slow = XLMRobertaTokenizer(vocab_file=str(tmp / "sentencepiece.bpe.model"), model_max_length=64)
    torch.manual_seed(SEED)
    cfg = XLMRobertaConfig(
        vocab_size=len(slow),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=66,  # 64 usable positions: long inputs must be windowed
        pad_token_id=slow.pad_token_id,
        bos_token_id=slow.bos_token_id,
        eos_token_id=slow.eos_token_id,
        initializer_range=0.5,
        id2label=dict(enumerate(XLMR_CONLL03_LABELS)),
        label2id={l: i for i, l in enumerate(XLMR_CONLL03_LABELS)},
    )
    model = XLMRobertaForTokenClassification(cfg)
    model.save_pretrained(folder)
    slow.save_pretrained(folder)
    if fast:
        XLMRobertaTokenizerFast(__slow_tokenizer=slow, model_max_length=64).save_pretrained(folder)
    shutil.rmtree(tmp)
    return folder


def build_taggers(folder: Path) -> dict:
    """The tiny classifier under ``folder`` (its slow tokenizer is reachable with use_fast=False)."""
    folder = Path(folder)
    spm_path = train_spm(folder / "spm")
    return {"xlmr": build_xlmr_tagger(folder / "xlmr", spm_path, fast=True)}


if __name__ == "__main__":  # pragma: no cover
    for kind, path in build_taggers(Path(sys.argv[1] if len(sys.argv) > 1 else "tiny_models")).items():
        print(kind, path)

"""Tiny random seq2seq models for tests (no downloads): Marian, M2M-100 and NLLB-style.

A sentencepiece model is trained here on a few hundred English + Hausa sentences (MAFAND-MT when
the data folder is present, else a built-in synthetic corpus), then tiny random
``MarianMTModel`` / ``M2M100ForConditionalGeneration`` models are saved with their tokenizers
(``MarianTokenizer``; ``M2M100Tokenizer``; ``NllbTokenizer`` + ``NllbTokenizerFast`` — NLLB models
*are* M2M-100 architectures with the NLLB tokenizer) so that the code under test loads them with
``AutoModelForSeq2SeqLM.from_pretrained(folder)`` / ``AutoTokenizer`` exactly like hub models.
Everything is seeded; ``build_all(folder)`` builds each model once per folder.

Usable from other tests and from the shell: ``python tests/tiny_seq2seq.py OUT_DIR``.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import sys
from pathlib import Path
from typing import Dict, List

SEED = 1234
_SYNTH_EN = "the president of nigeria visited abuja on monday with his minister of health".split()
_SYNTH_HA = "shugaban najeriya ya ziyarci abuja ranar litinin tare da ministan lafiya".split()


def training_sentences(n: int = 300) -> List[str]:
    """English + Hausa sentences: MAFAND-MT en-hau dev when available, else synthetic."""
    data = Path(os.environ.get("XPROJ_DATA_DIR", "/work/shared/data")) / "mafand_mt" / "en-hau" / "dev.jsonl"
    out: List[str] = []
    if data.exists():
        with data.open(encoding="utf8") as fh:
            for i, line in enumerate(fh):
                if i >= n // 2:
                    break
                rec = json.loads(line)["translation"]
                out += [rec["en"], rec["hau"]]
    if len(out) < 50:
        rnd = random.Random(SEED)
        for _ in range(n):
            src = _SYNTH_EN if rnd.random() < 0.5 else _SYNTH_HA
            out.append(" ".join(rnd.choice(src) for _ in range(rnd.randint(3, 12))))
    return out


def train_spm(folder: Path, vocab_size: int = 400) -> Path:
    """Train a unigram sentencepiece model (unk=0, bos=1, eos=2, no pad: fairseq-compatible)."""
    import sentencepiece as spm

    folder.mkdir(parents=True, exist_ok=True)
    prefix = folder / "spm"
    if not (folder / "spm.model").exists():
        text = folder / "corpus.txt"
        text.write_text("\n".join(training_sentences()) + "\n", encoding="utf8")
        spm.SentencePieceTrainer.train(
            input=str(text),
            model_prefix=str(prefix),
            vocab_size=vocab_size,
            model_type="unigram",
            character_coverage=1.0,
            unk_id=0,
            bos_id=1,
            eos_id=2,
            pad_id=-1,
            seed_sentencepiece_size=10000,
            num_threads=1,
            minloglevel=2,
        )
    return folder / "spm.model"


def _pieces(spm_path: Path) -> List[str]:
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(spm_path))
    return [sp.id_to_piece(i) for i in range(sp.get_piece_size())]


def _small_dims() -> Dict[str, float]:
    # A large init_std makes the random models sensitive to their input (different inputs give
    # different outputs), which the tests of batching order rely on.
    return dict(
        init_std=0.5,
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=64,
    )


def build_marian(folder: Path, spm_path: Path, multi_target: bool = False) -> Path:
    """A tiny random MarianMTModel with a MarianTokenizer (shared vocab). ``multi_target`` adds
    ``>>hau<<`` / ``>>eng<<`` target tokens (like OPUS-MT multi-target models)."""
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    if (folder / "config.json").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    pieces = [p for p in _pieces(spm_path) if p not in ("<unk>", "<s>", "</s>")]
    vocab = {"</s>": 0, "<unk>": 1}
    if multi_target:
        for code in (">>hau<<", ">>eng<<", ">>yor<<"):
            vocab[code] = len(vocab)
    for p in pieces:
        vocab.setdefault(p, len(vocab))
    vocab["<pad>"] = len(vocab)
    tmp = folder / "_tok"
    tmp.mkdir(exist_ok=True)
    (tmp / "vocab.json").write_text(json.dumps(vocab), encoding="utf8")
    for name in ("source.spm", "target.spm"):
        (tmp / name).write_bytes(spm_path.read_bytes())
    tok = MarianTokenizer(
        source_spm=str(tmp / "source.spm"), target_spm=str(tmp / "target.spm"), vocab=str(tmp / "vocab.json")
    )
    torch.manual_seed(SEED)
    cfg = MarianConfig(
        vocab_size=len(vocab),
        pad_token_id=vocab["<pad>"],
        eos_token_id=0,
        decoder_start_token_id=vocab["<pad>"],
        forced_eos_token_id=0,
        **_small_dims(),
    )
    model = MarianMTModel(cfg)
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    shutil.rmtree(tmp)
    return folder


def build_m2m100(folder: Path, spm_path: Path) -> Path:
    """A tiny random M2M100ForConditionalGeneration with an M2M100Tokenizer (``__en__`` codes)."""
    import torch
    from transformers import M2M100Config, M2M100ForConditionalGeneration, M2M100Tokenizer

    if (folder / "config.json").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for p in _pieces(spm_path):
        vocab.setdefault(p, len(vocab))
    tmp = folder / "_tok"
    tmp.mkdir(exist_ok=True)
    (tmp / "vocab.json").write_text(json.dumps(vocab), encoding="utf8")
    (tmp / "sentencepiece.bpe.model").write_bytes(spm_path.read_bytes())
    tok = M2M100Tokenizer(vocab_file=str(tmp / "vocab.json"), spm_file=str(tmp / "sentencepiece.bpe.model"))
    torch.manual_seed(SEED)
    cfg = M2M100Config(
        vocab_size=max(len(tok.get_vocab()), max(tok.lang_token_to_id.values()) + 1),
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=2,
        **_small_dims(),
    )
    model = M2M100ForConditionalGeneration(cfg)
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    shutil.rmtree(tmp)
    return folder


def build_nllb(folder: Path, spm_path: Path) -> Path:
    """A tiny random NLLB-style model: M2M100ForConditionalGeneration + NllbTokenizer(Fast) with
    all 202 NLLB language tokens (``hau_Latn``, ``eng_Latn`` ...)."""
    import torch
    from transformers import M2M100Config, M2M100ForConditionalGeneration, NllbTokenizer, NllbTokenizerFast

    if (folder / "config.json").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "_tok"
    tmp.mkdir(exist_ok=True)
    (tmp / "sentencepiece.bpe.model").write_bytes(spm_path.read_bytes())
    slow = NllbTokenizer(vocab_file=str(tmp / "sentencepiece.bpe.model"))
    fast = NllbTokenizerFast(__slow_tokenizer=slow)
    torch.manual_seed(SEED)
    cfg = M2M100Config(
        vocab_size=len(slow),
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=2,
        **_small_dims(),
    )
    model = M2M100ForConditionalGeneration(cfg)
    model.save_pretrained(folder)
    slow.save_pretrained(folder)
    fast.save_pretrained(folder)
    shutil.rmtree(tmp)
    return folder


def build_all(folder: Path) -> Dict[str, Path]:
    """Build (once) every tiny seq2seq model under ``folder``; returns ``kind -> model folder``."""
    folder = Path(folder)
    spm_path = train_spm(folder / "spm")
    return {
        "marian": build_marian(folder / "marian", spm_path),
        "marian_multi": build_marian(folder / "marian_multi", spm_path, multi_target=True),
        "m2m100": build_m2m100(folder / "m2m100", spm_path),
        "nllb": build_nllb(folder / "nllb", spm_path),
    }


if __name__ == "__main__":  # pragma: no cover
    for kind, path in build_all(Path(sys.argv[1] if len(sys.argv) > 1 else "tiny_models")).items():
        print(kind, path)

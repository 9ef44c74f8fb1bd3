"""Pretrain the target NER's tok2vec on the target side of the parallel text (``spacy pretrain``).

    python scripts/pretrain.py corpus/wol/parallel/clean.jsonl training/wol_pretrain --config configs/cnn.cfg \
        --epochs auto --gold corpus/wol/parallel/train/source_gold.spacy --nlp.lang xx --system.seed 0

Writes ``OUT/text.jsonl`` (the target side of the pairs, ``{"text": ...}`` per line), runs spaCy's
pretraining (the config's ``[pretraining]`` block: predict the first and last characters of each
word from its context) into ``OUT/model-last.bin`` (the checkpoints saved every ``n_save_epoch``
epochs on the way are removed at the end), and always writes
``OUT/train.cfg``: the training config with ``paths.init_tok2vec`` set to ``OUT/model-last.bin``, or
the config unchanged when nothing is pretrained. ``spacy train OUT/train.cfg ...`` then starts from
the pretrained weights or not, with one command line either way.

``--epochs 0`` (the workflow's default) does not pretrain: measured on MasakhaNER 2.0, pretraining
moved the F1 of a run on the projected sentences alone by -2.8 to +2.3 depending on the language
(0.0 on average over five) and stayed within the seed noise next to all of CoNLL-2003
(docs/target-models.md). ``--epochs auto`` pretrains for the config's ``max_epochs`` when the
training folder has no gold source sentences (``--gold``: the DocBin ``source_ner.py gold`` wrote;
empty for French sources and with ``n_source_gold 0``) and not at all beside them; ``--epochs N``
pretrains N epochs whatever the gold data. ``auto`` also stays off when the config has no
``[pretraining]`` block (e.g. configs/transformer.cfg) or already sets ``paths.init_tok2vec``;
an explicit N with such a config is an error.

A finished pretraining is reused when the text, the config (with its overrides) and the epochs are
unchanged (``OUT/stamp.json``); an interrupted one continues after its last checkpoint (the weights
of that epoch; the optimizer state starts afresh).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

STAMP = "stamp.json"
# auto: at most this many words in all, 40 epochs over 200,000 words (the measured Wolof, Igbo and Hausa
# texts had 91,000 to 187,000; 40 epochs over the Hausa one took 14 minutes on one core); a larger text
# gets fewer epochs, so the step's time stays bounded
AUTO_WORDS = 8_000_000


def parse_epochs(value: str) -> Union[int, str]:
    """The ``pretrain_epochs`` var: ``auto`` or a number of epochs (0 = off)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from source_ner import parse_auto_or_count

    return parse_auto_or_count(value, "pretrain_epochs", "epochs", 0)


def count_docs(path: Optional[Path]) -> int:
    """Sentences in a DocBin; 0 when no path is given."""
    if path is None:
        return 0
    if not path.is_file():
        raise SystemExit(f"error: --gold {path}: no such file (the gold source DocBin of the training folder)")
    from spacy.tokens import DocBin

    return len(DocBin().from_disk(path))


def resolve_epochs(epochs: Union[int, str], raw_config, n_gold: int, n_words: int) -> Tuple[int, str]:
    """The epochs to pretrain and why. ``raw_config``: the training config, not interpolated;
    ``n_words``: the words of the text (``auto`` pretrains on at most ``AUTO_WORDS`` words in all)."""
    block = raw_config.get("pretraining") or {}
    own_init = raw_config.get("paths", {}).get("init_tok2vec")
    if epochs == "auto":
        if not block:
            return 0, "off (pretrain_epochs auto: the training config has no [pretraining] block)"
        if own_init:
            return 0, f"off (pretrain_epochs auto: the training config sets paths.init_tok2vec = {own_init})"
        if n_gold:
            return 0, (f"off (pretrain_epochs auto: {n_gold} gold source sentences in the training data; "
                       "pretraining was within the seed noise beside them)")
        n = int(block.get("max_epochs", 0))
        if n * n_words <= AUTO_WORDS:
            return n, f"{n} epochs (pretrain_epochs auto: no gold source sentences, the config's max_epochs)"
        n = max(1, AUTO_WORDS // max(n_words, 1))
        return n, (f"{n} epochs (pretrain_epochs auto: no gold source sentences; {n_words:,} words of text, at "
                   f"most {AUTO_WORDS:,} in all)")
    if epochs and not block:
        raise SystemExit(f"error: pretrain_epochs {epochs}: the training config has no [pretraining] block to "
                         "pretrain with (configs/cnn.cfg has one); set pretrain_epochs to 0 or auto")
    return int(epochs), (f"{epochs} epoch{'s' if epochs != 1 else ''}" if epochs else "off (pretrain_epochs 0)")


def fingerprint(text_path: Path, config_str: str) -> Dict[str, str]:
    """What a finished pretraining depends on: the text and the config (its epochs and overrides included)."""
    return {"text_md5": hashlib.md5(text_path.read_bytes()).hexdigest(),
            "config_md5": hashlib.md5(config_str.encode("utf8")).hexdigest()}


def last_epoch(out: Path) -> Optional[int]:
    """The highest N of ``OUT/modelN.bin`` (an interrupted run's last saved epoch), or None."""
    found = [int(m.group(1)) for p in out.glob("model*.bin") if (m := re.fullmatch(r"model(\d+)\.bin", p.name))]
    return max(found) if found else None


def clear_weights(out: Path, keep: Optional[Path] = None) -> None:
    """Remove the weights in ``out`` (``model-last.bin`` and the epochs' checkpoints) but ``keep``."""
    for p in out.glob("model*.bin"):
        if p != keep:
            p.unlink()


def run_pretraining(raw_config, out: Path, gpu_id: int, stamp: Dict[str, str]) -> Path:
    """Pretrain into ``out`` with ``raw_config`` (not interpolated; its ``[pretraining]`` block) and
    return ``out/model-last.bin``: reused when ``stamp`` matches the one of the finished run, resumed
    after the last saved epoch when it matches an interrupted one, from scratch otherwise."""
    from spacy.cli._util import setup_gpu
    from spacy.training.pretrain import pretrain

    weights = out / "model-last.bin"
    stamp_path = out / STAMP
    old = json.loads(stamp_path.read_text()) if stamp_path.is_file() else None
    if old != stamp:
        clear_weights(out)
        stamp_path.write_text(json.dumps(stamp, indent=2) + "\n")
    elif weights.is_file():
        print(f"pretraining: reused {weights} (same text, config and epochs)")
        return weights
    resume = last_epoch(out)
    config = raw_config.interpolate()
    epochs = config["pretraining"]["max_epochs"]
    raw_config.to_disk(out / "config.cfg")
    if resume is not None and resume + 1 >= epochs:
        shutil.copyfile(out / f"model{resume}.bin", weights)  # killed between the last epoch and model-last
    else:
        setup_gpu(gpu_id)  # as `spacy pretrain --gpu-id` does: pretrain() itself stays on the CPU
        pretrain(config, out, resume_path=out / f"model{resume}.bin" if resume is not None else None,
                 epoch_resume=None if resume is None else resume + 1, use_gpu=gpu_id, silent=False)
    clear_weights(out, keep=weights)  # the epochs' checkpoints (17 MB each with configs/cnn.cfg)
    return weights


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pairs", help="pair JSONL whose target side is the raw text (e.g. corpus/L/parallel/clean.jsonl)")
    parser.add_argument("out", help="output folder: text.jsonl, the weights, train.cfg")
    parser.add_argument("--config", required=True, help="the target NER's training config")
    parser.add_argument("--epochs", default="0", help="a number of epochs (0 = off), or auto (on without gold "
                        "source sentences)")
    parser.add_argument("--gold", default=None, help="the gold source DocBin of the training folder (for auto)")
    parser.add_argument("--side", default="tgt", choices=["src", "tgt"], help="the side of the pairs to pretrain on")
    parser.add_argument("--gpu-id", type=int, default=-1)
    args, extra = parser.parse_known_args(argv)
    from spacy.cli._util import parse_config_overrides
    from spacy.util import load_config

    overrides = parse_config_overrides(extra)
    epochs = parse_epochs(str(args.epochs))
    config_path = Path(args.config)
    if not config_path.is_file():
        raise SystemExit(f"error: --config {config_path}: no such file")
    train_config = load_config(config_path, interpolate=False)
    from spacy_xproj.corpus.jsonl import read_pairs, write_text

    auto = epochs == "auto"  # only auto looks at the text's size and the gold sentences
    n_words = sum(len(getattr(p, args.side).words) for p in read_pairs(args.pairs)) if auto else 0
    n_gold = count_docs(Path(args.gold) if args.gold else None) if auto else 0
    n, why = resolve_epochs(epochs, load_config(config_path, overrides=overrides, interpolate=False), n_gold, n_words)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"pretraining: {why}")
    if n:
        text = out / "text.jsonl"
        n_lines = write_text(text, read_pairs(args.pairs), side=args.side)
        print(f"pretraining text: {n_lines} sentences ({args.side} side of {args.pairs}) -> {text}")
        raw = load_config(config_path, overrides={**overrides, "paths.raw_text": str(text), "pretraining.max_epochs": n},
                          interpolate=False)
        weights = run_pretraining(raw, out, args.gpu_id, fingerprint(text, raw.to_str()))
        train_config["paths"]["init_tok2vec"] = str(weights)
        train_config["paths"]["raw_text"] = str(text)
        train_config.to_disk(out / "train.cfg")
    else:
        shutil.copyfile(config_path, out / "train.cfg")
    print(f"training config: {out / 'train.cfg'}" + (f" (init_tok2vec {out / 'model-last.bin'})" if n else ""))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from plain_output import use_plain_output  # scripts/: no colour codes in logs

    use_plain_output()
    main()

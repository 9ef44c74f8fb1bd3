"""configs/cnn.cfg pretrains with `spacy pretrain`, and `spacy train` starts from the weights.

spaCy loads ``[initialize] init_tok2vec`` only when the config has a filled ``[pretraining]`` block
(``Language.initialize``); with an empty one the weights are silently ignored. These tests pretrain
on real raw text (the Hausa side of MAFAND-MT) and check that the weights reach the pipeline.
"""
from __future__ import annotations

import subprocess
import sys
from itertools import islice
from pathlib import Path

import numpy
import spacy
from spacy.training.initialize import init_nlp

from spacy_xproj.cli.convert import convert
from spacy_xproj.corpus.jsonl import write_text
from spacy_xproj.corpus.mafand import read_mafand

REPO = Path(__file__).resolve().parents[1]
CNN = REPO / "configs" / "cnn.cfg"


def _raw_text(mafand_dir: Path, out: Path, n: int = 150) -> Path:
    """The Hausa side of the first n MAFAND-MT dev pairs, written as `xproj convert --to text` does."""
    write_text(out, islice(read_mafand(mafand_dir / "en-hau" / "dev.jsonl", tgt_lang="hau"), n), side="tgt")
    return out


def _gold_docbin(masakhaner_dir: Path, out: Path) -> Path:
    convert(masakhaner_dir / "hau" / "dev.txt", out, "conll", "docbin", tgt_lang="hau", progress=False)
    return out


def _params(model) -> list:
    return [numpy.asarray(node.get_param(name)) for node in model.walk() for name in node.param_names
            if node.has_param(name)]


def test_pretrain_then_train_starts_from_the_weights(tmp_path, mafand_dir, masakhaner_dir):
    raw = _raw_text(mafand_dir, tmp_path / "raw.jsonl")
    out = tmp_path / "pretrain"
    run = subprocess.run(
        [sys.executable, "-m", "spacy", "pretrain", str(CNN), str(out), "--paths.raw_text", str(raw),
         "--pretraining.max_epochs", "2"],
        capture_output=True, text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    weights = out / "model-last.bin"
    assert (out / "model0.bin").is_file() and weights.is_file()

    docbin = _gold_docbin(masakhaner_dir, tmp_path / "train.spacy")
    overrides = {"paths.train": str(docbin), "paths.dev": str(docbin)}
    plain = init_nlp(spacy.util.load_config(CNN, overrides=overrides))
    started = init_nlp(spacy.util.load_config(CNN, overrides={**overrides, "paths.init_tok2vec": str(weights)}))

    pretrained = spacy.util.load_model_from_config(spacy.util.load_config(CNN), auto_fill=True).get_pipe("tok2vec").model
    pretrained.initialize()
    expected = _params(pretrained.from_bytes(weights.read_bytes()))
    got, fresh = _params(started.get_pipe("tok2vec").model), _params(plain.get_pipe("tok2vec").model)
    assert len(expected) == len(got) == len(fresh) > 0
    assert all(numpy.array_equal(a, b) for a, b in zip(expected, got))
    assert not all(numpy.array_equal(a, b) for a, b in zip(expected, fresh))


def test_an_empty_pretraining_block_ignores_the_weights(tmp_path, masakhaner_dir):
    """Why the block stays in configs/cnn.cfg: without it spaCy drops init_tok2vec without a word."""
    config = spacy.util.load_config(CNN)
    docbin = _gold_docbin(masakhaner_dir, tmp_path / "train.spacy")
    nlp = spacy.util.load_model_from_config(config, auto_fill=True)
    nlp.get_pipe("tok2vec").model.initialize()
    weights = tmp_path / "random.bin"
    weights.write_bytes(nlp.get_pipe("tok2vec").model.to_bytes())
    overrides = {"paths.train": str(docbin), "paths.dev": str(docbin), "paths.init_tok2vec": str(weights),
                 "system.seed": 1}
    with_block = init_nlp(spacy.util.load_config(CNN, overrides=overrides))
    config = spacy.util.load_config(CNN, overrides=overrides)
    config["pretraining"] = {}
    without_block = init_nlp(config)
    written = _params(nlp.get_pipe("tok2vec").model)
    assert len(written) == len(_params(without_block.get_pipe("tok2vec").model)) > 0
    assert all(numpy.array_equal(a, b) for a, b in zip(written, _params(with_block.get_pipe("tok2vec").model)))
    assert not all(numpy.array_equal(a, b) for a, b in zip(written, _params(without_block.get_pipe("tok2vec").model)))


# ----------------------------------------------------------------- scripts/pretrain.py (parallel-train)
PRETRAIN = REPO / "scripts" / "pretrain.py"


def _pairs(mafand_dir: Path, out: Path, n: int = 150) -> Path:
    from spacy_xproj.corpus.jsonl import write_pairs

    write_pairs(out, islice(read_mafand(mafand_dir / "en-hau" / "dev.jsonl", tgt_lang="hau"), n))
    return out


def _pretrain(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(PRETRAIN), *map(str, args)], capture_output=True, text=True)


def _empty_docbin(out: Path) -> Path:
    from spacy.tokens import DocBin

    DocBin().to_disk(out)
    return out


def test_pretrain_script_without_gold_sentences_pretrains_and_the_training_config_starts_there(
        tmp_path, mafand_dir, masakhaner_dir):
    pairs = _pairs(mafand_dir, tmp_path / "pairs.jsonl")
    gold = _empty_docbin(tmp_path / "source_gold.spacy")
    out = tmp_path / "pretrain"
    args = (pairs, out, "--config", CNN, "--epochs", "auto", "--gold", gold, "--nlp.lang", "xx",
            "--pretraining.max_epochs", "2")
    run = _pretrain(*args)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 epochs (pretrain_epochs auto: no gold source sentences" in run.stdout
    weights = out / "model-last.bin"
    assert [p.name for p in out.glob("*.bin")] == ["model-last.bin"]  # the epochs' checkpoints removed
    assert len((out / "text.jsonl").read_text(encoding="utf8").splitlines()) == 150

    # the training config the workflow trains with loads exactly these weights
    docbin = _gold_docbin(masakhaner_dir, tmp_path / "train.spacy")
    config = spacy.util.load_config(out / "train.cfg", overrides={"paths.train": str(docbin), "paths.dev": str(docbin)})
    assert config["paths"]["init_tok2vec"] == str(weights)
    started = init_nlp(config)
    pretrained = spacy.util.load_model_from_config(spacy.util.load_config(CNN), auto_fill=True).get_pipe("tok2vec").model
    pretrained.initialize()
    expected = _params(pretrained.from_bytes(weights.read_bytes()))
    assert all(numpy.array_equal(a, b) for a, b in zip(expected, _params(started.get_pipe("tok2vec").model)))

    # finished: reused as it is
    stamp = weights.stat().st_mtime_ns
    again = _pretrain(*args)
    assert again.returncode == 0 and "reused" in again.stdout and weights.stat().st_mtime_ns == stamp

    # interrupted after the checkpoint of the first epoch: continues with the second
    weights.rename(out / "model0.bin")
    resumed = _pretrain(*args)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "Resuming from epoch: 1" in resumed.stdout and "starting at epoch 1" in resumed.stdout
    assert [p.name for p in out.glob("*.bin")] == ["model-last.bin"]

    # other epochs: from scratch
    longer = _pretrain(*args[:-1], "3")
    assert longer.returncode == 0 and "starting at epoch 0" in longer.stdout and weights.stat().st_mtime_ns != stamp


def test_pretrain_script_beside_gold_sentences_or_without_a_pretraining_block_is_off(tmp_path, mafand_dir,
                                                                                    masakhaner_dir):
    pairs = _pairs(mafand_dir, tmp_path / "pairs.jsonl", n=20)
    gold = _gold_docbin(masakhaner_dir, tmp_path / "source_gold.spacy")
    out = tmp_path / "pretrain"
    run = _pretrain(pairs, out, "--config", CNN, "--epochs", "auto", "--gold", gold)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "off (pretrain_epochs auto:" in run.stdout and "gold source sentences in the training data" in run.stdout
    assert (out / "train.cfg").read_bytes() == CNN.read_bytes()
    assert not list(out.glob("*.bin"))

    transformer = REPO / "configs" / "transformer.cfg"
    empty = _empty_docbin(tmp_path / "none.spacy")
    run = _pretrain(pairs, out, "--config", transformer, "--epochs", "auto", "--gold", empty)
    assert run.returncode == 0 and "has no [pretraining] block" in run.stdout
    assert (out / "train.cfg").read_bytes() == transformer.read_bytes()
    refused = _pretrain(pairs, out, "--config", transformer, "--epochs", "5", "--gold", empty)
    assert refused.returncode != 0 and "pretrain_epochs 5" in refused.stderr and "[pretraining]" in refused.stderr
    for bad in ("-1", "many"):
        refused = _pretrain(pairs, out, "--config", CNN, "--epochs", bad)
        assert refused.returncode != 0 and "pretrain_epochs must be 'auto' or a number of epochs" in refused.stderr
    off = _pretrain(pairs, out, "--config", CNN, "--epochs", "0")
    assert off.returncode == 0 and "off (pretrain_epochs 0)" in off.stdout


def test_pretrain_auto_epochs_are_bounded_by_the_words_of_the_text():
    sys.path.insert(0, str(REPO / "scripts"))
    import pretrain

    config = spacy.util.load_config(CNN, interpolate=False)
    assert pretrain.resolve_epochs("auto", config, 0, 150_000)[0] == 40  # the measured texts: the config's 40
    n, why = pretrain.resolve_epochs("auto", config, 0, 2_000_000)
    assert n == pretrain.AUTO_WORDS // 2_000_000 == 4 and "2,000,000 words" in why
    assert pretrain.resolve_epochs("auto", config, 0, 50_000_000)[0] == 1
    assert pretrain.resolve_epochs("auto", config, 10, 150_000)[0] == 0
    assert pretrain.resolve_epochs(7, config, 10, 50_000_000)[0] == 7  # an explicit number is taken as it is

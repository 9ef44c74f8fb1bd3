"""``xproj align --back-translate CFG``: the CLI path of the back-translation refinement.

* with a registered counting translator (in process): a file that spans several batches is
  back-translated once, sentence by sentence, and never read whole;
* with the tiny local M2M-100 model through ``spacy-xproj.HFTranslator.v1`` (a subprocess, the way a
  user runs it): the command finishes and writes the back-translated pairs;
* bad options end in one ``error:`` line.
"""
from __future__ import annotations

from pathlib import Path
from typing import List

import pytest
from typer.testing import CliRunner

from conftest import require_module
from resume_util import xproj
from spacy_xproj.cli.app import app
from spacy_xproj.corpus.jsonl import read_pairs, write_pairs
from spacy_xproj.registry import translators
from spacy_xproj.types import Entity, Pair, Side

CALLS: List[List[str]] = []


@translators.register("test-xproj.CountingTranslator.v1")
def _counting_translator() -> object:
    class Counting:
        """Upper-cases texts; ``__call__`` takes the texts only, like ``HFTranslator``."""

        def __call__(self, texts: List[str]) -> List[str]:
            raise AssertionError("back-translation must call translate(texts, src, tgt)")

        def translate(self, texts: List[str], src_lang: str, tgt_lang: str) -> List[str]:
            CALLS.append(list(texts))
            return [t.upper() for t in texts]

    return Counting()


def _pairs(n: int) -> List[Pair]:
    return [
        Pair(
            f"p{k}",
            Side("en", ["Merkel", "met", f"guest{k}", "in", "Paris", "."], [Entity(0, 1, "PER"), Entity(4, 5, "LOC")]),
            Side("de", ["MERKEL", "traf", f"GUEST{k}", "in", "PARIS", "."]),
        )
        for k in range(n)
    ]


@pytest.fixture()
def counting_cfg(tmp_path: Path) -> Path:
    cfg = tmp_path / "bt.cfg"
    cfg.write_text('[translator]\n@xproj_translators = "test-xproj.CountingTranslator.v1"\n', encoding="utf8")
    return cfg


def _invoke(*args: str):
    return CliRunner().invoke(app, ["align", *args, "--no-progress"])


@pytest.mark.parametrize("init_input", [True, False])
def test_multi_batch_file_is_back_translated_once(tmp_path: Path, counting_cfg: Path, init_input: bool) -> None:
    require_module("eflomal")
    src = tmp_path / "in.jsonl"
    write_pairs(src, _pairs(12))
    out = tmp_path / "out.jsonl"
    CALLS.clear()
    flag = "--init-input" if init_input else "--no-init-input"
    result = _invoke(str(src), str(out), "--back-translate", str(counting_cfg), "--batch-size", "5", flag)
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert "12 in, 12 out" in result.output
    marked = [t for call in CALLS for t in call if t.startswith("[")]
    # every marked sentence translated exactly once, in batches no larger than --batch-size
    assert sorted(marked) == sorted(f"[Merkel] met guest{k} in [Paris]." for k in range(12))
    assert max(len(call) for call in CALLS) <= 2 * 5
    assert len(CALLS) == 2 * 3  # 3 batches, one call for sentences + one for entities each
    got = list(read_pairs(out))
    assert [p.id for p in got] == [f"p{k}" for k in range(12)]
    first = got[0]
    assert first.src.lang == "de" and first.src.words[:2] == ["MERKEL", "MET"]
    assert first.src.ents == [Entity(0, 1, "PER"), Entity(4, 5, "LOC")]
    assert first.meta["back_translation"]["src_lang"] == "en"
    assert first.meta["aligner"].get("initialized_on") == ("input" if init_input else None)
    assert not [f for f in tmp_path.iterdir() if f.name.endswith(".bt.jsonl")]  # temp file removed


@pytest.mark.slow
def test_back_translate_with_tiny_hf_model_end_to_end(tmp_path_factory, tmp_path: Path) -> None:
    require_module("eflomal")
    require_module("transformers")
    require_module("torch")
    from tiny_seq2seq import build_m2m100, train_spm

    folder = tmp_path_factory.getbasetemp() / "tiny_models"
    model = build_m2m100(folder / "m2m100", train_spm(folder / "spm"))
    cfg = tmp_path / "bt.cfg"
    cfg.write_text(
        "[translator]\n"
        '@xproj_translators = "spacy-xproj.HFTranslator.v1"\n'
        f'model = "{model}"\nsrc_lang = "en"\ntgt_lang = "de"\nmax_length = 8\n',
        encoding="utf8",
    )
    src = tmp_path / "in.jsonl"
    write_pairs(src, _pairs(6))
    out = tmp_path / "out.jsonl"
    r = xproj(["align", str(src), str(out), "--back-translate", str(cfg), "--batch-size", "4", "--no-progress"])
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Traceback" not in r.stderr
    got = list(read_pairs(out))
    assert [p.id for p in got] == [f"p{k}" for k in range(6)]
    for p in got:
        assert p.src.lang == "de" and p.tgt.words[0] == "MERKEL"
        assert set(p.meta["back_translation"]) == {"src_lang", "text", "unmatched_markers", "missing_entities"}
        assert p.meta["aligner"]["initialized_on"] == "input"
        p.validate()


@pytest.mark.parametrize(
    "bad, message",
    [
        (["--back-translate", "missing.cfg"], "missing.cfg: translator config file not found"),
        (["--config", "missing.cfg"], "missing.cfg: aligner config file not found"),
        (["--batch-size", "0"], "--batch-size must be at least 1"),
    ],
)
def test_bad_options_raise_a_user_error(tmp_path: Path, bad: List[str], message: str) -> None:
    from spacy_xproj.errors import XprojError

    src = tmp_path / "in.jsonl"
    write_pairs(src, _pairs(2))
    result = _invoke(str(src), str(tmp_path / "out.jsonl"), *bad)
    assert isinstance(result.exception, XprojError), repr(result.exception)
    assert message in str(result.exception) and "\n" not in str(result.exception)


def test_bad_option_ends_in_one_error_line(tmp_path: Path) -> None:
    """The console script prints user errors as one ``error:`` line (no traceback)."""
    cfg = tmp_path / "bt.cfg"
    cfg.write_text("[nothing]\n", encoding="utf8")
    src = tmp_path / "in.jsonl"
    write_pairs(src, _pairs(2))
    r = xproj(["align", str(src), str(tmp_path / "out.jsonl"), "--back-translate", str(cfg)], timeout=120)
    assert r.returncode == 1 and r.stderr.strip().splitlines() == [
        f"error: {cfg}: the config needs a [translator] block with @xproj_translators"
    ]


def test_backtranslation_docs_example_prints_what_the_docs_say(tmp_path: Path) -> None:
    import re
    import subprocess
    import sys

    text = (Path(__file__).resolve().parents[1] / "docs" / "backtranslation.md").read_text(encoding="utf8")
    (code,) = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    printed = re.search(r"It prints.*?```text\n(.*?)```", text, flags=re.S)
    assert printed is not None
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf8")
    r = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout == printed.group(1)

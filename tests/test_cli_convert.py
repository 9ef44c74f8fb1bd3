"""``xproj convert`` through the CLI code path: byte-identical MasakhaNER round trips and friends."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spacy_xproj.cli.app import app
from spacy_xproj.corpus.jsonl import read_pairs
from spacy_xproj.errors import InputError

runner = CliRunner()
LANGS = ["hau", "ibo", "swa", "yor", "zul"]
SPLITS = ["train", "dev", "test"]


def run(*args: str):
    result = runner.invoke(app, ["convert", *args, "--no-progress"])
    return result


@pytest.mark.parametrize("lang", LANGS)
def test_masakhaner_round_trip_is_byte_identical(tmp_path: Path, masakhaner_dir: Path, lang: str) -> None:
    for split in SPLITS:
        src = masakhaner_dir / lang / f"{split}.txt"
        pairs_path = tmp_path / f"{lang}_{split}.jsonl"
        back = tmp_path / f"{lang}_{split}.txt"
        r1 = run(str(src), str(pairs_path), "--from", "conll", "--to", "pairs", "--tgt-lang", lang)
        assert r1.exit_code == 0, r1.output
        r2 = run(str(pairs_path), str(back), "--from", "pairs", "--to", "conll")
        assert r2.exit_code == 0, r2.output
        assert back.read_bytes() == src.read_bytes(), f"{lang}/{split} differs after the round trip"
        n_sents = src.read_text(encoding="utf8").count("\n\n")
        assert f"{n_sents} in, {n_sents} out" in r1.output and f"{n_sents} in, {n_sents} out" in r2.output
        first = next(read_pairs(pairs_path))
        assert first.id == f"{lang}/{split}/0" and first.tgt.lang == lang and first.src.words == []


def test_europarl_to_pairs_and_each_side_back(tmp_path: Path, europarl_dir: Path) -> None:
    out = tmp_path / "europarl.jsonl"
    r = run(str(europarl_dir), str(out), "--from", "europarl", "--to", "pairs", "--src-lang", "en", "--tgt-lang", "de")
    assert r.exit_code == 0, r.output
    pairs = list(read_pairs(out))
    assert len(pairs) == 799
    assert sum(len(p.src.ents) for p in pairs) == 702 and sum(len(p.tgt.ents) for p in pairs) == 693
    for side, lang in (("src", "en"), ("tgt", "de")):
        back = tmp_path / f"{lang}.conll02"
        r = run(str(out), str(back), "--from", "pairs", "--to", "conll", "--side", side)
        assert r.exit_code == 0, r.output
        assert back.read_bytes() == (europarl_dir / f"{lang}-europarl.test.conll02").read_bytes()


def test_sep_override_and_side_src(tmp_path: Path) -> None:
    src = tmp_path / "a.txt"
    src.write_text("John B-PER\nran O\n\n", encoding="utf8")
    pairs = tmp_path / "a.jsonl"
    assert run(str(src), str(pairs), "--from", "conll", "--to", "pairs", "--side", "src").exit_code == 0
    p = next(read_pairs(pairs))
    assert p.src.lang == "en" and p.src.words == ["John", "ran"] and p.tgt.words == []
    out = tmp_path / "b.txt"
    assert run(str(pairs), str(out), "--from", "pairs", "--to", "conll", "--side", "src", "--sep", "tab").exit_code == 0
    assert out.read_text() == "John\tB-PER\nran\tO\n\n"


def test_mafand_to_pairs(tmp_path: Path, mafand_dir: Path) -> None:
    out = tmp_path / "m.jsonl"
    r = run(str(mafand_dir / "en-zul" / "test.jsonl"), str(out), "--from", "mafand", "--to", "pairs")
    assert r.exit_code == 0, r.output
    pairs = list(read_pairs(out))
    n_lines = sum(1 for _ in (mafand_dir / "en-zul" / "test.jsonl").open(encoding="utf8"))
    assert len(pairs) == n_lines == 998
    assert pairs[0].id == "mafand/en-zul/test/0" and pairs[0].tgt.lang == "zul"
    assert all(p.src.words and p.tgt.words and not p.src.ents for p in pairs)
    assert all(w.strip() == w and w for p in pairs for w in p.src.words + p.tgt.words)


def test_mafand_to_text_for_pretraining(tmp_path: Path, mafand_dir: Path) -> None:
    """Raw text of one side, one {"text": ...} per pair, for `spacy pretrain`."""
    src = mafand_dir / "en-zul" / "test.jsonl"
    pairs, tgt_text, src_text = tmp_path / "m.jsonl", tmp_path / "zul.jsonl", tmp_path / "en.jsonl"
    assert run(str(src), str(pairs), "--from", "mafand", "--to", "pairs").exit_code == 0
    r = run(str(src), str(tgt_text), "--from", "mafand", "--to", "text", "--tgt-lang", "zul")
    assert r.exit_code == 0, r.output
    assert "998 in, 998 out" in r.output
    assert run(str(pairs), str(src_text), "--from", "pairs", "--to", "text", "--side", "src").exit_code == 0
    expected = list(read_pairs(pairs))
    tgt_lines = [json.loads(line) for line in tgt_text.read_text(encoding="utf8").splitlines()]
    src_lines = [json.loads(line) for line in src_text.read_text(encoding="utf8").splitlines()]
    assert len(tgt_lines) == len(src_lines) == len(expected) == 998
    assert [d["text"].split(" ") for d in tgt_lines] == [p.tgt.words for p in expected]
    assert [d["text"].split(" ") for d in src_lines] == [p.src.words for p in expected]
    assert tgt_lines[0] != src_lines[0] and set(tgt_lines[0]) == {"text"}


def test_docbin_round_trip_via_cli(tmp_path: Path) -> None:
    src = tmp_path / "a.txt"
    src.write_text("John B-PER\nSmith I-PER\nin O\nParis B-LOC\n\nno O\nents O\n\n", encoding="utf8")
    pairs, spacy_file, back_pairs, back = (tmp_path / n for n in ("a.jsonl", "a.spacy", "b.jsonl", "b.txt"))
    assert run(str(src), str(pairs), "--from", "conll", "--to", "pairs", "--tgt-lang", "de").exit_code == 0
    assert run(str(pairs), str(spacy_file), "--from", "pairs", "--to", "docbin").exit_code == 0
    r = run(str(spacy_file), str(back_pairs), "--from", "docbin", "--to", "pairs", "--tgt-lang", "de")
    assert r.exit_code == 0, r.output
    a, b = list(read_pairs(pairs)), list(read_pairs(back_pairs))
    assert [(p.id, p.tgt.words, p.tgt.ents) for p in a] == [(p.id, p.tgt.words, p.tgt.ents) for p in b]
    assert run(str(back_pairs), str(back), "--from", "pairs", "--to", "conll").exit_code == 0
    assert back.read_text() == src.read_text()


def test_bad_input_stops_with_location(tmp_path: Path) -> None:
    src = tmp_path / "bad.txt"
    src.write_text("a O\nb X-PER\n\n", encoding="utf8")
    out = tmp_path / "out.jsonl"
    r = run(str(src), str(out), "--from", "conll", "--to", "pairs", "--tgt-lang", "de")
    assert r.exit_code != 0 and isinstance(r.exception, InputError)
    assert "line 2" in str(r.exception) and "X-PER" in str(r.exception)
    assert not out.exists() and not list(tmp_path.glob("*.tmp"))  # atomic: no partial output
    r = run(str(src), str(out), "--from", "conll", "--to", "pairs")
    assert isinstance(r.exception, InputError) and "--tgt-lang" in str(r.exception)


def test_main_prints_one_line_error(tmp_path: Path) -> None:
    import subprocess
    import sys

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"v": 1, "id": "a"\n', encoding="utf8")
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from spacy_xproj.cli.app import main; sys.argv=['xproj']+sys.argv[1:]; main()",
         "convert", str(bad), str(tmp_path / "o.txt"), "--from", "pairs", "--to", "conll", "--no-progress"],
        capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1],
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "line 1" in proc.stderr and "invalid JSON" in proc.stderr

"""HF translator, cache, xproj_translator component and ``xproj translate`` with tiny local models."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import spacy
import torch
from typer.testing import CliRunner

import spacy_xproj  # noqa: F401  (registers the factories)
from spacy_xproj.cli.app import app
from spacy_xproj.cli.translate import run_translate
from spacy_xproj.corpus.jsonl import read_pairs, write_pairs
from spacy_xproj.errors import ConfigError, InputError
from spacy_xproj.runner import RunSummary
from spacy_xproj.translate.cache import TranslationCache
from spacy_xproj.translate.component import translate_pairs
from spacy_xproj.translate.hf import make_hf_translator
from spacy_xproj.types import Entity, Pair, Side

from tiny_seq2seq import build_all

torch.set_num_threads(1)

EN = [
    "The president visited Abuja on Monday.",
    "He met the minister of health.",
    "Nigeria is a country in West Africa.",
    "Hello",
    "The clear phenomena are the cause of this trust.",
    "No, the people trust the government.",
]


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    return build_all(tmp_path_factory.getbasetemp() / "tiny_models")


def _tr(tiny, kind="nllb", **kw):
    kw.setdefault("max_length", 10)
    return make_hf_translator(str(tiny[kind]), kw.pop("src", "en"), kw.pop("tgt", "hau"), **kw)


@pytest.mark.parametrize("kind,expected", [("nllb", "nllb"), ("m2m100", "m2m100"), ("marian", "marian"), ("marian_multi", "marian")])
def test_every_model_kind_translates(tiny, kind, expected):
    t = _tr(tiny, kind)
    assert t.loaded().kind == expected
    out = t(EN[:3] + [""])
    assert len(out) == 4 and all(isinstance(o, str) for o in out)
    assert all(o.strip() for o in out[:3]) and out[3] == ""
    if expected in ("nllb", "m2m100"):  # language tokens never leak into the text
        assert not any("_Latn" in o or "__ha__" in o for o in out)


def test_language_codes_reach_the_model(tiny):
    t = _tr(tiny, "nllb")
    lm = t.loaded()
    assert lm.lang_code("hau") == "hau_Latn" and lm.lang_code("sw") == "swh_Latn"
    assert lm.lang_token_id("hau_Latn") == lm.tokenizer.convert_tokens_to_ids("hau_Latn")
    m = _tr(tiny, "m2m100").loaded()
    assert m.lang_code("hau") == "ha" and m.lang_token_id("ha") == m.tokenizer.get_lang_id("ha")
    mm = _tr(tiny, "marian_multi").loaded()
    assert mm.lang_code("hau") == ">>hau<<" and _tr(tiny, "marian").loaded().lang_code("hau") == ""
    # The forced target token changes the output (the model is conditioned on it).
    assert t.translate(EN[:3], "en", "hau") != t.translate(EN[:3], "en", "yor")


def test_output_order_does_not_depend_on_input_order(tiny):
    t = _tr(tiny, "nllb", batch_size=2)
    forward = t(EN)
    backward = t(list(reversed(EN)))
    assert backward == list(reversed(forward))
    assert len(set(forward)) > 1  # the tiny model does react to its input
    one_by_one = _tr(tiny, "nllb", batch_size=1)
    assert [one_by_one([x])[0] for x in EN] == _tr(tiny, "nllb", batch_size=1)(EN)


def test_translate_words_detokenises_and_splits(tiny):
    t = _tr(tiny, "nllb")
    words = t.translate_words([["He", "met", "the", "minister", "."]])
    assert words[0] == [w for w in words[0] if w.strip()]
    text = t(["He met the minister."])[0]
    assert words[0] == spacy_xproj.translate.languages.split_words(text, "hau")[0]


def test_cache_hits_and_persistence(tiny, tmp_path):
    db = tmp_path / "cache.sqlite"
    t1 = _tr(tiny, "nllb", cache=str(db))
    first = t1(EN[:4] + [EN[0]])
    assert t1.misses == 4 and t1.hits == 1  # the repeated sentence is translated once
    t2 = make_hf_translator(str(tiny["nllb"]), "en", "hau", max_length=10, cache=TranslationCache(db))
    assert t2(EN[:4]) == first[:4]
    assert t2.hits == 4 and t2.misses == 0
    # Different generation settings or direction are different keys.
    t3 = make_hf_translator(str(tiny["nllb"]), "en", "hau", max_length=9, cache=TranslationCache(db))
    t3(EN[:1])
    assert t3.misses == 1
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        rows = con.execute("SELECT src, tgt, settings FROM translations").fetchall()
    assert {r[:2] for r in rows} == {("eng_Latn", "hau_Latn")}
    assert {json.loads(r[2])["max_length"] for r in rows} == {9, 10}


def test_translator_validates_config_before_work(tiny):
    with pytest.raises(ConfigError, match="did you mean"):
        make_hf_translator(str(tiny["nllb"]), "en", "hua")
    with pytest.raises(ConfigError, match="batch_size"):
        make_hf_translator(str(tiny["nllb"]), "en", "hau", batch_size=0)
    with pytest.raises(ConfigError, match="cannot load"):
        make_hf_translator(str(Path(tiny["nllb"]).parent / "missing"), "en", "hau")(["x"])
    with pytest.raises(ConfigError, match="M2M-100 does not cover"):
        _tr(tiny, "m2m100", tgt="fon")(["x"])


def test_registered_translator_and_component(tiny, tmp_path):
    nlp = spacy.blank("en")
    nlp.add_pipe(
        "xproj_translator",
        config={"translator": {"model": str(tiny["nllb"]), "src_lang": "en", "tgt_lang": "hau", "max_length": 10}},
    )
    docs = list(nlp.pipe(EN[:3], batch_size=2))
    direct = _tr(tiny, "nllb")
    for doc in docs:
        tr = doc._.xproj_translation
        assert tr is not None and tr.user_data["xproj_lang"] == "hau"
        expected = direct([spacy_xproj.translate.languages.detokenize([t.text for t in doc], "en")])[0]
        assert [t.text for t in tr] == spacy_xproj.translate.languages.split_words(expected, "hau")[0]
        assert doc._.xproj_alignment is None
    nlp.to_disk(tmp_path / "pipe")
    nlp2 = spacy.load(tmp_path / "pipe")
    assert nlp2(EN[0])._.xproj_translation.text == docs[0]._.xproj_translation.text


def test_component_keeps_existing_translation_without_overwrite(tiny):
    nlp = spacy.blank("en")
    nlp.add_pipe("xproj_translator", config={"translator": {"model": str(tiny["nllb"]), "max_length": 10}, "overwrite": False})
    doc = nlp.make_doc("Hello there")
    doc._.xproj_translation = spacy.blank("xx")("kept")
    assert nlp(doc)._.xproj_translation.text == "kept"


def _pairs(n=10):
    pairs = []
    for i in range(n):
        en = EN[i % len(EN)].rstrip(".").split() + ["."]
        if i % 3 == 2:  # translate-test record: only the target side
            pairs.append(Pair(f"p{i}", Side("en", []), Side("hau", ["Shugaba", "ya", "ziyarci", "Abuja", str(i)])))
        else:
            pairs.append(Pair(f"p{i}", Side("en", en, [Entity(0, 1, "PER")]), Side("hau", [])))
    return pairs


def test_translate_pairs_fill_empty_directions(tiny):
    t = _tr(tiny, "nllb")
    warnings = []
    pairs = _pairs(6) + [Pair("both", Side("en", ["a"]), Side("hau", ["b"])), Pair("none", Side("en", []), Side("hau", []))]
    out = translate_pairs(pairs, t, "en", "hau", "fill-empty", warn=warnings.append)
    assert [p.id for p in out] == [p.id for p in pairs]
    for before, after in zip(pairs, out):
        if before.id in ("both", "none"):
            assert after is before
        elif before.tgt.words:  # translate-test: English filled in, target untouched
            assert after.src.words and after.src.lang == "en" and after.tgt == before.tgt
            assert after.meta["translated"] == "tgt2src"
        else:
            assert after.tgt.words and after.tgt.lang == "hau" and after.src == before.src
            assert after.meta["translated"] == "src2tgt"
    assert sorted(warnings) == ["both sides empty, unchanged", "both sides filled, unchanged"]
    forced = translate_pairs(pairs[6:7], t, "en", "hau", "src2tgt")[0]
    assert forced.tgt.words != ["b"] and forced.alignment is None
    with pytest.raises(InputError, match="record 'x'"):
        translate_pairs([Pair("x", Side("de", ["Hallo"]), Side("hau", []))], t, "en", "hau")


def _interrupting(translator, fail_after):
    class Boom(Exception):
        pass

    calls = {"n": 0}
    original = translator.translate

    def translate(texts, s, t):
        calls["n"] += 1
        if calls["n"] > fail_after:
            raise Boom("interrupted")
        return original(texts, s, t)

    translator.translate = translate
    return Boom


def test_resume_after_interruption_gives_identical_output(tiny, tmp_path):
    src = tmp_path / "in.jsonl"
    write_pairs(src, _pairs(24))
    full = tmp_path / "full.jsonl"
    run_translate(src, full, _tr(tiny, "nllb"), "en", "hau", "fill-empty", RunSummary("translate"), batch_size=2)

    part = tmp_path / "part.jsonl"
    cache = tmp_path / "c.sqlite"
    t = _tr(tiny, "nllb", cache=str(cache))
    boom = _interrupting(t, fail_after=3)
    with pytest.raises(boom):
        run_translate(src, part, t, "en", "hau", "fill-empty", RunSummary("translate"), batch_size=2)
    done = len(part.read_text().splitlines())
    assert 0 < done < 24
    with part.open("a", encoding="utf8") as fh:  # a half-written line, as after a kill
        fh.write('{"v":1,"id":"p9","src":{"lang":"en","wor')
    summary = RunSummary("translate")
    run_translate(src, part, _tr(tiny, "nllb", cache=str(cache)), "en", "hau", "fill-empty", summary, batch_size=2)
    assert part.read_bytes() == full.read_bytes()
    assert summary.skipped == done and summary.records_out == 24


def test_cli_translate_pairs_and_cache_counts(tiny, tmp_path):
    src = tmp_path / "in.jsonl"
    write_pairs(src, _pairs(8))
    cache = tmp_path / "cache.sqlite"
    args = ["translate", str(src), "OUT", "--model", str(tiny["nllb"]), "--src", "en", "--tgt", "hau",
            "--cache", str(cache), "--max-length", "10", "--batch-size", "3", "--no-progress"]
    runner = CliRunner()
    r1 = runner.invoke(app, [a if a != "OUT" else str(tmp_path / "o1.jsonl") for a in args])
    assert r1.exit_code == 0, r1.output
    n_unique = len({" ".join(p.src.words or p.tgt.words) for p in _pairs(8)})
    assert n_unique < 8  # repeated sentences are translated once, the repeats count as cached
    assert "8 in, 8 out" in r1.output and f"; {8 - n_unique} cached" in r1.output
    r2 = runner.invoke(app, [a if a != "OUT" else str(tmp_path / "o2.jsonl") for a in args])
    assert r2.exit_code == 0, r2.output
    assert "; 8 cached" in r2.output  # the second run translates nothing
    assert (tmp_path / "o1.jsonl").read_bytes() == (tmp_path / "o2.jsonl").read_bytes()
    out = list(read_pairs(tmp_path / "o1.jsonl"))
    assert all(p.src.words and p.tgt.words for p in out)
    # rerunning on a finished output skips everything
    r3 = runner.invoke(app, [a if a != "OUT" else str(tmp_path / "o1.jsonl") for a in args])
    assert "8 skipped" in r3.output


def test_cli_translate_raw_text(tiny, tmp_path):
    text = tmp_path / "hau.txt"
    text.write_text("Shugaba Buhari ya ziyarci Abuja.\n\nSannu da zuwa.\n", encoding="utf8")
    out = tmp_path / "out.jsonl"
    base = ["translate", str(text), str(out), "--model", str(tiny["m2m100"]), "--src", "en", "--tgt", "hau", "--max-length", "8", "--no-progress"]
    r = CliRunner().invoke(app, base + ["--direction", "tgt2src"])
    assert r.exit_code == 0, r.output
    pairs = list(read_pairs(out))
    assert [p.id for p in pairs] == ["hau/1", "hau/2", "hau/3"]
    assert pairs[0].tgt.words == ["Shugaba", "Buhari", "ya", "ziyarci", "Abuja", "."]
    assert pairs[0].src.lang == "en" and pairs[0].src.words
    assert pairs[1].tgt.words == [] and pairs[1].src.words == []  # empty line kept, not dropped
    r = CliRunner().invoke(app, base[:2] + [str(tmp_path / "o2.jsonl")] + base[3:])
    assert r.exit_code != 0 and "needs --direction" in str(r.exception)


def test_cli_translate_bad_language_fails_before_work(tiny, tmp_path):
    src = tmp_path / "in.jsonl"
    write_pairs(src, _pairs(2))
    r = CliRunner().invoke(app, ["translate", str(src), str(tmp_path / "o.jsonl"), "--model", str(tiny["nllb"]), "--tgt", "hua", "--no-progress"])
    assert r.exit_code != 0 and "did you mean" in str(r.exception)
    assert not (tmp_path / "o.jsonl").exists()

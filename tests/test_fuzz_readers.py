"""Fuzz the corpus readers: CoNLL/IOB, Europarl-NER, MAFAND-MT and the pair JSONL loader.

Every outcome must be either a valid result (records in = records out, in order, ids preserved,
spans inside their sentence; CoNLL files written back byte for byte) or an ``InputError`` that names
the file and the line (and the record where there is one). Anything else — another exception type,
a dropped or merged sentence — fails the test.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import List, Tuple

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from fuzz_strategies import LABELS, entities_for, fuzz_settings, word, words
from spacy_xproj.corpus.conll import read_conll, read_conll_sentences, tags_to_entities, write_conll
from spacy_xproj.corpus.europarl import europarl_file, read_europarl
from spacy_xproj.corpus.jsonl import dumps_pair, read_pairs
from spacy_xproj.corpus.mafand import read_mafand
from spacy_xproj.errors import InputError
from spacy_xproj.types import Alignment, Pair, Side


def _tmp(base: Path) -> Path:
    """A fresh folder per hypothesis example inside pytest's ``tmp_path`` (cleaned up by pytest)."""
    return Path(tempfile.mkdtemp(prefix="ex-", dir=base))


# ----------------------------------------------------------------------------- CoNLL
tag = st.one_of(
    st.just("O"),
    st.builds(lambda p, l: f"{p}-{l}", st.sampled_from("BI"), st.sampled_from(LABELS)),
)
sentence = st.lists(st.tuples(word, tag), min_size=1, max_size=10)

# Lines that are malformed wherever they stand (given a separator), with the problem they show.
BAD_LINES = [
    (lambda sep: " ", "whitespace-only"),
    (lambda sep: "\t ", "whitespace-only"),
    (lambda sep: f"tok{sep}O\r", "carriage return"),
    (lambda sep: f"tok{sep}X-PER", "unknown tag form"),
    (lambda sep: f"tok{sep}B-", "unknown tag form"),
    (lambda sep: f"tok{sep}E-PER", "unknown tag form"),
    (lambda sep: f"tok{sep}per", "unknown tag form"),
    (lambda sep: f"{sep}O", "empty token"),
    (lambda sep: "tok", "column"),
    (lambda sep: f"to k{sep}O" if sep == "\t" else "to\u00a0k O", "whitespace"),
    (lambda sep: f"tok\u2028x{sep}O", "whitespace"),
]


def _render(sents: List[List[Tuple[str, str]]], sep: str, docstart: bool) -> str:
    blocks = []
    if docstart:
        blocks.append(f"-DOCSTART-{sep}O")
    for s in sents:
        blocks.append("\n".join(f"{w}{sep}{t}" for w, t in s))
    return "\n\n".join(blocks) + "\n"


@fuzz_settings(150)
@given(sents=st.lists(sentence, min_size=1, max_size=6), sep=st.sampled_from([" ", "\t"]), docstart=st.booleans())
def test_conll_valid_files_read_all_sentences_and_round_trip(tmp_path: Path, sents, sep, docstart) -> None:
    folder = _tmp(tmp_path)
    path = folder / "x.txt"
    text = _render(sents, sep, docstart)
    path.write_text(text, encoding="utf8")
    pairs = list(read_conll(path, "hau"))
    assert len(pairs) == len(sents)  # nothing dropped or merged
    assert [p.id for p in pairs] == [f"{folder.name}/x/{k}" for k in range(len(sents))]
    for p, s in zip(pairs, sents):
        assert p.tgt.words == [w for w, _ in s]
        assert p.tgt.ents == tags_to_entities([t for _, t in s])
        p.validate()
    out = folder / "back.txt"
    assert write_conll(out, pairs) == len(sents)
    assert out.read_bytes() == path.read_bytes()


@fuzz_settings(150)
@given(
    sents=st.lists(sentence, min_size=1, max_size=4),
    sep=st.sampled_from([" ", "\t"]),
    bad=st.integers(0, len(BAD_LINES) - 1),
    where=st.integers(0, 60),
)
def test_conll_malformed_line_is_reported_with_its_line(tmp_path: Path, sents, sep, bad, where) -> None:
    path = _tmp(tmp_path) / "x.txt"
    lines = _render(sents, sep, False).split("\n")[:-1]
    token_lines = [i for i, line in enumerate(lines) if line]
    at = token_lines[where % len(token_lines)]
    make, problem = BAD_LINES[bad]
    lines.insert(at, make(sep))
    path.write_text("\n".join(lines) + "\n", encoding="utf8")
    note(repr(lines[max(0, at - 1) : at + 2]))
    with pytest.raises(InputError) as info:
        list(read_conll(path, "hau"))
    assert info.value.source == path
    assert info.value.line == at + 1
    assert problem in info.value.problem


@fuzz_settings(300)
@given(
    text=st.lists(
        st.sampled_from(["x", "y\u0301", "O", "B-PER", "I-LOC", "B-", "-DOCSTART-", "0", "1", " ", "\t", "\n",
                         "\n\n", "\r", "\u00a0", "\u200d", "\ufeff", "\U0001F600"]),
        max_size=40,
    ).map("".join)
)
def test_conll_random_text_reads_cleanly_or_fails_with_location(tmp_path: Path, text) -> None:
    folder = _tmp(tmp_path)
    path = folder / "x.txt"
    path.write_text(text, encoding="utf8")
    try:
        pairs = list(read_conll(path, "hau"))
    except InputError as err:
        assert err.source == path
        return
    for p in pairs:
        p.validate()
        assert p.tgt.words and all(w and not any(c.isspace() for c in w) for w in p.tgt.words)
    if pairs:  # what the reader accepts, the writer writes back byte for byte
        out = folder / "back.txt"
        write_conll(out, pairs)
        assert out.read_bytes() == path.read_bytes()


def test_conll_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_bytes(b"a O\nb O\n\nc\xff O\n")
    with pytest.raises(InputError) as info:
        list(read_conll_sentences(path))
    assert info.value.line == 4 and "UTF-8" in info.value.problem


# ----------------------------------------------------------------------------- Europarl-NER
@fuzz_settings(40)
@given(src=st.lists(sentence, min_size=1, max_size=5), tgt=st.lists(sentence, min_size=1, max_size=5))
def test_europarl_pairs_by_position_or_refuses(tmp_path: Path, src, tgt) -> None:
    folder = _tmp(tmp_path)
    europarl_file(folder, "en").write_text(_render(src, "\t", False), encoding="utf8")
    europarl_file(folder, "de").write_text(_render(tgt, "\t", False), encoding="utf8")
    if len(src) != len(tgt):
        with pytest.raises(InputError, match="not sentence-parallel"):
            read_europarl(folder)
        return
    pairs = read_europarl(folder)
    assert [p.id for p in pairs] == [f"europarl-ner/en-de/{k}" for k in range(len(src))]
    assert [p.src.words for p in pairs] == [[w for w, _ in s] for s in src]
    assert [p.tgt.words for p in pairs] == [[w for w, _ in s] for s in tgt]


# ----------------------------------------------------------------------------- MAFAND-MT
sentence_text = st.one_of(
    st.lists(word, min_size=1, max_size=8).map(" ".join),
    st.text(max_size=30),  # anything, including whitespace-only and control characters
)
mafand_value = st.one_of(
    st.fixed_dictionaries({"translation": st.fixed_dictionaries({"en": sentence_text, "hau": sentence_text})}),
    st.fixed_dictionaries({"translation": st.dictionaries(st.sampled_from(["en", "hau", "yor"]), sentence_text)}),
    st.fixed_dictionaries({"translation": st.fixed_dictionaries({"en": st.integers(), "hau": sentence_text})}),
    st.lists(st.integers(), max_size=2),
    st.none(),
)
mafand_line = st.one_of(
    mafand_value.map(lambda v: json.dumps(v, ensure_ascii=False)),
    st.sampled_from(["", "{", '{"translation": ', "  "]),
)


@fuzz_settings(60)
@given(lines=st.lists(mafand_line, min_size=1, max_size=8))
def test_mafand_reads_every_line_or_names_the_bad_one(tmp_path: Path, lines) -> None:
    path = _tmp(tmp_path) / "train.json"
    path.write_text("\n".join(lines) + "\n", encoding="utf8")
    try:
        pairs = list(read_mafand(path, "en", "hau", batch_size=3))
    except InputError as err:
        assert err.source == path and err.line is not None and 1 <= err.line <= len(lines)
        return
    assert [p.id for p in pairs] == [f"mafand/en-hau/train/{k}" for k in range(len(lines))]
    for p, line in zip(pairs, lines):
        value = json.loads(line)["translation"]
        assert p.src.words and p.tgt.words  # an accepted sentence is never emptied
        assert all(w and not w.isspace() for w in p.src.words + p.tgt.words)
        assert "".join(p.src.words) == "".join(value["en"].split())  # no text lost or added
        assert "".join(p.tgt.words) == "".join(value["hau"].split())


# ----------------------------------------------------------------------------- pair JSONL
@st.composite
def pairs_strategy(draw) -> List[Pair]:
    out = []
    for k in range(draw(st.integers(1, 5))):
        sw, tw = draw(words), draw(words)
        links = []
        if sw and tw:
            links = draw(st.lists(st.tuples(st.integers(0, len(sw) - 1), st.integers(0, len(tw) - 1)), max_size=8))
        out.append(
            Pair(
                draw(st.sampled_from([f"id/{k}", f"\u05e9/{k}", f"\U0001F600 {k}", f"{k}"])),
                Side("en", sw, draw(entities_for(len(sw), allow_overlap=True))),
                Side("hau", tw, draw(entities_for(len(tw)))),
                Alignment(links) if draw(st.booleans()) else None,
                draw(st.sampled_from([{}, {"note": "\u200d"}])),
            )
        )
    return out


def _mutations(record: dict, n_src: int, n_tgt: int) -> List[Tuple[str, str]]:
    """(mutated line, expected problem) for one record."""
    out = []

    def m(problem: str, **change) -> None:
        rec = json.loads(json.dumps(record))
        for key, value in change.items():
            if "." in key:
                a, b = key.split(".")
                rec[a][b] = value
            else:
                rec[key] = value
        out.append((json.dumps(rec, ensure_ascii=False), problem))

    m("outside the sentence", **{"tgt.ents": [[n_tgt, n_tgt + 1, "PER"]]})
    m("outside the sentence", **{"src.ents": [[-1, 1, "PER"]]})
    m("outside the sentence", **{"src.ents": [[1, 1, "PER"]]})  # empty span
    m("outside the sentences", alignment=[[n_src, 0]])
    m("outside the sentences", alignment=[[0, -1]])
    m("integers", alignment=[[0.5, 0]])
    m("integers", alignment=[[True, 0]])
    m("entity must be", **{"src.ents": [[0, 1, 7]]})
    m("entity must be", **{"src.ents": [[0, 1]]})
    m("list of strings", **{"tgt.words": "abc"})
    m("list of strings", **{"tgt.words": [1, 2]})
    m("schema version", v=2)
    out.append((json.dumps({k: v for k, v in record.items() if k != "tgt"}), "needs the field 'tgt'"))
    out.append((json.dumps({k: v for k, v in record.items() if k != "id"}), "needs an 'id'"))
    out.append((json.dumps(record)[:-3], "invalid JSON"))
    out.append(("", "empty line"))
    out.append(("[1, 2]", "JSON object"))
    return out


@fuzz_settings(150)
@given(pairs=pairs_strategy(), which=st.integers(0, 100), mutation=st.integers(-1, 30))
def test_read_pairs_round_trips_or_names_file_line_and_record(tmp_path: Path, pairs, which, mutation) -> None:
    path = _tmp(tmp_path) / "pairs.jsonl"
    lines = [dumps_pair(p) for p in pairs]
    if mutation < 0:
        path.write_text("\n".join(lines) + "\n", encoding="utf8")
        back = list(read_pairs(path))
        assert [p.to_json() for p in back] == [p.to_json() for p in pairs]
        return
    k = which % len(pairs)
    target = pairs[k]
    options = _mutations(json.loads(lines[k]), len(target.src.words), len(target.tgt.words))
    bad, problem = options[mutation % len(options)]
    lines[k] = bad
    path.write_text("\n".join(lines) + "\n", encoding="utf8")
    with pytest.raises(InputError) as info:
        list(read_pairs(path))
    err = info.value
    assert err.source == path and err.line == k + 1, str(err)
    assert problem in str(err), str(err)
    if problem.startswith("outside"):
        assert err.record == target.id  # record-level problems name the record too


@fuzz_settings(40)
@given(pairs=pairs_strategy())
def test_read_pairs_duplicate_id_is_an_error(tmp_path: Path, pairs) -> None:
    path = _tmp(tmp_path) / "pairs.jsonl"
    pairs = pairs + [pairs[0]]
    path.write_text("".join(dumps_pair(p) + "\n" for p in pairs), encoding="utf8")
    with pytest.raises(InputError, match="duplicate id") as info:
        list(read_pairs(path))
    assert info.value.line == len(pairs)


json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=10,
)
almost_pair = st.fixed_dictionaries(
    {"id": json_value, "src": json_value, "tgt": json_value},
    optional={"alignment": json_value, "meta": json_value, "v": json_value},
)
side_like = st.fixed_dictionaries(
    {"lang": st.text(max_size=3), "words": st.one_of(words, json_value)},
    optional={
        "ents": st.one_of(json_value, st.lists(st.lists(st.one_of(st.integers(-1, 3), st.booleans(), st.text(max_size=3)), max_size=4), max_size=3)),
        "probs": st.one_of(json_value, st.fixed_dictionaries({"labels": st.lists(st.sampled_from(["O", "B-PER"]), max_size=2), "values": json_value})),
    },
)
pair_like = st.fixed_dictionaries(
    {"id": st.text(max_size=4), "src": side_like, "tgt": side_like},
    optional={"alignment": json_value, "meta": json_value, "probs": json_value},
)


@fuzz_settings(400)
@given(value=st.one_of(json_value, almost_pair, pair_like))
def test_read_pairs_arbitrary_json_never_crashes(tmp_path: Path, value) -> None:
    path = _tmp(tmp_path) / "pairs.jsonl"
    path.write_text(json.dumps(value, ensure_ascii=False) + "\n", encoding="utf8")
    try:
        back = list(read_pairs(path))
    except InputError as err:
        assert err.source == path and err.line == 1
        return
    assert len(back) == 1
    back[0].validate()
    assert back[0].id == value["id"]  # ids are preserved exactly, never coerced
    assert back[0].meta == (value.get("meta") or {})
    for side in ("src", "tgt"):
        got = getattr(back[0], side)
        assert got.lang == value[side]["lang"] and got.words == value[side]["words"]
        if got.probs is not None:
            assert got.probs.probs.shape == (len(got.words), len(got.probs.labels))
    # What is accepted survives a write/read cycle unchanged.
    path.write_text(dumps_pair(back[0]) + "\n", encoding="utf8")
    assert [p.to_json() for p in read_pairs(path)] == [back[0].to_json()]

"""CoNLL/IOB reading and writing: the tag rule, lossless round trips, bad input."""
from __future__ import annotations

import random
from pathlib import Path

import pytest
from seqeval.metrics.sequence_labeling import get_entities

from spacy_xproj.corpus.conll import (
    entities_to_tags,
    parse_tag,
    read_conll,
    read_conll_file,
    tags_to_entities,
    write_conll,
)
from spacy_xproj.errors import InputError
from spacy_xproj.types import Entity, Pair


def _as_seqeval(ents):
    return [(e.label, e.start, e.end - 1) for e in ents]


@pytest.mark.parametrize(
    "tags,expected",
    [
        (["B-PER", "I-PER", "O", "B-LOC"], [(0, 2, "PER"), (3, 4, "LOC")]),
        (["O", "I-PER", "I-PER"], [(1, 3, "PER")]),  # stray I- start opens an entity
        (["B-PER", "I-ORG"], [(0, 1, "PER"), (1, 2, "ORG")]),  # I- of another type opens
        (["B-PER", "B-PER"], [(0, 1, "PER"), (1, 2, "PER")]),  # B- always opens
        (["I-LOC", "I-LOC", "B-LOC", "I-LOC"], [(0, 2, "LOC"), (2, 4, "LOC")]),  # IOB1
        (["I-PER"], [(0, 1, "PER")]),
        ([], []),
    ],
)
def test_tag_rule_examples(tags, expected) -> None:
    ents = tags_to_entities(tags)
    assert [(e.start, e.end, e.label) for e in ents] == expected
    assert _as_seqeval(ents) == get_entities(list(tags))


def test_tag_rule_equals_seqeval_on_random_sequences() -> None:
    rng = random.Random(7)
    vocab = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "I-ORG", "B-A-B", "I-A-B"]
    for _ in range(3000):
        tags = [rng.choice(vocab) for _ in range(rng.randint(0, 12))]
        assert _as_seqeval(tags_to_entities(tags)) == get_entities(tags), tags


def test_canonical_encoding_is_inverse_of_decoding() -> None:
    rng = random.Random(3)
    for _ in range(500):
        tags = [rng.choice(["O", "B-PER", "I-PER", "I-LOC"]) for _ in range(rng.randint(0, 10))]
        ents = tags_to_entities(tags)
        assert tags_to_entities(entities_to_tags(len(tags), ents)) == ents
    with pytest.raises(ValueError, match="overlaps"):
        entities_to_tags(3, [Entity(0, 2, "PER"), Entity(1, 3, "LOC")])


@pytest.mark.parametrize("bad", ["X-PER", "B-", "I-", "E-PER", "S-LOC", "PER", "b-PER", "B-P ER", "", "o"])
def test_parse_tag_rejects_unknown_forms(bad: str) -> None:
    with pytest.raises(ValueError, match="unknown tag form"):
        parse_tag(bad)


def _round_trip(tmp_path: Path, text: str, **kw) -> list:
    src = tmp_path / "in.txt"
    src.write_bytes(text.encode("utf8"))
    pairs = list(read_conll(src, "xx", **kw))
    out = tmp_path / "out.txt"
    assert write_conll(out, pairs, side=kw.get("side", "tgt")) == len(pairs)
    assert out.read_bytes() == src.read_bytes()
    return pairs


@pytest.mark.parametrize(
    "text",
    [
        "a O\nb B-PER\n\nc I-LOC\n\n",  # MasakhaNER style, stray I- start
        "a O\nb B-PER\n\nc O\n",  # single final newline
        "a O\nb B-PER\n\nc O",  # no final newline
        "\n\na O\n\n\n\nb O\n\n\n",  # extra blank lines
        "-DOCSTART- O\n\na B-ORG\n\nb O\n\n-DOCSTART- O\n\nc I-PER\nd B-PER\n\n",  # CoNLL-2003
        "-DOCSTART- -X- -X- O\n\nEU NNP B-NP I-ORG\nrejects VBZ B-VP O\n\n",  # 4-column CoNLL-2003, IOB1
        "0\tJohn\tB-PER\n1\tlives\tO\n\n0\tParis\tI-LOC\n\n",  # WikiNEuRal
        "a\tB-PER\nb\tI-PER\n\n",  # Europarl
        "a O\n\nb O\n\n-DOCSTART- O\n\n",  # docstart after the last sentence
    ],
)
def test_round_trip_is_byte_identical(tmp_path: Path, text: str) -> None:
    _round_trip(tmp_path, text)


def test_meta_and_ids(tmp_path: Path) -> None:
    pairs = _round_trip(tmp_path, "-DOCSTART- O\n\na O\nb I-PER\n\nc B-LOC\n\n", side="src")
    assert [p.id for p in pairs] == ["%s/in/0" % tmp_path.name, "%s/in/1" % tmp_path.name]
    assert pairs[0].src.ents == [Entity(1, 2, "PER")] and pairs[0].tgt.words == []
    m0 = pairs[0].meta["conll"]["src"]
    assert m0["tags"] == ["O", "I-PER"] and m0["before"] == ["-DOCSTART- O", ""]
    assert "tags" not in pairs[1].meta["conll"]["src"]  # canonical tags are not stored


def test_changed_entities_get_canonical_tags(tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_text("a O\nb I-PER\nc O\n\n", encoding="utf8")
    pair = next(read_conll(src, "xx"))
    out = tmp_path / "out.txt"
    write_conll(out, [pair])
    assert out.read_text() == src.read_text()  # original stray tags kept while entities unchanged
    pair.tgt.ents = [Entity(1, 3, "PER")]
    write_conll(out, [pair])
    assert out.read_text() == "a O\nb B-PER\nc I-PER\n\n"


def test_counts_in_equal_counts_out(tmp_path: Path, masakhaner_dir: Path) -> None:
    sents = read_conll_file(masakhaner_dir / "hau" / "dev.txt")
    assert len(sents) == 816
    assert sum(len(s.words) for s in sents) == 21537
    assert sum(len(s.entities) for s in sents) == 1162


def test_conll2003_docstart_and_counts(conll_dir: Path) -> None:
    sents = read_conll_file(conll_dir / "test.txt")
    assert len(sents) == 3453 and sum(len(s.entities) for s in sents) == 5648
    assert sum(1 for s in sents if s.before and any(l.startswith("-DOCSTART-") for l in s.before)) == 231


@pytest.mark.parametrize(
    "text,line,problem",
    [
        ("a O\nb O X\n\n", 2, "wrong column count"),
        ("a O\nb\n\n", 2, "wrong column count"),
        ("a\n\n", 1, "at least 2 columns"),
        ("a O\n O\n\n", 2, "empty token"),
        ("a O\nb X-PER\n\n", 2, "unknown tag form 'X-PER'"),
        ("a O\nb B-\n\n", 2, "unknown tag form 'B-'"),
        ("a O\r\nb O\r\n", 1, "carriage return"),
        ("a O\n \nb O\n", 2, "whitespace-only line"),
        ("0\ta\tO\n2\tb\tO\n\n", 2, "index column is '2', expected 1"),
    ],
)
def test_bad_input_names_file_line_and_problem(tmp_path: Path, text: str, line: int, problem: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text, encoding="utf8", newline="")
    with pytest.raises(InputError) as info:
        list(read_conll(path, "xx"))
    assert info.value.line == line and Path(info.value.source) == path
    assert problem in str(info.value) and str(path) in str(info.value)


def test_writer_rejects_unwritable_pairs(tmp_path: Path) -> None:
    from spacy_xproj.types import Side

    out = tmp_path / "out.txt"
    overlapping = Pair("p1", Side("en", []), Side("de", ["a", "b"], [Entity(0, 2, "PER"), Entity(1, 2, "LOC")]))
    with pytest.raises(InputError, match="'p1'.*overlaps"):
        write_conll(out, [overlapping])
    spaced = Pair("p2", Side("en", []), Side("de", ["a b"]))
    with pytest.raises(InputError, match="'p2'.*whitespace"):
        write_conll(out, [spaced])
    assert not out.exists() and not list(tmp_path.glob("*.tmp"))  # atomic: nothing half-written

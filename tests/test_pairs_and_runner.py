"""The pair data model, pair JSONL and the resumable runner."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from spacy_xproj.corpus.jsonl import dumps_pair, read_pairs, repair_tail, write_pairs
from spacy_xproj.doc import doc_to_pair, pair_to_doc
from spacy_xproj.errors import InputError
from spacy_xproj.runner import run_pairs
from spacy_xproj.types import Alignment, Entity, Pair, Side


def make_pair(i: int) -> Pair:
    return Pair(
        f"p{i}",
        Side("en", ["John", "met", "Mary", str(i)], [Entity(0, 1, "PER"), Entity(2, 3, "PER")]),
        Side("de", ["John", "traf", "Mary", str(i)]),
        Alignment([(0, 0), (1, 1), (2, 2), (3, 3)]),
        {"mode": "parallel"},
    )


def test_pair_json_round_trip_and_doc_round_trip() -> None:
    pair = make_pair(1)
    assert Pair.from_json(json.loads(dumps_pair(pair))).to_json() == pair.to_json()
    for side in ("src", "tgt"):
        doc = pair_to_doc(pair, side)
        back = doc_to_pair(doc, side)
        assert back.src.words == pair.src.words and back.tgt.words == pair.tgt.words
        assert back.src.ents == pair.src.ents
        assert back.alignment == pair.alignment
    hau = Pair("h", Side("en", ["Kano"], [Entity(0, 1, "LOC")]), Side("hau", ["Kano"]))
    assert doc_to_pair(pair_to_doc(hau, "tgt"), "tgt").tgt.lang == "hau"
    doc = pair_to_doc(pair, "tgt")
    # oriented from the doc (German) to its translation (English)
    assert doc._.xproj_alignment.forward()[1] == {1}
    assert [e.text for e in doc._.xproj_translation.ents] == ["John", "Mary"]


def test_alignment_scores_and_inverse() -> None:
    a = Alignment([(0, 1), (0, 1), (2, 0)], scores=[0.2, 0.9, 0.5])
    assert a.links == [(0, 1), (2, 0)] and a.scores == [0.9, 0.5]
    assert a.inverse().links == [(0, 2), (1, 0)]
    assert Alignment.from_json(a.to_json()) == a
    with pytest.raises(ValueError, match=r"link \(2, 0\) is outside"):
        a.validate(2, 2)


@pytest.mark.parametrize(
    "line, problem",
    [
        ("{not json", "invalid JSON"),
        ('{"id": "x", "src": {"lang": "en", "words": ["a"]}}', "'tgt'"),
        ('{"id": "x", "src": {"lang": "en", "words": ["a"], "ents": [[0, 2, "PER"]]}, '
         '"tgt": {"lang": "de", "words": ["b"]}}', "outside the sentence"),
        ('{"id": "x", "src": {"lang": "en", "words": ["a"]}, "tgt": {"lang": "de", "words": ["b"]}, '
         '"alignment": [[0, 5]]}', "outside the sentences"),
        ("", "empty line"),
    ],
)
def test_read_pairs_bad_input_names_file_and_line(tmp_path: Path, line: str, problem: str) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(dumps_pair(make_pair(0)) + "\n" + line + "\n", encoding="utf8")
    with pytest.raises(InputError, match=problem) as info:
        list(read_pairs(path))
    assert info.value.line == 2 and str(path) in str(info.value)


def test_duplicate_ids_rejected(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    write_pairs(path, [make_pair(0), make_pair(0)])
    with pytest.raises(InputError, match="duplicate id 'p0'"):
        list(read_pairs(path))


class _Killed(BaseException):
    """Stands in for a kill in the middle of a run (raised by the batch step)."""


def _tagging_step(calls: list, die_at: str = ""):
    def step(batch):
        if die_at and batch[0].id == die_at:
            raise _Killed()
        calls.extend(p.id for p in batch)
        for p in batch:
            p.tgt.ents = [Entity(0, 1, "PER")]
        return batch

    return step


@pytest.mark.parametrize("torn", ["half a line", "two whole lines and half", "the whole batch, not yet recorded"])
def test_runner_resumes_after_a_torn_batch_byte_identically(tmp_path: Path, torn: str) -> None:
    """A kill while a batch is written leaves bytes past the last committed batch: the rerun cuts
    them off and redoes exactly that batch (batch k = records 3k..3k+2), so the bytes are those of
    an uninterrupted run."""
    src = tmp_path / "in.jsonl"
    write_pairs(src, [make_pair(i) for i in range(10)])
    calls: list = []
    full = tmp_path / "full.jsonl"
    s = run_pairs(src, full, _tagging_step(calls), command="test", batch_size=3, progress=False)
    assert (s.records_in, s.records_out, s.skipped) == (10, 10, 0)
    lines = full.read_bytes().splitlines(keepends=True)

    part = tmp_path / "part.jsonl"
    with pytest.raises(_Killed):  # dies before batch 2 (records 6..8): batches 0 and 1 committed
        run_pairs(src, part, _tagging_step([], die_at="p6"), command="test", batch_size=3, progress=False)
    assert part.read_bytes() == b"".join(lines[:6])
    tail = {"half a line": lines[6][:17], "two whole lines and half": b"".join(lines[6:8]) + lines[8][:5],
            "the whole batch, not yet recorded": b"".join(lines[6:9])}[torn]
    with part.open("ab") as fh:
        fh.write(tail)
    calls.clear()
    s = run_pairs(src, part, _tagging_step(calls), command="test", batch_size=3, progress=False)
    assert part.read_bytes() == full.read_bytes()
    assert calls == [f"p{i}" for i in range(6, 10)]  # committed batches are not redone
    assert (s.skipped, s.records_out) == (6, 10)


def test_runner_refuses_output_of_another_input(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    write_pairs(src, [make_pair(i) for i in range(3)])
    out = tmp_path / "out.jsonl"
    write_pairs(out, [make_pair(7)])
    with pytest.raises(InputError, match="no run record.*--overwrite"):
        run_pairs(src, out, lambda b: b, command="test", progress=False)
    other = tmp_path / "other.jsonl"
    write_pairs(other, [make_pair(i) for i in range(4)])
    run_pairs(other, tmp_path / "o2.jsonl", lambda b: b, command="test", progress=False)
    with pytest.raises(InputError, match="input file's content changed.*--overwrite"):
        run_pairs(src, tmp_path / "o2.jsonl", lambda b: b, command="test", progress=False)


def test_runner_rejects_dropped_records(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    write_pairs(src, [make_pair(i) for i in range(3)])
    with pytest.raises(InputError, match="one output per input"):
        run_pairs(src, tmp_path / "out.jsonl", lambda b: b[:-1], command="drop", progress=False)


def test_repair_tail_without_newline_anywhere(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"id": "trunc')
    assert repair_tail(path) == 13 and path.read_bytes() == b""

"""``xproj bench``: runs offline on tiny sizes, reports machine/versions/command, writes JSON.

No timing is asserted (speed belongs to the benchmark itself); these tests check that every part
runs, that the report is complete, and that the solvers agree where they must.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spacy_xproj.bench.data import diagonal_alignment, stress_inputs
from spacy_xproj.cli.app import app
from spacy_xproj.types import overlaps

runner = CliRunner()


def test_stress_generator_is_seeded_and_valid() -> None:
    a, info = stress_inputs(5, 100, 300, 10, 20, seed=7)
    b, _ = stress_inputs(5, 100, 300, 10, 20, seed=7)
    c, _ = stress_inputs(5, 100, 300, 10, 20, seed=8)
    assert [(x.tgt_words, x.src_ents, x.alignment.links) for x in a] == [
        (x.tgt_words, x.src_ents, x.alignment.links) for x in b
    ]
    assert [x.alignment.links for x in a] != [x.alignment.links for x in c]
    assert info["sentences"] == 5
    for inp in a:
        assert 100 <= len(inp.tgt_words) <= 300
        assert 10 <= len(inp.src_ents) <= 20
        inp.alignment.validate(len(inp.src_words), len(inp.tgt_words))
        spans = [e.span for e in inp.src_ents]
        assert all(not overlaps(x, y) for i, x in enumerate(spans) for y in spans[i + 1 :])
    with pytest.raises(ValueError):
        stress_inputs(1, 300, 100)


def test_diagonal_alignment() -> None:
    al = diagonal_alignment(5, 9)
    assert al.links == [(0, 0), (1, 2), (2, 4), (3, 6), (4, 8)]
    assert diagonal_alignment(1, 4).links == [(0, 0)]
    assert diagonal_alignment(0, 4).links == []


def test_bench_cli_stress_and_europarl(tmp_path: Path, europarl_dir: Path) -> None:
    out = tmp_path / "bench.json"
    result = runner.invoke(
        app,
        [
            "bench", "--sets", "stress,europarl", "--aligner", "diagonal",
            "--europarl-dir", str(europarl_dir), "--europarl-limit", "25",
            "--stress-sentences", "2", "--stress-words", "30-40", "--stress-entities", "3-4",
            "--stress-max-len", "5,inf", "--milp-stress", "1", "--milp-europarl", "10",
            "--repeat", "1", "--output", str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    for needle in ("command:", "machine:", "versions:", "numpy", "pulp", "spacy-xproj", "solver exact"):
        assert needle in result.output
    report = json.loads(out.read_text())
    assert report["command"].endswith(f"--output {out}")
    assert report["machine"]["logical_cores"] >= 1 and report["machine"]["cpu"]
    assert report["versions"]["numpy"] and report["versions"]["pulp"]
    eur = report["sets"]["europarl"]
    assert eur["info"]["sentences"] == 25
    assert "diagonal" in eur["info"]["used"]
    assert eur["methods"]["heuristic"]["sentences"] == 25
    assert 0 < eur["methods"]["heuristic"]["peak_memory_mb"] < 100  # measured, and not absurd
    assert eur["methods"]["heuristic"]["seconds"] > 0
    part = eur["candidates"]["M=10"]
    assert part["align_score_build"]["sentences"] == part["sentences_with_entities"]
    for name in ("greedy", "milp", "exact"):
        assert part["solvers"][name]["sentences_per_second"] > 0
    comp = part["comparisons"]["exact_vs_milp"]
    assert comp["sentences"] == 10 and comp["equal_objective"] == 10
    greedy = part["comparisons"]["exact_vs_greedy"]
    assert greedy["exact_lower"] == 0  # the exact optimum is never below greedy
    stress = report["sets"]["stress"]
    assert set(stress["candidates"]) == {"M=5", "M=inf"}
    assert stress["candidates"]["M=5"]["comparisons"]["exact_vs_milp"]["equal_objective"] == 1
    assert stress["candidates"]["M=inf"]["solvers"]["exact"]["sentences"] == 2
    assert "exact_vs_milp_speedup" in report["targets"]


def test_bench_skips_the_milp_above_the_limit_and_runs_greedy_unbounded(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "b.json"
    args = [
        "bench", "--sets", "stress", "--methods", "greedy,milp,exact", "--stress-sentences", "1",
        "--stress-words", "40-40", "--stress-entities", "2-2", "--stress-max-len", "inf",
        "--max-milp-variables", "10", "--repeat", "1", "-o", str(out),
    ]
    monkeypatch.setattr("sys.argv", ["/usr/bin/xproj", *args])  # as typed in a shell
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["command"] == "xproj " + " ".join(args)
    solvers = json.loads(out.read_text())["sets"]["stress"]["candidates"]["M=inf"]["solvers"]
    assert solvers["greedy"]["sentences"] == 1  # no dense T x T matrix any more
    assert "max_milp_variables=10" in solvers["milp"]["skipped"]
    assert solvers["exact"]["sentences"] == 1


@pytest.mark.parametrize(
    "args",
    [
        ["--sets", "wikipedia"],
        ["--methods", "heuristic,simplex"],
        ["--stress-words", "300-100"],
        ["--stress-max-len", "0"],
        ["--aligner", "giza"],
    ],
)
def test_bench_bad_options(args) -> None:
    result = runner.invoke(app, ["bench", *args])
    assert result.exit_code != 0


def test_ner_errors_sorts_the_errors_and_finds_the_conventions(tmp_path: Path, capsys, monkeypatch) -> None:
    """bench/ner_errors.py: every gold entity and prediction lands in one kind, and the two
    convention patterns (a leading lower-case noun the gold includes, a leading title it excludes)
    are counted apart, with the F1 the first would give if it were counted right."""
    import importlib.util
    import sys

    from spacy_xproj.corpus.jsonl import write_pairs
    from spacy_xproj.types import Entity, Pair, Side

    spec = importlib.util.spec_from_file_location("ner_errors", Path(__file__).resolve().parents[1] / "bench" / "ner_errors.py")
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "ner_errors", bench)  # its dataclass looks itself up there
    spec.loader.exec_module(bench)
    sents = [
        ("Ya je kasar Ingila da Maazị Jack Robinson".split(), [(2, 4, "LOC"), (6, 8, "PER")], [(3, 4, "LOC"), (5, 8, "PER")]),
        ("Chelsea ta ci Kano Pillars a Abuja".split(), [(0, 1, "ORG"), (3, 5, "ORG"), (6, 7, "LOC")], [(0, 1, "PER"), (6, 7, "LOC"), (1, 2, "ORG")]),
        ("Shehu Gusau DATE".split(), [(0, 2, "PER"), (2, 3, "DATE")], [(0, 2, "PER")]),
    ]
    gold = [Pair(f"s{i}", Side("en", []), Side("hau", w, [Entity(*e) for e in g])) for i, (w, g, _) in enumerate(sents)]
    pred = [Pair(f"s{i}", Side("en", []), Side("hau", w, [Entity(*e) for e in p])) for i, (w, _, p) in enumerate(sents)]
    write_pairs(tmp_path / "gold.jsonl", gold)
    write_pairs(tmp_path / "pred.jsonl", pred)
    counts = bench.main([str(tmp_path / "pred.jsonl"), str(tmp_path / "gold.jsonl")])
    assert dict(counts.correct) == {"LOC": 1, "PER": 1}  # Abuja, Shehu Gusau (DATE ignored)
    assert dict(counts.gold) == {("boundary", "LOC"): 1, ("boundary", "PER"): 1, ("type", "ORG"): 1, ("missed", "ORG"): 1}
    assert dict(counts.pred) == {("boundary", "LOC"): 1, ("boundary", "PER"): 1, ("type", "PER"): 1, ("spurious", "ORG"): 1}
    assert dict(counts.lacks_leading_lower) == {"kasar": 1} and dict(counts.adds_leading) == {"Maazị": 1}
    assert counts.f1() == pytest.approx(4 / 12) and counts.f1(1) == pytest.approx(6 / 12)
    out = capsys.readouterr().out
    assert out.startswith("F1 33.3;") and "(F1 50.0 if they were right)" in out
    write_pairs(tmp_path / "short.jsonl", pred[:2])
    with pytest.raises(SystemExit, match="has 2 sentences"):
        bench.main([str(tmp_path / "short.jsonl"), str(tmp_path / "gold.jsonl")])

    # --train: the gold entities sorted by how the training sentences showed their words (case folded)
    train = [
        ("chelsea ta doke Kano Pillars".split(), [(0, 1, "PER")], None),  # Chelsea: other type; Kano Pillars: O
        ("Shehu Gusau ya je Abuja ta Tsakiya".split(), [(0, 2, "PER"), (4, 7, "LOC")], None),  # this type; Abuja inside
        ("Jack Robinson ne".split(), [], [[0, 2]]),  # missing
    ]
    write_pairs(tmp_path / "train.jsonl", [
        Pair(f"t{i}", Side("en", []), Side("hau", w, [Entity(*e) for e in ents]), meta={"xproj_missing": m} if m else {})
        for i, (w, ents, m) in enumerate(train)
    ])
    att = bench.attribute(str(tmp_path / "pred.jsonl"), str(tmp_path / "gold.jsonl"), str(tmp_path / "train.jsonl"))
    assert dict(att["found"]) == {"this type": 1, "other boundaries": 1}  # Shehu Gusau, Abuja
    assert dict(att["not found"]) == {"unseen": 1, "missing": 1, "other type": 1, "O": 1}  # kasar Ingila, Jack Robinson, Chelsea, Kano Pillars
    bench.main([str(tmp_path / "pred.jsonl"), str(tmp_path / "gold.jsonl"), "--train", str(tmp_path / "train.jsonl")])
    assert "  unseen                0 /     1  (16.7% of gold, 0.0% found)" in capsys.readouterr().out

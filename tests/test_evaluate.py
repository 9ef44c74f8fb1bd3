"""Entity-level evaluation equals seqeval (default mode); ignore labels; projection rate; CLI."""
from __future__ import annotations

import json
import random
from pathlib import Path
from typing import List

import pytest
from seqeval.metrics import classification_report, f1_score, precision_score, recall_score
from typer.testing import CliRunner

from spacy_xproj.cli.app import app
from spacy_xproj.corpus.conll import entities_to_tags, read_conll, read_conll_file, write_conll
from spacy_xproj.corpus.jsonl import write_pairs
from spacy_xproj.errors import InputError
from spacy_xproj.evaluate.metrics import evaluate_entities, evaluate_pairs, evaluate_tags, format_table
from spacy_xproj.types import Entity

LABELS = ["PER", "ORG", "LOC", "DATE", "MISC"]


def perturb(tags: List[str], rng: random.Random) -> List[str]:
    """Drop, shift, relabel, shrink/grow and invent entities; also break some into stray I- tags."""
    n = len(tags)
    from spacy_xproj.corpus.conll import tags_to_entities

    out: List[Entity] = []
    for e in tags_to_entities(tags):
        r = rng.random()
        if r < 0.15:
            continue  # dropped
        if r < 0.30:
            d = rng.choice([-1, 1])
            e = Entity(max(0, e.start + d), max(0, e.start + d) + len(e), e.label)  # shifted
        elif r < 0.45:
            e = Entity(e.start, e.end, rng.choice(LABELS))  # relabelled
        elif r < 0.55:
            e = Entity(e.start, max(e.start + 1, e.end + rng.choice([-1, 1])), e.label)  # resized
        if e.end <= n and not any(e.start < o.end and o.start < e.end for o in out):
            out.append(e)
    if n and rng.random() < 0.2:  # an invented entity
        s = rng.randrange(n)
        e = Entity(s, s + 1, rng.choice(LABELS))
        if not any(e.start < o.end and o.start < e.end for o in out):
            out.append(e)
    pred = entities_to_tags(n, out)
    if rng.random() < 0.1:  # IOB1-style / stray I- starts in the prediction
        pred = ["I-" + t[2:] if t.startswith("B-") and rng.random() < 0.5 else t for t in pred]
    return pred


def check_equal_to_seqeval(gold: List[List[str]], pred: List[List[str]], ignore=()) -> dict:
    ours = evaluate_tags(gold, pred, ignore_labels=ignore)
    drop = lambda seq: [["O" if t != "O" and t[2:] in ignore else t for t in s] for s in seq]  # noqa: E731
    g, p = drop(gold), drop(pred)
    assert ours["overall"]["precision"] == pytest.approx(precision_score(g, p), abs=1e-9)
    assert ours["overall"]["recall"] == pytest.approx(recall_score(g, p), abs=1e-9)
    assert ours["overall"]["f1"] == pytest.approx(f1_score(g, p), abs=1e-9)
    report = classification_report(g, p, output_dict=True, zero_division=0)
    labels = {k for k in report if not k.endswith("avg")}
    assert labels == set(ours["per_label"])
    for label in labels:
        for ours_key, theirs_key in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score")):
            assert ours["per_label"][label][ours_key] == pytest.approx(report[label][theirs_key], abs=1e-9)
        assert ours["per_label"][label]["n_gold"] == report[label]["support"]
    return ours


@pytest.mark.parametrize("lang", ["hau", "ibo", "swa", "yor", "zul"])
def test_agrees_with_seqeval_on_real_test_files(masakhaner_dir: Path, lang: str) -> None:
    rng = random.Random(f"seqeval-{lang}")
    gold = [s.tags for s in read_conll_file(masakhaner_dir / lang / "test.txt")]
    pred = [perturb(t, rng) for t in gold]
    ours = check_equal_to_seqeval(gold, pred)
    assert 0.2 < ours["overall"]["f1"] < 0.95  # the perturbation really changed things
    check_equal_to_seqeval(gold, pred, ignore=("DATE", "MISC"))
    assert evaluate_tags(gold, gold)["overall"]["f1"] == 1.0


def test_ignore_labels_removes_entities_from_both_sides() -> None:
    gold = [[Entity(0, 1, "PER"), Entity(2, 3, "DATE")]]
    pred = [[Entity(0, 1, "PER"), Entity(3, 4, "DATE"), Entity(4, 5, "MISC")]]
    r = evaluate_entities(gold, pred, ignore_labels=["DATE", "MISC"])
    assert r["overall"]["f1"] == 1.0 and set(r["per_label"]) == {"PER"}
    assert r["ignored_labels"] == ["DATE", "MISC"]
    r = evaluate_entities(gold, pred)
    assert r["overall"]["precision"] == pytest.approx(1 / 3) and r["overall"]["recall"] == pytest.approx(1 / 2)


def test_projection_rate_definition() -> None:
    E = lambda s: Entity(s, s + 1, "PER")  # noqa: E731
    gold = [[E(0), E(1)], [], [], [E(0)]]
    pred = [[E(0)], [], [E(2)], [E(0), E(1), E(2)]]
    r = evaluate_entities(gold, pred)
    # 1/2, both empty -> 1, no gold but predictions -> 0, 3/1
    assert r["projection_rate"] == pytest.approx((0.5 + 1 + 0 + 3) / 4)
    assert r["sentences_pred_without_gold"] == 1 and r["sentences"] == 4
    # ignored labels are ignored in the rate too
    r = evaluate_entities([[Entity(0, 1, "DATE")]], [[]], ignore_labels=["DATE"])
    assert r["projection_rate"] == 1.0
    assert evaluate_entities([], [])["projection_rate"] == 1.0


def test_duplicates_count_once_and_zero_division() -> None:
    r = evaluate_entities([[Entity(0, 1, "PER")]], [[Entity(0, 1, "PER"), Entity(0, 1, "PER")]])
    assert r["overall"]["precision"] == 1.0 and r["overall"]["n_pred"] == 1
    r = evaluate_entities([[]], [[]])
    assert r["overall"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "n_gold": 0, "n_pred": 0, "n_correct": 0}
    assert "overall" in format_table(r)


def test_evaluate_pairs_requires_same_sentences(tmp_path: Path) -> None:
    src = tmp_path / "g.txt"
    src.write_text("a B-PER\nb O\n\nc O\n\n", encoding="utf8")
    gold = list(read_conll(src, "de"))
    pred = list(read_conll(src, "de"))
    pred[1].tgt.words = ["x"]
    with pytest.raises(InputError, match="sentence 1 differs"):
        evaluate_pairs(pred, gold)
    with pytest.raises(InputError, match="1 sentences.*2"):
        evaluate_pairs(pred[:1], gold)


def test_cli_evaluate_pairs_against_conll(tmp_path: Path, masakhaner_dir: Path) -> None:
    gold_path = masakhaner_dir / "yor" / "test.txt"
    rng = random.Random(11)
    pairs = list(read_conll(gold_path, "yor"))
    gold_tags = [p.meta["conll"]["tgt"].get("tags") or entities_to_tags(len(p.tgt.words), p.tgt.ents) for p in pairs]
    pred_tags = [perturb(t, rng) for t in gold_tags]
    from spacy_xproj.corpus.conll import tags_to_entities

    for p, t in zip(pairs, pred_tags):
        p.tgt.ents = tags_to_entities(t)
    pred_path = tmp_path / "pred.jsonl"
    write_pairs(pred_path, pairs)
    out = tmp_path / "m" / "metrics.json"
    result = CliRunner().invoke(
        app, ["evaluate", str(pred_path), str(gold_path), "--ignore-label", "DATE", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(out.read_text())
    expected = check_equal_to_seqeval(gold_tags, pred_tags, ignore=("DATE",))
    assert metrics["overall"]["f1"] == pytest.approx(expected["overall"]["f1"], abs=1e-12)
    assert "DATE" not in metrics["per_label"] and "overall" in result.output and "projection rate" in result.output
    # the same predictions written as CoNLL give the same numbers
    pred_conll = tmp_path / "pred.txt"
    write_conll(pred_conll, pairs)
    result = CliRunner().invoke(app, ["evaluate", str(pred_conll), str(gold_path), "--ignore-label", "DATE",
                                      "-o", str(tmp_path / "m2.json")])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "m2.json").read_text())["overall"] == metrics["overall"]


def test_cli_evaluate_mismatched_files(tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("x O\n\ny O\n\n", encoding="utf8")
    b.write_text("x O\n\n", encoding="utf8")
    result = CliRunner().invoke(app, ["evaluate", str(a), str(b)])
    assert isinstance(result.exception, InputError) and "same sentences" in str(result.exception)

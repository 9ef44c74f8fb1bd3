"""Trainable aligner (issue 9): ``python -m spacy train configs/aligner.cfg`` on 2,000 real
MAFAND-MT en-swa pairs, the trained pipeline after ``spacy.load`` and a save/load round trip, and
``spacy package`` of a pipeline holding both trainable components (the initialised eflomal aligner
and the candidate tagger), loaded from the built package without installing it.
"""
from __future__ import annotations

import gzip
import importlib
import json
import os
import subprocess
import sys
import tarfile
from itertools import islice
from pathlib import Path
from typing import List, Tuple

import pytest

from conftest import require_module
import spacy
from spacy.tokens import Doc

require_module("eflomal")

import spacy_xproj  # noqa: E402,F401
from spacy_xproj.align.eflomal_backend import read_parallel  # noqa: E402
from spacy_xproj.doc import vocab_for  # noqa: E402

pytestmark = pytest.mark.slow  # runs spacy train on 2,000 MAFAND-MT pairs and spacy package

REPO = Path(__file__).resolve().parents[1]
N_TRAIN = 2000


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


@pytest.fixture(scope="module")
def trained(tmp_path_factory, mafand_dir) -> Path:
    """``spacy train configs/aligner.cfg`` on the first 2,000 MAFAND en-swa train pairs."""
    tmp = tmp_path_factory.mktemp("aligner_train")
    sample = tmp / "train2k.jsonl"
    with gzip.open(mafand_dir / "en-swa" / "train.jsonl.gz", "rt", encoding="utf8") as fh:
        sample.write_text("".join(islice(fh, N_TRAIN)), encoding="utf8")
    cmd = [
        sys.executable, "-m", "spacy", "train", str(REPO / "configs" / "aligner.cfg"),
        "--output", str(tmp / "out"),
        "--paths.train", str(sample),
        "--paths.dev", str(mafand_dir / "en-swa" / "dev.jsonl"),
        "--corpora.dev.limit", "20",
    ]  # fmt: skip
    proc = subprocess.run(cmd, cwd=REPO, env=_env(), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Saved pipeline" in proc.stdout
    return tmp / "out" / "model-last"


def _new_pairs(mafand_dir: Path, n: int) -> List[Tuple[List[str], List[str]]]:
    """Test pairs (never seen in training)."""
    return list(islice(read_parallel(mafand_dir / "en-swa" / "test.jsonl", "en", "swa"), n))


def _doc(nlp, src: List[str], tgt: List[str]) -> Doc:
    doc = Doc(nlp.vocab, words=src)
    doc._.xproj_translation = Doc(vocab_for("swa"), words=tgt)
    return doc


def test_trained_pipeline_has_the_learned_statistics(trained):
    nlp = spacy.load(trained)
    assert nlp.pipe_names == ["xproj_aligner"]
    aligner = nlp.get_pipe("xproj_aligner").aligner
    assert aligner.is_initialized and aligner.priors.n_pairs == N_TRAIN
    # docs are English (doc_side = "src"): lexical priors go English prefix -> Swahili prefix
    assert any(s == "the" for s, _ in aligner.priors.lex)
    assert (trained / "xproj_aligner" / "aligner.bin").stat().st_size > 10_000
    meta = json.loads((trained / "meta.json").read_text())
    assert meta["pipeline"] == ["xproj_aligner"]
    # model-best is the same initialised pipeline (the loop has nothing to update)
    best = trained.parent / "model-best" / "xproj_aligner" / "aligner.bin"
    assert best.read_bytes() == (trained / "xproj_aligner" / "aligner.bin").read_bytes()


def test_new_pair_aligned_identically_after_save_and_load(trained, mafand_dir, tmp_path):
    nlp = spacy.load(trained)
    pairs = _new_pairs(mafand_dir, 5)
    single = nlp(_doc(nlp, *pairs[0]))._.xproj_alignment
    assert len(single) >= len(pairs[0][0]) // 3  # a lone pair still gets links (from the statistics)
    batch = [d._.xproj_alignment for d in nlp.pipe([_doc(nlp, s, t) for s, t in pairs])]
    nlp.to_disk(tmp_path / "copy")
    loaded = spacy.load(tmp_path / "copy")
    assert loaded(_doc(loaded, *pairs[0]))._.xproj_alignment == single
    assert [d._.xproj_alignment for d in loaded.pipe([_doc(loaded, s, t) for s, t in pairs])] == batch
    # the statistics are what makes the difference: the same aligner without them differs
    blank = spacy.blank("xx")
    blank.add_pipe("xproj_aligner", config={"aligner": dict(nlp.config.interpolate()["components"]["xproj_aligner"]["aligner"])})
    plain = [d._.xproj_alignment for d in blank.pipe([_doc(blank, s, t) for s, t in pairs])]
    assert plain != batch


def test_package_with_aligner_and_candidate_tagger(trained, mafand_dir, conll_dir, tmp_path):
    """One pipeline with both trainable components: the trained aligner plus a candidate tagger
    initialised and updated a few steps on CoNLL-2003; ``spacy package`` (sdist), then the
    package's own ``load()`` from the unpacked sdist gives the same output as before packaging."""
    from spacy.cli.package import package
    from thinc.api import Adam

    from spacy_xproj.candidate_tagger.corpus import create_candidate_corpus

    nlp = spacy.load(trained)
    tagger = nlp.add_pipe("xproj_candidate_tagger", first=True)
    examples = list(create_candidate_corpus(str(conll_dir / "train.txt"), limit=100)(nlp))
    tagger.initialize(lambda: examples, nlp=nlp)
    opt = Adam(0.001)
    for _ in range(3):
        tagger.update(examples, sgd=opt)
    assert nlp.get_pipe("xproj_aligner").aligner.is_initialized  # untouched by the tagger's init
    model = tmp_path / "both"
    nlp.to_disk(model)

    pairs = _new_pairs(mafand_dir, 3)

    def outputs(pipeline):
        docs = list(pipeline.pipe([_doc(pipeline, s, t) for s, t in pairs]))
        return [(d._.xproj_alignment, [(s.start, s.end) for s in d.spans["xproj_candidates"]]) for d in docs]

    before = outputs(spacy.load(model))
    assert all(al is not None and len(al) > 0 for al, _ in before)

    pkgs = tmp_path / "pkgs"
    pkgs.mkdir()
    package(model, pkgs, name="xproj_align_test", version="0.0.1", create_sdist=True, force=True, silent=True)
    (sdist,) = list(pkgs.glob("*/dist/*.tar.gz"))
    with tarfile.open(sdist) as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    (root,) = list((tmp_path / "unpacked").iterdir())
    assert (root / "xx_xproj_align_test").is_dir()
    sys.path.insert(0, str(root))
    try:
        pkg = importlib.import_module("xx_xproj_align_test")
        packaged = pkg.load()
    finally:
        sys.path.remove(str(root))
    assert Path(pkg.__file__).resolve().is_relative_to(root.resolve())
    assert packaged.pipe_names == ["xproj_candidate_tagger", "xproj_aligner"]
    assert packaged.get_pipe("xproj_aligner").aligner.priors.n_pairs == N_TRAIN
    assert outputs(packaged) == before


def test_parallel_examples_reader_bad_side(tmp_path):
    from spacy_xproj.align.component import create_parallel_examples
    from spacy_xproj.errors import ConfigError

    path = tmp_path / "p.txt"
    path.write_text("a b ||| c d\n", encoding="utf8")
    nlp = spacy.blank("xx")
    (eg,) = list(create_parallel_examples(str(path), doc_side="tgt")(nlp))
    assert [t.text for t in eg.predicted] == ["c", "d"] and eg.predicted._.xproj_translation.text == "a b "
    with pytest.raises(ConfigError, match="doc_side"):
        list(create_parallel_examples(str(path), doc_side="both")(nlp))

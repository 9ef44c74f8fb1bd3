"""End-to-end runs of the project workflows through `spacy project run`, with reduced sizes.

Each test copies project.yml, configs/ and scripts/ into a temporary project folder, points the
asset fetch at the real data folder (XPROJ_ASSETS_MIRROR) and runs a workflow with smaller vars,
so every step, file format and hand-over of the real workflow is exercised. The package test builds
the wheel, installs it into a throwaway --target folder (never into the running environment) and
loads and runs it in a fresh interpreter.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional

import pytest
import spacy
from spacy.tokens import DocBin

from spacy_xproj.corpus.jsonl import read_pairs

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def make_project(tmp_path: Path) -> Path:
    proj = tmp_path / "proj"
    proj.mkdir()
    shutil.copy(REPO / "project.yml", proj / "project.yml")
    shutil.copytree(REPO / "configs", proj / "configs")
    shutil.copytree(REPO / "scripts", proj / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    (proj / "assets").mkdir()
    return proj


def run_project(proj: Path, name: str, data_root: Path, variables: Dict[str, object],
                extra_env: Optional[Dict[str, str]] = None) -> str:
    env = dict(os.environ)
    env.update({
        "PYTHONPATH": os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        "XPROJ_ASSETS_MIRROR": str(data_root),
        "XPROJ_DATA_DIR": str(data_root),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    })
    env.update(extra_env or {})
    cmd = [sys.executable, "-m", "spacy", "project", "run", name, str(proj)]
    for key, value in variables.items():
        cmd += [f"--vars.{key}", str(value)]
    result = subprocess.run(cmd, cwd=proj, env=env, capture_output=True, text=True)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"spacy project run {name} failed:\n{output[-6000:]}"
    return output


def _metrics(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf8"))
    f1 = data["overall"]["f1"]
    assert 0.0 <= f1 <= 1.0
    return data


ALL_VARS = {"europarl_train": 400, "europarl_dev": 100, "europarl_max_steps": 100}


@pytest.fixture(scope="module")
def all_run(tmp_path_factory, data_root):
    """One reduced run of the default workflow, shared by the tests below."""
    proj = make_project(tmp_path_factory.mktemp("all"))
    out = run_project(proj, "all", data_root, ALL_VARS)
    return proj, out


def test_all_workflow(all_run, data_root):
    proj, out = all_run
    report = proj / "reports" / "europarl.md"
    assert f"Report (3 rows): {report.resolve()}" in out  # the run says where the report is
    png = proj / "reports" / "europarl.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    heuristic = _metrics(proj / "metrics" / "europarl" / "de_heuristic.json")
    candidates = _metrics(proj / "metrics" / "europarl" / "de_candidates.json")
    trained = _metrics(proj / "metrics" / "europarl" / "de_translate-train.json")
    # projections of gold English entities are good but not copies of the German gold
    for m in (heuristic, candidates):
        assert 0.5 < m["overall"]["f1"] < 0.999
        assert m["overall"]["n_gold"] == 693
    # the translate-train model is scored on the held-back gold part only (799 - 400 - 100 pairs)
    held_back = (proj / "corpus" / "europarl" / "split" / "test.gold.jsonl").read_text().splitlines()
    assert len(held_back) == 299
    assert json.loads(held_back[0])["id"] == "europarl-ner/en-de/500"
    assert trained["overall"]["n_gold"] == sum(len(json.loads(l)["tgt"]["ents"]) for l in held_back)
    assert trained["overall"]["f1"] < 0.999  # predictions, not the gold entities passed through
    md = report.read_text(encoding="utf8")
    for method, m in [("heuristic", heuristic), ("candidates", candidates), ("translate-train", trained)]:
        assert f"| de | {method} | {100 * m['overall']['f1']:.1f} |" in md
    # unchanged steps are skipped on a second run
    again = run_project(proj, "all", data_root, ALL_VARS)
    for step in ("europarl-project", "europarl-train", "europarl-evaluate", "europarl-package"):
        assert f"Skipping '{step}': nothing changed" in again
    assert f"Report: {report.resolve()}" in again  # a rerun still says where the report is
    wheel = proj / "packages" / "europarl" / "dist" / "de_europarl_xproj_ner-0.0.1-py3-none-any.whl"
    assert f"pip install {wheel.resolve()}" in again and "spacy.load('de_europarl_xproj_ner')" in again


def _install_and_run(wheel: Path, tmp_path: Path, module: str, text: str) -> str:
    """pip install the wheel into a throwaway --target folder and run it in a fresh interpreter."""
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
                    "--target", str(target), str(wheel)], check=True)
    code = (
        f"import spacy, {module} as m; nlp = m.load(); doc = nlp({text!r}); "
        "print(nlp.meta['name'], nlp.pipe_names, len(doc), [e.label_ for e in doc.ents])"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_package_step_builds_an_installable_wheel(all_run, data_root, tmp_path):
    """The packaging step of `parallel`, fed the German model trained by `all`."""
    proj, _ = all_run
    model = proj / "training" / "hau_final" / "model-best"  # the model of parallel-selftrain
    shutil.copytree(proj / "training" / "europarl_de" / "model-best", model)
    scores = proj / "metrics" / "parallel" / "hau_parallel-candidates.json"
    scores.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(proj / "metrics" / "europarl" / "de_translate-train.json", scores)
    dev = proj / "corpus" / "hau" / "parallel" / "dev.jsonl"  # the card's example comes from the dev sentences
    dev.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(proj / "corpus" / "europarl" / "split" / "dev.jsonl", dev)
    # the gold source sentences trained beside the projected ones (n_source_gold): counted into the card
    en = spacy.blank("en")
    (dev.parent / "train").mkdir()
    DocBin(docs=[en("Reuters reported it ."), en("Talks in Bonn .")]).to_disk(dev.parent / "train" / "source_gold.spacy")
    # the sentences the first model labelled for self-training (self_train_text): counted into the card too
    (dev.parent / "selftrain" / "train").mkdir(parents=True)
    DocBin(docs=[en("Bonn .")]).to_disk(dev.parent / "selftrain" / "train" / "teacher.spacy")
    packaged = run_project(proj, "parallel-package", data_root, {"spacy_lang": "de"})  # package_name follows lang
    wheel = proj / "packages" / "parallel" / "dist" / "de_hau_xproj_ner-0.0.1-py3-none-any.whl"
    assert wheel.exists() and f"pip install {wheel.resolve()}" in packaged
    out = _install_and_run(wheel, tmp_path, "de_hau_xproj_ner", "Die Kommission in Brüssel hat Herrn Prodi gestern geantwortet .")
    assert out.startswith("hau_xproj_ner ['tok2vec', 'ner'] 10")
    # the measured scores and the training data travel in meta.json, the model card in the README
    pkg = proj / "packages" / "parallel" / "de_hau_xproj_ner-0.0.1" / "de_hau_xproj_ner" / "de_hau_xproj_ner-0.0.1"
    meta = json.loads((pkg / "meta.json").read_text(encoding="utf8"))
    assert meta["performance"]["ents_f"] == pytest.approx(json.loads(scores.read_text())["overall"]["f1"], abs=1e-6)
    assert "MasakhaNER 2.0 hau test" in meta["xproj"]["evaluated_on"] and "MAFAND-MT en-hau" in meta["sources"][0]["name"]
    card = (pkg / "README.md").read_text(encoding="utf8")
    assert "## How it was made" in card
    assert [src["name"] for src in meta["sources"][1:]] == [
        "2 gold English sentences of CoNLL-2003 train (PER/ORG/LOC)",
        "1 hau sentences labelled by the model trained on the projected ones (self-training; self_train_text auto)"]
    assert "| more training data | 2 gold English sentences of CoNLL-2003 train" in card
    example = next(p for p in read_pairs(dev) if 6 <= len(p.tgt.words) <= 25 and len(p.tgt.ents) >= 2)
    text = " ".join(example.tgt.words)
    assert f"nlp({json.dumps(text, ensure_ascii=False)})" in card and repr(text) in packaged
    # configs/cnn.cfg's tokenizer reads composed and decomposed accents alike; it needs spacy-xproj
    assert meta["xproj"]["tokenizer"] == "spacy-xproj.NormalisingTokenizer.v1" and "(Unicode NFC and NFD)" in card
    assert any(r.startswith("spacy-xproj>=") for r in meta["requirements"]), meta["requirements"]


@pytest.mark.skipif(os.environ.get("XPROJ_FULL_PROJECT_TESTS") != "1",
                    reason="several minutes: set XPROJ_FULL_PROJECT_TESTS=1 (the package step is tested above)")
def test_parallel_workflow_and_package(tmp_path: Path, data_root: Path):
    proj = make_project(tmp_path)
    variables = {"lang": "hau", "n_parallel": 400, "n_dev": 50, "n_test": 200, "src_max_steps": 200,
                 "max_steps": 60, "eval_frequency": 20, "train_filters": " --partial", "package_version": "0.0.1",
                 "n_source_gold": 100}
    out = run_project(proj, "parallel", data_root, variables)
    assert "source gold: 100 sentences of assets/conll2003_en/train.txt" in out
    assert "source titles: en" in out  # src_titles auto: the English list
    train = proj / "corpus" / "hau" / "parallel" / "train"  # projected_copies auto: x3 beside the gold sentences
    assert "weighted x3" in out and sorted(p.name for p in train.glob("projected*.spacy")) == [
        "projected.spacy", "projected_copy2.spacy", "projected_copy3.spacy"]
    parallel = proj / "corpus" / "hau" / "parallel"  # with src_ner_seeds > 1, one labelling per source model
    run_json = next(p for p in (parallel / "labelled.jsonl.run.json", parallel / "labelled.model0.jsonl.run.json") if p.exists())
    record = json.loads(run_json.read_text(encoding="utf8"))
    assert record["identity"]["settings"]["titles"] == "en", record["identity"]["settings"]
    # self_train_text auto: the MasakhaNER 2.0 train split, without the sentences that occur in test
    selftrain = json.loads((proj / "training" / "hau_final" / "selftrain.json").read_text(encoding="utf8"))
    assert selftrain["self_train"] and selftrain["sentences"] == 5716 and selftrain["excluded"] > 0, selftrain
    assert (proj / "training" / "hau_final" / "model-best" / "meta.json").exists()
    metrics = _metrics(proj / "metrics" / "parallel" / "hau_parallel-candidates.json")
    assert set(metrics["per_label"]) <= {"PER", "ORG", "LOC"}  # DATE and MISC ignored
    assert metrics["sentences"] == 200
    wheel = proj / "packages" / "parallel" / "dist" / "xx_hau_xproj_ner-0.0.1-py3-none-any.whl"
    assert wheel.exists()
    out = _install_and_run(wheel, tmp_path, "xx_hau_xproj_ner", "Shugaba Muhammadu Buhari ya isa Abuja ranar Litinin.")
    assert out.startswith("hau_xproj_ner ['tok2vec', 'ner'] 9")
    pkg = proj / "packages" / "parallel" / "xx_hau_xproj_ner-0.0.1" / "xx_hau_xproj_ner" / "xx_hau_xproj_ner-0.0.1"
    sources = json.loads((pkg / "meta.json").read_text(encoding="utf8"))["sources"]
    assert sources[1]["name"].startswith("100 gold English sentences of CoNLL-2003")
    assert len(sources) == 2 + (selftrain["labelled_with_entities"] > 0)


def test_ceiling_workflow_trains_on_the_gold_target_split(tmp_path: Path, data_root: Path):
    """`ceiling`: parallel's training setup with the gold train split in place of the projected sentences."""
    from spacy_xproj.corpus.conll import read_conll

    proj = make_project(tmp_path)
    variables = {"lang": "hau", "n_source_gold": 100, "max_steps": 40, "eval_frequency": 20, "n_test": 100}
    out = run_project(proj, "ceiling", data_root, variables)
    assert "source gold: 100 sentences of assets/conll2003_en/train.txt" in out
    train = proj / "corpus" / "hau" / "ceiling" / "train"  # projected_copies auto: x3 beside the gold source ones
    assert sorted(p.name for p in train.glob("*.spacy")) == [
        "source_gold.spacy", "target.spacy", "target_copy2.spacy", "target_copy3.spacy"]
    nlp = spacy.blank("xx")
    gold_train = list(read_conll(data_root / "masakhaner2" / "hau" / "train.txt", "hau"))
    docs = list(DocBin().from_disk(train / "target.spacy").get_docs(nlp.vocab))
    assert [[t.text for t in d] for d in docs] == [p.tgt.words for p in gold_train]
    # DATE is dropped, every other entity kept as it is in the gold file
    assert [[(e.start, e.end, e.label_) for e in d.ents] for d in docs] == [
        [(e.start, e.end, e.label) for e in p.tgt.ents if e.label != "DATE"] for p in gold_train]
    metrics = _metrics(proj / "metrics" / "ceiling" / "hau_ceiling.json")
    gold_test = list(read_conll(data_root / "masakhaner2" / "hau" / "test.txt", "hau"))[:100]
    assert metrics["sentences"] == 100
    assert metrics["overall"]["n_gold"] == sum(e.label != "DATE" for p in gold_test for e in p.tgt.ents)
    assert set(metrics["per_label"]) <= {"PER", "ORG", "LOC"}
    md = (proj / "reports" / "ceiling.md").read_text(encoding="utf8")
    assert f"| hau | ceiling | {100 * metrics['overall']['f1']:.1f} |" in md

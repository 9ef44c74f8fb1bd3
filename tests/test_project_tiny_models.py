"""`translate-test` and `translate-train` end to end with tiny local models set through vars.

The paper's workflows need NLLB-200, XLM-R-large CoNLL-03 and mBERT from the Hugging Face hub; here
the same steps run with tiny random models built locally (tests/tiny_seq2seq.py, tests/tiny_xlmr.py,
tests/tiny_bert.py) and loaded from disk by the real code paths, on a few MasakhaNER 2.0 sentences.
The scores are meaningless (random models); the test checks that every step runs, hands the right
file to the next one and that the evaluation covers exactly the sentences fed in.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from conftest import require_module

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_project_run import make_project, run_project  # noqa: E402

require_module("transformers")
require_module("torch")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory, data_root):
    import os

    os.environ.setdefault("XPROJ_DATA_DIR", str(data_root))
    from tiny_bert import make_tiny_bert
    from tiny_seq2seq import build_nllb, train_spm
    from tiny_xlmr import build_xlmr_tagger

    root = tmp_path_factory.mktemp("tiny_models")
    spm = train_spm(root / "spm")
    return {
        "nllb": build_nllb(root / "nllb", spm),
        "xlmr": build_xlmr_tagger(root / "xlmr", spm),
        "bert": make_tiny_bert(root / "bert", num_layers=8),  # SimAlign uses layer 8, as the paper
    }


def _tiny_vars(models, **extra):
    variables = {
        "lang": "hau",
        "mt_model": models["nllb"],
        "tt_ner_model": models["xlmr"],
        "align_model": models["bert"],
        "tt_aligner": "simalign",
        "device": "cpu",
        "batch_size": 8,
    }
    variables.update(extra)
    return variables


def _lines(path: Path):
    return [json.loads(line) for line in path.read_text(encoding="utf8").splitlines() if line.strip()]


def test_translate_test_tiny(tmp_path, data_root, tiny_models):
    proj = make_project(tmp_path)
    out = run_project(proj, "translate-test", data_root, _tiny_vars(tiny_models, n_test=12))
    test = _lines(proj / "corpus" / "hau" / "test.jsonl")
    assert len(test) == 12 and not any(p["src"]["words"] for p in test)
    aligned = _lines(proj / "corpus" / "hau" / "tt" / "aligned.jsonl")
    assert [p["id"] for p in aligned] == [p["id"] for p in test]
    for pair in aligned:
        assert pair["src"]["words"] and pair["src"]["lang"] == "en"  # filled by the translator
        assert [p["tgt"]["words"] for p in test if p["id"] == pair["id"]][0] == pair["tgt"]["words"]
        assert pair.get("alignment"), "every pair is aligned"
        for link in pair["alignment"]:  # [src, tgt] or [src, tgt, score]
            s, t = link[:2]
            assert 0 <= s < len(pair["src"]["words"]) and 0 <= t < len(pair["tgt"]["words"])
    for method in ("heuristic", "candidates", "model-transfer"):
        metrics = json.loads((proj / "metrics" / "translate-test" / f"hau_{method}.json").read_text())
        assert metrics["sentences"] == 12
        assert not set(metrics["per_label"]) & {"DATE", "MISC"}
    md = (proj / "reports" / "translate-test.md").read_text(encoding="utf8")
    assert "ΔF1 vs model-transfer" in md and "| hau | candidates |" in md
    assert (proj / "reports" / "translate-test.png").stat().st_size > 5000
    assert "Report (3 rows)" in out


def test_translate_train_tiny(tmp_path, data_root, tiny_models):
    proj = make_project(tmp_path)
    variables = _tiny_vars(tiny_models, n_src_train=80, n_dev=20, n_test=15, tr_config="configs/cnn.cfg",
                           tr_max_steps=20, package_name="hau_xproj_ner_tiny")
    run_project(proj, "translate-train", data_root, variables)
    projected = _lines(proj / "corpus" / "hau" / "tr" / "projected.jsonl")
    assert len(projected) == 80
    assert all(p["src"]["lang"] == "en" and p["tgt"]["lang"] == "hau" for p in projected)
    # the tiny random translator leaves some outputs empty; those pairs are kept, not dropped
    assert sum(bool(p["tgt"]["words"]) for p in projected) > len(projected) // 2
    assert sum(len(p["src"]["ents"]) for p in projected) > 0  # gold CoNLL-2003 entities on the source
    assert sum(len(p["tgt"]["ents"]) for p in projected) > 0  # ... projected onto the translations
    metrics = json.loads((proj / "metrics" / "translate-train" / "hau_translate-train-candidates.json").read_text())
    assert metrics["sentences"] == 15
    assert (proj / "training" / "hau_translate-train" / "model-best" / "meta.json").exists()
    assert list((proj / "packages" / "translate-train" / "dist").glob("xx_hau_xproj_ner_tiny-0.0.1-*.whl"))

"""Determinism: the same input and config give byte-identical outputs across runs.

One driver (``run_chain`` below) runs every offline backend through the command line, from the real
data: ``convert`` (Europarl-NER, MasakhaNER CoNLL, MAFAND-MT -> pairs; pairs -> CoNLL and DocBin),
``align`` (eflomal, seeded), ``project`` (heuristic; candidate matching with the greedy, MILP and
exact solvers), and ``translate`` (a tiny local NLLB-style model). It runs twice in
two fresh Python processes with *different* ``PYTHONHASHSEED`` values (so set/dict iteration order
that leaks into an output is caught), and every output file must be byte-identical.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

from conftest import require_module

pytestmark = pytest.mark.slow  # runs the whole offline chain twice in subprocesses

REPO = Path(__file__).resolve().parents[1]
EFLOMAL_CFG = '[aligner]\n@xproj_aligners = "spacy-xproj.Eflomal.v1"\nrel_iterations = 0.3\nseed = 11\n'


def run_chain(out: Path, data: Path, tiny_nllb: str) -> None:
    """Run the whole offline chain into ``out`` (called in a subprocess; see the module docs)."""
    import itertools

    import spacy_xproj  # noqa: F401
    from spacy_xproj.cli.app import app
    from spacy_xproj.corpus.jsonl import read_pairs, write_pairs
    from spacy_xproj.types import Side

    def cli(*args: str) -> None:
        app(list(args) + (["--no-progress"] if args[0] in {"convert", "align", "project", "translate"} else []),
            standalone_mode=False)

    out.mkdir(parents=True, exist_ok=True)
    cli("convert", str(data / "europarl_ner"), str(out / "europarl.jsonl"), "--from", "europarl", "--to", "pairs")
    cli("convert", str(data / "masakhaner2" / "hau" / "dev.txt"), str(out / "hau_dev.jsonl"), "--from", "conll",
        "--to", "pairs", "--tgt-lang", "hau")
    cli("convert", str(out / "hau_dev.jsonl"), str(out / "hau_dev.txt"), "--from", "pairs", "--to", "conll")
    cli("convert", str(data / "mafand_mt" / "en-hau" / "dev.jsonl"), str(out / "mafand_dev.jsonl"),
        "--from", "mafand", "--to", "pairs")
    (out / "eflomal.cfg").write_text(EFLOMAL_CFG, encoding="utf8")
    cli("align", str(out / "europarl.jsonl"), str(out / "aligned.jsonl"), "--config", str(out / "eflomal.cfg"),
        "--batch-size", "800")
    aligned = out / "aligned.jsonl"
    write_pairs(out / "aligned_head.jsonl", itertools.islice(read_pairs(aligned), 80))
    cli("project", str(aligned), str(out / "heuristic.jsonl"), "--method", "heuristic")
    cli("project", str(aligned), str(out / "greedy.jsonl"), "--method", "candidates", "--solver", "greedy")
    cli("project", str(aligned), str(out / "greedy_aligned_ge.jsonl"), "--method", "candidates", "--candidates",
        "aligned", "--solver", "greedy", "--constraint", ">=", "--n-proj", "1")
    cli("project", str(out / "aligned_head.jsonl"), str(out / "milp.jsonl"), "--method", "candidates",
        "--solver", "milp")
    cli("project", str(aligned), str(out / "exact.jsonl"), "--method", "candidates", "--solver", "exact")
    cli("convert", str(out / "heuristic.jsonl"), str(out / "heuristic_de.txt"), "--from", "pairs", "--to", "conll")
    cli("convert", str(out / "greedy.jsonl"), str(out / "greedy_de.spacy"), "--from", "pairs", "--to", "docbin")

    english = [p for p in itertools.islice(read_pairs(out / "mafand_dev.jsonl"), 60)]
    for p in english:
        p.tgt = Side("hau", [])
    write_pairs(out / "english.jsonl", english)
    cli("translate", str(out / "english.jsonl"), str(out / "translated.jsonl"), "--model", tiny_nllb,
        "--src", "en", "--tgt", "hau", "--max-length", "8", "--batch-size", "7")
    for tmp in ("eflomal.cfg",):
        (out / tmp).unlink()


def _digests(folder: Path) -> Dict[str, str]:
    # Run records (OUT.run.json) describe the run that wrote an output, including the paths of its
    # options, which differ between the two runs' folders; the outputs themselves must not.
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
            if not p.name.endswith(".run.json")}


def _run(out: Path, data: Path, tiny_nllb: Path, hash_seed: str) -> None:
    env = dict(os.environ, PYTHONHASHSEED=hash_seed, OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    code = ("import sys; sys.path[:0] = ['.', 'tests']; from pathlib import Path; import test_determinism as d; "
            f"d.run_chain(Path({str(out)!r}), Path({str(data)!r}), {str(tiny_nllb)!r})")
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-4000:]


@pytest.mark.slow
def test_every_offline_backend_is_byte_identical_across_runs(tmp_path: Path, data_root: Path, tmp_path_factory) -> None:
    require_module("eflomal")
    from tiny_seq2seq import build_all

    tiny = build_all(tmp_path_factory.getbasetemp() / "tiny_models")["nllb"]
    a, b = tmp_path / "a", tmp_path / "b"
    _run(a, data_root, tiny, "1")
    _run(b, data_root, tiny, "4242")
    da, db = _digests(a), _digests(b)
    assert sorted(da) == sorted(db)
    expected = {"europarl.jsonl", "hau_dev.jsonl", "hau_dev.txt", "mafand_dev.jsonl", "aligned.jsonl",
                "heuristic.jsonl", "greedy.jsonl", "greedy_aligned_ge.jsonl", "milp.jsonl", "exact.jsonl", "heuristic_de.txt",
                "greedy_de.spacy", "translated.jsonl"}
    assert expected <= set(da), sorted(da)
    different = [name for name in da if da[name] != db[name]]
    assert not different, f"outputs differ between runs: {different}"
    # The outputs are real work, not empty files.
    from spacy_xproj.corpus.jsonl import read_pairs

    assert sum(len(p.tgt.ents) for p in read_pairs(a / "greedy.jsonl")) > 400
    assert sum(len(p.tgt.ents) for p in read_pairs(a / "milp.jsonl")) > 30
    assert sum(len(p.tgt.ents) for p in read_pairs(a / "exact.jsonl")) > 400
    translated = list(read_pairs(a / "translated.jsonl"))
    assert len(translated) == 60 and sum(bool(p.tgt.words) for p in translated) >= 30  # a random tiny model
    assert (a / "hau_dev.txt").read_bytes() == (data_root / "masakhaner2" / "hau" / "dev.txt").read_bytes()


def test_reruns_in_one_process_are_identical(tmp_path: Path) -> None:
    """Solvers keep no state between calls: the same problem twice gives the same matching."""
    import numpy as np
    from spacy.util import registry

    import spacy_xproj  # noqa: F401
    from spacy_xproj.projection.matching import MatchingProblem
    from spacy_xproj.projection.candidates import ngrams

    rnd = np.random.default_rng(0)
    cands = ngrams(12, 4)
    scores = np.round(rnd.random((4, len(cands))), 1) * (rnd.random((4, len(cands))) > 0.6)  # many ties
    names = [n for n in registry.xproj_solvers.get_all() if n.startswith("spacy-xproj.")]
    assert {"spacy-xproj.GreedySolver.v1", "spacy-xproj.ExactSolver.v1"} <= set(names), names
    for name in names:
        solve = registry.xproj_solvers.get(name)()
        results: List = [solve(MatchingProblem(scores.copy(), list(cands), "<=", 1)) for _ in range(3)]
        assert results[0] == results[1] == results[2], name

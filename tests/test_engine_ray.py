"""The Ray engine on a local Ray instance (2 CPUs): same bytes as the local engine, resume, retries.

One Ray instance serves the whole test session (``ray_session``); every run uses the real
Europarl-NER en-de sentences. Deterministic steps must give byte-identical output files with
``--engine ray`` and ``--engine local``: projection, eflomal alignment (statistics learned once on
the driver and shipped to the actors) and labelling with a tiny token classifier.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import List

import cloudpickle
import pytest
from conftest import require_module
import ray
from typer.testing import CliRunner

import resume_util
from resume_util import REPO, complete_lines, ids_of, kill_part_way
from spacy_xproj.cli.app import app
from spacy_xproj.cli.project import build_projector, projection_step
from spacy_xproj.corpus.europarl import read_europarl
from spacy_xproj.corpus.jsonl import read_pairs, write_pairs
from spacy_xproj.engine import build_engine
from spacy_xproj.engine.ray_engine import RayEngine
from spacy_xproj.errors import InputError
from spacy_xproj.runner import RunSummary, run_pairs
from spacy_xproj.types import Alignment, Pair

# The batch functions defined here run on Ray workers, which cannot import this test module.
cloudpickle.register_pickle_by_value(sys.modules[__name__])
cloudpickle.register_pickle_by_value(resume_util)

N_PAIRS = 160
B = 8  # pairs per batch: 20 batches


@pytest.fixture(scope="session")
def ray_session():
    """One local Ray instance (2 CPUs, small object store, no dashboard) for all Ray tests."""
    started = False
    if not ray.is_initialized():
        ray.init(
            num_cpus=2,
            object_store_memory=250 * 1024 * 1024,
            include_dashboard=False,
            log_to_driver=False,
            runtime_env={"env_vars": {"OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}},
        )
        started = True
    yield ray
    if started:
        ray.shutdown()


@pytest.fixture(scope="module")
def europarl_pairs(europarl_dir: Path) -> List[Pair]:
    return read_europarl(europarl_dir, "en", "de")[:N_PAIRS]


@pytest.fixture(scope="module")
def aligned(tmp_path_factory, europarl_pairs: List[Pair]) -> Path:
    """Europarl pairs with a monotone (diagonal) alignment: enough to exercise projection."""
    out = []
    for p in europarl_pairs:
        n, m = len(p.src.words), len(p.tgt.words)
        links = [(i, min(m - 1, i * m // max(n, 1))) for i in range(n)] if n and m else []
        out.append(Pair(p.id, p.src, p.tgt, Alignment(links), {}))
    path = tmp_path_factory.mktemp("engine_ray") / "aligned.jsonl"
    write_pairs(path, out)
    return path


def _project(src: Path, out: Path, engine, batch_size: int = B, **options) -> RunSummary:
    projector = build_projector(**{"method": "candidates", **options})
    summary = RunSummary("project")
    return run_pairs(src, out, projection_step(projector, summary, src), command="project",
                     batch_size=batch_size, summary=summary, progress=False, engine=engine)


def test_projection_ray_equals_local_bytes_and_counts(ray_session, aligned: Path, tmp_path: Path) -> None:
    # max_candidates=30 caps long sentences: the warnings counted on the actors must come back.
    local = _project(aligned, tmp_path / "local.jsonl", None, max_candidates=30)
    remote = _project(aligned, tmp_path / "ray.jsonl", RayEngine(workers=2), max_candidates=30)
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    assert local.records_out == remote.records_out == N_PAIRS
    assert local.warnings.get("candidates_capped", 0) > 0
    assert remote.warnings == local.warnings


def test_ray_errors_come_in_input_order_after_the_batches_before_them(ray_session, aligned: Path, tmp_path: Path) -> None:
    """A duplicate id in batch 3 and a bad line in batch 5 (both found on the actors' side of the
    work): each engine stops at the first with the reader's message (file, line) and has committed
    exactly the batches before it."""
    lines = aligned.read_text(encoding="utf8").splitlines(keepends=True)[:6 * B]
    lines[3 * B + 2] = lines[1]  # a duplicate of the second record
    lines[5 * B + 1] = "{not json\n"
    src = tmp_path / "bad.jsonl"
    src.write_text("".join(lines), encoding="utf8")
    for name, engine in (("local", None), ("ray", RayEngine(workers=2))):
        with pytest.raises(InputError, match=rf"bad.jsonl, line {3 * B + 3}: duplicate id"):
            _project(src, tmp_path / f"{name}.jsonl", engine)
        assert complete_lines(tmp_path / f"{name}.jsonl") == 3 * B
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()


def test_ray_engine_streams_with_a_bounded_window(ray_session) -> None:
    """The driver hands out at most ``max_in_flight`` (default 2 x workers) batches ahead of the one
    it is waiting for, so the input is streamed, never staged whole."""
    taken: List[int] = []

    def items():
        for i in range(12):
            taken.append(i)
            yield i

    engine = RayEngine(workers=1, max_in_flight=3)
    seen = []
    for item, result in engine.map(lambda x: x * 10, items()):
        seen.append((item, result, len(taken)))
    assert [(i, r) for i, r, _ in seen] == [(i, i * 10) for i in range(12)]
    # When result k arrives, at most k + 3 items were handed out (the window) and one more read.
    assert all(n <= k + 3 + 1 for k, (_, _, n) in enumerate(seen)), seen


@pytest.mark.slow
def test_eflomal_cli_ray_equals_local(ray_session, europarl_pairs: List[Pair], tmp_path: Path) -> None:
    """xproj align: priors learned once on the driver from the whole input, shipped to 2 actors."""
    require_module("eflomal")
    src = tmp_path / "raw.jsonl"
    write_pairs(src, europarl_pairs)
    common = ["--batch-size", "40", "--seed", "7", "--no-progress"]
    runner = CliRunner()
    r = runner.invoke(app, ["align", str(src), str(tmp_path / "local.jsonl"), *common])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["align", str(src), str(tmp_path / "ray.jsonl"), *common, "--engine", "ray", "--workers", "2"])
    assert r.exit_code == 0, r.output
    assert f"{N_PAIRS} in, {N_PAIRS} out" in r.output
    local = (tmp_path / "local.jsonl").read_bytes()
    assert (tmp_path / "ray.jsonl").read_bytes() == local
    assert b'"initialized_on":"input"' in local  # the statistics came from the driver's pass


@pytest.mark.slow
def test_label_cli_ray_equals_local(ray_session, europarl_pairs: List[Pair], tmp_path: Path, tmp_path_factory) -> None:
    """A tiny random XLM-R token classifier, loaded lazily once per actor."""
    require_module("transformers")
    from tiny_xlmr import build_taggers

    tagger = str(build_taggers(tmp_path_factory.getbasetemp() / "tiny_models")["xlmr"])
    src = tmp_path / "raw.jsonl"
    write_pairs(src, europarl_pairs[:64])
    common = ["--model", tagger, "--side", "src", "--batch-size", "8", "--no-progress"]
    runner = CliRunner()
    r = runner.invoke(app, ["label", str(src), str(tmp_path / "local.jsonl"), *common])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["label", str(src), str(tmp_path / "ray.jsonl"), *common, "--engine", "ray", "--workers", "2"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()


@pytest.mark.slow
def test_translate_cli_ray_equals_local_with_caches(ray_session, europarl_pairs: List[Pair], tmp_path: Path, tmp_path_factory) -> None:
    """A tiny random Marian model (greedy decoding) and a SQLite cache that each actor reopens."""
    require_module("transformers")
    from tiny_seq2seq import build_marian, train_spm

    folder = tmp_path_factory.getbasetemp() / "tiny_models"
    marian = str(build_marian(folder / "marian", train_spm(folder / "spm")))
    src = tmp_path / "raw.jsonl"
    pairs = [Pair(p.id, p.src, type(p.tgt)("hau", []), None, {}) for p in europarl_pairs[:32]]
    write_pairs(src, pairs + [Pair(p.id + "/again", p.src, p.tgt, None, {}) for p in pairs[:8]])
    common = ["--model", marian, "--src", "en", "--tgt", "hau", "--batch-size", "2", "--max-length", "8", "--no-progress"]
    runner = CliRunner()
    r_local = runner.invoke(app, ["translate", str(src), str(tmp_path / "local.jsonl"), *common, "--cache", str(tmp_path / "a.sqlite")])
    assert r_local.exit_code == 0, r_local.output
    r_ray = runner.invoke(app, ["translate", str(src), str(tmp_path / "ray.jsonl"), *common, "--cache", str(tmp_path / "b.sqlite"),
                                "--engine", "ray", "--workers", "2"])
    assert r_ray.exit_code == 0, r_ray.output
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    # Warnings counted on the actors come back to the summary. Cache hits do too, but how many
    # depends on which actor saw a repeated sentence first, so only their presence is checked.
    local_line, ray_line = (r.output.strip().splitlines()[-1] for r in (r_local, r_ray))
    assert re.sub(r"\d+ cached", "", ray_line) == re.sub(r"\d+ cached", "", local_line)
    assert "40 in, 40 out" in ray_line and int(re.search(r"(\d+) cached", ray_line).group(1)) > 0


@pytest.mark.slow
def test_dead_worker_is_retried_nothing_lost_or_duplicated(ray_session, aligned: Path, tmp_path: Path) -> None:
    """An actor's process is SIGKILLed while it holds batch 5; Ray restarts it and reruns the batch."""
    marker = tmp_path / "killed"
    projector = build_projector("heuristic")
    inner = projection_step(projector, RunSummary("project"), aligned)
    first_ids = {p.id for p in list(read_pairs(aligned))[5 * B: 6 * B]}

    def process(batch: List[Pair]) -> List[Pair]:
        if batch[0].id in first_ids:
            try:
                fd = os.open(str(marker), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                pass  # the retry: the process died once already
            else:
                os.write(fd, str(os.getpid()).encode())
                os.close(fd)
                os.kill(os.getpid(), signal.SIGKILL)
        return inner(batch)

    run_pairs(aligned, tmp_path / "local.jsonl", inner, command="project", batch_size=B, progress=False)
    summary = run_pairs(aligned, tmp_path / "ray.jsonl", process, command="project", batch_size=B,
                        progress=False, engine=RayEngine(workers=2))
    assert marker.exists(), "no worker was killed: the test proves nothing"
    ids = ids_of(tmp_path / "ray.jsonl")
    assert len(ids) == len(set(ids)) == N_PAIRS == summary.records_out
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()


@pytest.mark.slow
def test_failed_ray_run_resumes_to_the_same_bytes(ray_session, aligned: Path, tmp_path: Path) -> None:
    """Batch 12 fails once the driver has committed 8 batches; a rerun resumes from the committed ones."""
    out = tmp_path / "ray.jsonl"
    marker = tmp_path / "failed"
    projector = build_projector("heuristic", merge_distance=2)
    inner = projection_step(projector, RunSummary("project"), aligned)
    failing_ids = {p.id for p in list(read_pairs(aligned))[12 * B: 13 * B]}

    def process(batch: List[Pair]) -> List[Pair]:
        if batch[0].id in failing_ids and not marker.exists():
            deadline = time.monotonic() + 60
            while complete_lines(out) < 8 * B and time.monotonic() < deadline:
                time.sleep(0.05)
            marker.touch()
            raise RuntimeError("simulated crash in the middle of a run")
        return inner(batch)

    with pytest.raises(Exception, match="simulated crash"):
        run_pairs(aligned, out, process, command="project", batch_size=B, progress=False, engine=RayEngine(workers=2))
    committed = complete_lines(out)
    assert 8 * B <= committed < N_PAIRS and committed % B == 0
    summary = run_pairs(aligned, out, process, command="project", batch_size=B, progress=False, engine=RayEngine(workers=2))
    assert summary.skipped == committed and summary.records_out == N_PAIRS
    run_pairs(aligned, tmp_path / "local.jsonl", inner, command="project", batch_size=B, progress=False)
    assert out.read_bytes() == (tmp_path / "local.jsonl").read_bytes()


@pytest.mark.slow
def test_sigkilled_ray_cli_resumes_to_the_same_bytes(ray_session, aligned: Path, tmp_path: Path) -> None:
    """`xproj project --engine ray` joins this session's Ray instance, is SIGKILLed, and is rerun."""
    address = ray.get_runtime_context().gcs_address
    args = lambda out: ["project", str(aligned), str(out), "--method", "candidates", "--batch-size", "4",
                        "--no-progress", "--engine", "ray", "--workers", "2", "--ray-address", address]
    part = tmp_path / "part.jsonl"
    at_kill, _ = kill_part_way(args(part), part, min_lines=40, timeout=120)
    assert at_kill < N_PAIRS, "killed too late to test anything"
    # Resume with the same command: the run record holds the command's settings, so a rerun with
    # other settings (or from Python without them) would be refused rather than mixed.
    subprocess.run([sys.executable, "-m", "spacy_xproj", *args(part)], check=True, timeout=300)
    _project(aligned, tmp_path / "local.jsonl", None, batch_size=4)
    assert part.read_bytes() == (tmp_path / "local.jsonl").read_bytes()


def test_ray_engine_from_options(ray_session) -> None:
    engine = build_engine("ray", workers=3, gpus_per_worker=0.5)
    assert isinstance(engine, RayEngine)
    assert (engine.workers, engine.gpus_per_worker) == (3, 0.5)
    assert list(engine.map(lambda b: b, iter([]))) == []


@pytest.mark.slow
def test_ray_languages_runs_each_language_in_its_own_folder(ray_session, tmp_path: Path) -> None:
    """scripts/ray_languages.py: a shared step once, then one Ray task per language, one table."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("ray_languages", REPO / "scripts" / "ray_languages.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["ray_languages"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]

    project = tmp_path / "project"
    (project / "configs").mkdir(parents=True)
    (project / "configs" / "base.txt").write_text("shared\n")
    write = "import json,sys,pathlib; p=pathlib.Path(sys.argv[1]); p.parent.mkdir(parents=True,exist_ok=True); "
    (project / "project.yml").write_text(
        "vars:\n  lang: 'xx'\n"
        "commands:\n"
        "  - name: shared\n    script:\n"
        f"      - \"python -c \\\"{write}p.write_text('once')\\\" training/source.txt\"\n"
        "  - name: pairs\n    script:\n"
        f"      - \"python -c \\\"{write}p.write_text(open('configs/base.txt').read() + '${{vars.lang}}')\\\" corpus/${{vars.lang}}.txt\"\n"
        "  - name: evaluate\n    script:\n"
        f"      - \"python -c \\\"{write}p.write_text(json.dumps({{'overall': {{'precision': 0.5, 'recall': 0.25, 'f1': 1/3}}}}))\\\" metrics/${{vars.lang}}.json\"\n"
        "  - name: broken\n    script:\n      - \"python -c \\\"import sys; sys.exit(3)\\\"\"\n"
        "workflows:\n  chain: [shared, pairs, evaluate]\n",
        encoding="utf8",
    )
    commands = [c for c in module.workflow_commands(project, "chain") if c != "shared"]
    rows = module.run_languages(project, ["hau", "yor"], commands, tmp_path / "runs", shared=["shared"],
                                links=["training"], metrics="metrics/{lang}.json")
    assert (project / "training" / "source.txt").read_text() == "once"
    for lang, row in zip(["hau", "yor"], rows):
        assert row["status"] == "ok", (tmp_path / "runs" / lang / "run.log").read_text()
        assert (tmp_path / "runs" / lang / "corpus" / f"{lang}.txt").read_text() == f"shared\n{lang}"
        assert (tmp_path / "runs" / lang / "training" / "source.txt").exists()  # linked, not rerun
        assert row["f1"] == pytest.approx(1 / 3)
    table = module.format_table(rows)
    assert "| hau | ok |" in table and "| 50.0 | 25.0 | 33.3 |" in table

    failed = module.run_languages(project, ["ibo"], ["pairs", "broken", "evaluate"], tmp_path / "runs")
    assert failed[0]["status"] == "failed (exit 3)" and failed[0]["failed_command"] == "broken"
    assert failed[0]["commands"] == ["pairs"]

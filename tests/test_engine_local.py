"""The engine switch without Ray: the local engine, the registry and the option errors."""
from __future__ import annotations

from pathlib import Path
from typing import List

import pytest
from conftest import require_module
from typer.testing import CliRunner

from spacy_xproj.cli.app import app
from spacy_xproj.corpus.jsonl import write_pairs
from spacy_xproj.engine import LocalEngine, build_engine, engines
from spacy_xproj.errors import ConfigError
from spacy_xproj.runner import run_pairs
from spacy_xproj.types import Alignment, Entity, Pair, Side


def _pairs(n: int) -> List[Pair]:
    return [Pair(f"p{i}", Side("en", ["a", "b"], [Entity(0, 1, "PER")]), Side("de", ["x"]), Alignment([(0, 0)]), {}) for i in range(n)]


def test_local_engine_yields_batches_with_results_in_order() -> None:
    calls: List[int] = []

    def process(batch: List[Pair]) -> List[Pair]:
        calls.append(len(batch))
        return [Pair(p.id, p.src, p.tgt, p.alignment, {"n": len(batch)}) for p in batch]

    batches = [_pairs(3)[:2], _pairs(3)[2:]]
    out = list(LocalEngine().map(process, iter(batches)))
    assert [b for b, _ in out] == batches
    assert [[p.meta["n"] for p in r] for _, r in out] == [[2, 2], [1]]
    assert calls == [2, 1]


def test_engines_are_registered_and_options_are_checked() -> None:
    assert set(engines.get_all()) >= {"spacy-xproj.LocalEngine.v1", "spacy-xproj.RayEngine.v1"}
    assert isinstance(build_engine("local"), LocalEngine)
    assert isinstance(build_engine("spacy-xproj.LocalEngine.v1"), LocalEngine)
    with pytest.raises(ConfigError, match="unknown --engine 'spark'"):
        build_engine("spark")
    with pytest.raises(ConfigError, match="--workers must be >= 1"):
        build_engine("ray", workers=0)


def test_runner_uses_the_engine_it_is_given(tmp_path: Path) -> None:
    """run_pairs hands its batches to the engine as raw lines (parsed where the engine runs the
    step) and writes the output bytes the engine returns."""
    seen: List[object] = []

    class Recording(LocalEngine):
        def map(self, process, batches, summary=None):
            for batch, result in super().map(process, batches, summary):
                assert all(isinstance(line, bytes) for line in batch.lines)
                seen.append((batch.start, len(batch), result.ids))
                yield batch, result

    src = tmp_path / "in.jsonl"
    write_pairs(src, _pairs(5))
    run_pairs(src, tmp_path / "out.jsonl", lambda b: b, command="t", batch_size=2, progress=False, engine=Recording())
    assert seen == [(1, 2, ["p0", "p1"]), (3, 2, ["p2", "p3"]), (5, 1, ["p4"])]
    assert (tmp_path / "out.jsonl").read_bytes() == src.read_bytes()


def test_every_long_command_has_the_engine_options() -> None:
    runner = CliRunner()
    for command in ("translate", "label", "align", "project"):
        r = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
        assert r.exit_code == 0, r.output
        for option in ("--engine", "--ray-address", "--workers", "--gpus-per-worker"):
            assert option in r.output, (command, option)


@pytest.mark.slow
def test_neural_aligners_ship_to_workers_unloaded(tmp_path: Path) -> None:
    """What the Ray engine does with a batch function: pickle it (model not loaded), unpickle, run."""
    require_module("transformers")
    import cloudpickle
    from spacy.util import registry

    import spacy_xproj  # noqa: F401
    from tiny_bert import make_tiny_bert

    model = str(make_tiny_bert(tmp_path / "bert"))
    src, tgt = [["Angela", "Merkel", "visited", "Paris"]], [["Angela", "Merkel", "besuchte", "Paris"]]
    for name in ("spacy-xproj.SimAlign.v1", "spacy-xproj.Awesome.v1"):
        aligner = registry.xproj_aligners.get(name)(model=model, layer=2)
        payload = cloudpickle.dumps(aligner)  # before any batch: no model inside
        assert len(payload) < 5_000_000, (name, len(payload))
        copy = cloudpickle.loads(payload)
        assert [a.links for a in copy(src, tgt)] == [a.links for a in aligner(src, tgt)]

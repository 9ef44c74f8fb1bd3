"""Engines: where the batches of a long command (translate, label, align, project) are processed.

An engine maps an iterator of items to an iterator of ``(item, process(item))`` tuples **in input
order**. The runner (``spacy_xproj.runner.run_pairs``) passes chunks of raw input lines and a
:class:`spacy_xproj.runner.BatchStep` that parses a chunk, runs the step on it and serialises the
output lines; reading, resuming and writing stay with the runner, so every engine writes through the
same writer and gives the same output bytes for deterministic steps, and the process that writes
does almost nothing per record.

* ``spacy-xproj.LocalEngine.v1``: calls the function in this process, one item after another.
* ``spacy-xproj.RayEngine.v1``: a pool of ``--workers`` Ray actors (each with ``--gpus-per-worker``
  GPUs) with at most 2 x workers items in flight; every actor unpickles the function once, when it
  starts, so the component it closes over (translator, labeller, aligner with its learned
  statistics, projector) is built once per actor. Needs the ``ray`` extra:
  ``pip install "spacy-xproj[ray]"``.

Engines are registered functions in the ``xproj_engines`` registry (entry-point group
``thinc_xproj_engines``), so other packages can add engines: anything with
``map(process, items, summary)`` as above (``summary``: the run's :class:`RunSummary`, to which an
engine that runs ``process`` elsewhere adds the warnings and cache hits counted there).
"""
from __future__ import annotations

import os
from typing import Any, Callable, Iterable, Iterator, Optional, Tuple

from spacy.util import registry

from ..errors import ConfigError

if not hasattr(registry, "xproj_engines"):
    registry.create("xproj_engines", entry_points=True)
engines = registry.xproj_engines  # type: ignore[attr-defined]

BatchFn = Callable[[Any], Any]
Mapped = Iterator[Tuple[Any, Any]]
ENGINE_NAMES = {"local": "spacy-xproj.LocalEngine.v1", "ray": "spacy-xproj.RayEngine.v1"}


class LocalEngine:
    """Process every batch in this process, in order."""

    name = "local"

    def map(self, process: BatchFn, batches: Iterable[Any], summary: Any = None) -> Mapped:
        """Yield ``(batch, process(batch))`` for each batch, in input order."""
        for batch in batches:
            yield batch, process(batch)

    def close(self) -> None:
        pass


@engines("spacy-xproj.LocalEngine.v1")
def make_local_engine() -> LocalEngine:
    """The default engine: one process, batches one after another."""
    return LocalEngine()


@engines("spacy-xproj.RayEngine.v1")
def make_ray_engine(
    address: Optional[str] = None,
    workers: int = 1,
    gpus_per_worker: float = 0.0,
    cpus_per_worker: float = 1.0,
    max_restarts: int = -1,
    max_task_retries: int = -1,
) -> Any:
    """A Ray engine: ``workers`` actors (each ``cpus_per_worker`` CPUs, ``gpus_per_worker`` GPUs).

    ``address`` joins a running cluster (``ray://host:10001`` or ``host:6379``; default: the
    ``RAY_ADDRESS`` environment variable, else a Ray instance started on this machine).
    ``max_restarts``/``max_task_retries`` (-1 = unlimited) let Ray restart a dead actor and retry
    its batch, so a lost worker neither loses nor duplicates records.
    """
    from .ray_engine import RayEngine

    return RayEngine(
        address=address,
        workers=workers,
        gpus_per_worker=gpus_per_worker,
        cpus_per_worker=cpus_per_worker,
        max_restarts=max_restarts,
        max_task_retries=max_task_retries,
    )


def build_engine(
    engine: str = "local",
    ray_address: Optional[str] = None,
    workers: int = 1,
    gpus_per_worker: float = 0.0,
) -> Any:
    """The engine the command-line options name (``local``, ``ray`` or a registered name)."""
    name = ENGINE_NAMES.get(engine, engine)
    try:
        factory = engines.get(name)
    except Exception:  # catalogue.RegistryError
        known = ", ".join(sorted(ENGINE_NAMES))
        raise ConfigError(f"unknown --engine {engine!r}; use one of {known} or a registered name") from None
    if name == ENGINE_NAMES["local"]:
        return factory()
    if workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {workers}")
    if gpus_per_worker < 0:
        raise ConfigError(f"--gpus-per-worker must be >= 0, got {gpus_per_worker}")
    return factory(address=ray_address or os.environ.get("RAY_ADDRESS") or None, workers=workers,
                   gpus_per_worker=gpus_per_worker)


__all__ = ["LocalEngine", "build_engine", "engines", "make_local_engine", "make_ray_engine", "ENGINE_NAMES"]

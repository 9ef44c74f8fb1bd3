"""The Ray engine: ``ray.data`` ``map_batches`` over an actor pool, results in input order.

How a run goes:

1. The batch function (with everything it closes over: the projector, the aligner with the
   statistics the driver learned, a lazily loaded translator or labeller, and the run summary it
   counts warnings into) is pickled once with cloudpickle.
2. The runner's batches become the rows of a Ray Dataset (one row = one batch, pickled), one block
   per batch, so batch boundaries are exactly those of the local engine (eflomal aligns a batch as
   one corpus: the same boundaries give the same links).
3. ``map_batches`` runs a callable class over a fixed pool of ``workers`` actors
   (``concurrency=workers``, ``num_gpus=gpus_per_worker``). Each actor unpickles the batch function
   at its first batch, so models load once per actor.
4. With ``preserve_order`` the processed batches come back in input order; the runner writes them
   with the same writer as the local engine. Warnings and cache hits counted on the actors are
   sent back with each batch and added to the driver's summary.

Actors are created with ``max_restarts``/``max_task_retries`` (default unlimited): when a worker
process dies, Ray restarts the actor and reruns the batch; the driver still receives exactly one
result per batch, so nothing is lost or duplicated.
"""
from __future__ import annotations

import pickle
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple

from ..errors import ConfigError, MissingExtraError
from ..types import Pair


def _import_ray() -> Any:
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise MissingExtraError("ray[data]", "ray", "The Ray engine (--engine ray)") from None
    return ray


def ensure_ray(address: Optional[str] = None, **init_kwargs: Any) -> Any:
    """Connect to Ray once per process: the cluster at ``address``, else a local instance.

    An already initialised Ray (e.g. a test session's, or a script's own ``ray.init``) is reused.
    """
    ray = _import_ray()
    if not ray.is_initialized():
        kwargs: Dict[str, Any] = {"include_dashboard": False, "log_to_driver": True}
        kwargs.update(init_kwargs)
        try:
            ray.init(address=address, **kwargs)
        except ConnectionError as err:
            raise ConfigError(
                f"cannot join the Ray cluster at {address!r}: {err} (start one with `ray start --head`, "
                "or leave --ray-address and RAY_ADDRESS unset for a local Ray instance)"
            ) from None
    return ray


def _summary_delta(summary: Any) -> Tuple[int, Dict[str, int]]:
    if summary is None:
        return 0, {}
    return int(getattr(summary, "cached", 0)), dict(getattr(summary, "warnings", {}) or {})


def _reset_summary(summary: Any) -> None:
    if summary is None:
        return
    if hasattr(summary, "cached"):
        summary.cached = 0
    if hasattr(summary, "warnings"):
        summary.warnings = {}


class BatchWorker:
    """The actor class: unpickles the batch function once, then processes pickled batches."""

    def __init__(self, payload: bytes) -> None:
        self._payload = payload
        self._loaded: Optional[Tuple[Any, Any]] = None

    def __call__(self, rows: Dict[str, Any]) -> Dict[str, Any]:
        import numpy as np

        if self._loaded is None:  # the first batch builds the component (models load here)
            import cloudpickle

            self._loaded = cloudpickle.loads(self._payload)
        process, summary = self._loaded
        out = []
        for index, blob in zip(rows["index"], rows["batch"]):
            batch: List[Pair] = pickle.loads(blob)
            _reset_summary(summary)
            result = process(batch)
            out.append(pickle.dumps((int(index), result, _summary_delta(summary)), protocol=5))
        return {"result": np.array(out, dtype=object)}


class RayEngine:
    """Process batches on a pool of Ray actors; yields ``(batch, result)`` in input order."""

    name = "ray"

    def __init__(
        self,
        address: Optional[str] = None,
        workers: int = 1,
        gpus_per_worker: float = 0.0,
        cpus_per_worker: float = 1.0,
        max_restarts: int = -1,
        max_task_retries: int = -1,
    ) -> None:
        if workers < 1:
            raise ConfigError(f"workers must be >= 1, got {workers}")
        _import_ray()
        self.address = address
        self.workers = int(workers)
        self.gpus_per_worker = float(gpus_per_worker)
        self.cpus_per_worker = float(cpus_per_worker)
        self.max_restarts = int(max_restarts)
        self.max_task_retries = int(max_task_retries)

    def map(self, process: Any, batches: Iterable[List[Pair]], summary: Any = None) -> Iterator[Tuple[List[Pair], List[Pair]]]:
        import cloudpickle

        ray = ensure_ray(self.address)
        inputs = list(batches)
        if not inputs:
            return
        # One pickle for the function and the summary: the closure's reference to the summary
        # stays the same object on the actor, so its counts can be sent back per batch.
        payload = cloudpickle.dumps((process, summary))
        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = True
        ctx.enable_progress_bars = False
        rows = [{"index": i, "batch": pickle.dumps(b, protocol=5)} for i, b in enumerate(inputs)]
        ds = ray.data.from_items(rows, override_num_blocks=len(rows))
        # ray.data already restarts dead actors and retries their batches without limit (-1);
        # other values are passed on as actor options.
        retry_args: Dict[str, Any] = {}
        if self.max_restarts != -1:
            retry_args["max_restarts"] = self.max_restarts
        if self.max_task_retries != -1:
            retry_args["max_task_retries"] = self.max_task_retries
        mapped = ds.map_batches(
            BatchWorker,
            fn_constructor_args=(payload,),
            batch_size=1,
            batch_format="numpy",
            zero_copy_batch=True,
            compute=ray.data.ActorPoolStrategy(size=self.workers),
            num_cpus=self.cpus_per_worker,
            num_gpus=self.gpus_per_worker or None,
            **retry_args,
        )
        expected = 0
        for row in mapped.iter_rows():
            index, result, (cached, warnings) = pickle.loads(row["result"])
            if index != expected:  # preserve_order guarantees this; never write out of order
                raise RuntimeError(f"Ray returned batch {index} where batch {expected} was expected")
            if summary is not None:
                if cached and hasattr(summary, "cached"):
                    summary.cached += cached
                for kind, n in warnings.items():
                    summary.warn(kind, n)
            yield inputs[index], result
            inputs[index] = []  # the driver keeps no batch it has handed on
            expected += 1
        if expected != len(inputs):
            raise RuntimeError(f"Ray returned {expected} batches for {len(inputs)}")

    def close(self) -> None:
        pass

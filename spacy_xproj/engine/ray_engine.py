"""The Ray engine: a pool of Ray actors, a bounded window of batches in flight, results in input order.

How a run goes:

1. The batch function (for the runner: a :class:`spacy_xproj.runner.BatchStep`, which parses a
   chunk of raw input lines, runs the step and serialises the output lines; with everything it
   closes over: the projector, the aligner with the statistics the driver learned, a lazily loaded
   translator or labeller, and the run summary it counts warnings into) is pickled once with
   cloudpickle and put in the object store once.
2. ``workers`` actors (``num_cpus=cpus_per_worker``, ``num_gpus=gpus_per_worker``) each unpickle it
   before their first batch, so models load once per actor.
3. The driver streams the input: it reads a batch of raw lines, hands it to the least busy actor
   and keeps at most ``2 x workers`` batches in flight, so memory stays bounded whatever the input
   size (nothing is staged in the object store beyond those batches).
4. Results are taken in input order. For the runner a result is the batch's output bytes, so the
   driver only checks ids, appends and commits. Warnings and cache hits counted on the actors come
   back with each result and are added to the driver's summary. An error raised on an actor comes
   back as a value and is raised by the driver when its batch's turn comes, after every earlier
   batch was written.

Actors are created with ``max_restarts``/``max_task_retries`` (default unlimited): when a worker
process dies, Ray restarts the actor (which unpickles the function again) and reruns its batches;
the driver still receives exactly one result per batch, so nothing is lost or duplicated.
"""
from __future__ import annotations

import os
import time
import traceback
from typing import Any, Dict, Iterable, Iterator, Optional, Tuple

from ..errors import ConfigError, MissingExtraError


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise MissingExtraError("ray", "ray", "The Ray engine (--engine ray)") from None
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


def _portable(err: BaseException) -> BaseException:
    """``err`` as it can travel back to the driver: with the worker's traceback as a note, and
    replaced by a RuntimeError with its text when it cannot be pickled."""
    import cloudpickle

    from ..errors import XprojError

    tb = "".join(traceback.format_exception(type(err), err, err.__traceback__))
    try:
        cloudpickle.dumps(err)
    except Exception:
        return RuntimeError(f"{type(err).__name__}: {err} (raised on a Ray worker)\n{tb}")
    if not isinstance(err, XprojError) and hasattr(err, "add_note"):  # our errors say where already
        err.add_note(f"(raised on a Ray worker, pid {os.getpid()})\n{tb}")
    return err


OK, FAILED = 0, 1


def _cpu_seconds() -> float:
    """CPU seconds of this process and the subprocesses it waited for (eflomal's binary)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class BatchWorker:
    """The actor class: unpickles the batch function once (before its first batch), then runs batches.

    The pickled function comes as an object-store reference inside every call (``box``: a list,
    so Ray passes the reference instead of the bytes), not as a constructor argument: an actor
    that Ray restarts after its process died loads it again from there, and Ray has no
    constructor argument to keep alive for restarts.
    """

    def __init__(self) -> None:
        self._loaded = False
        self._error: Optional[BaseException] = None
        self._fn: Any = None
        self._summary: Any = None

    def _load(self, box: list) -> float:
        import cloudpickle
        import ray

        try:  # the component is built here, once per actor (and again if Ray restarts it)
            self._fn, self._summary = cloudpickle.loads(ray.get(box[0]))
        except Exception as err:  # reported with every batch, not as an endless restart
            self._error = _portable(err)
        self._loaded = True
        return _cpu_seconds()  # the process's CPU until now: its start-up

    def pid(self) -> int:
        return os.getpid()

    def run(self, item: Any, box: list) -> Tuple[int, Any, Tuple[int, Dict[str, int]], Tuple[float, float]]:
        """``(status, result or error, (cached, warnings) counted, (CPU seconds of the batch,
        CPU seconds of the actor's start-up, sent with its first batch only)))``."""
        start_cpu = 0.0 if self._loaded else self._load(box)
        if self._error is not None:
            return FAILED, self._error, (0, {}), (0.0, start_cpu)
        cpu = _cpu_seconds()
        _reset_summary(self._summary)
        try:
            result = self._fn(item)
        except Exception as err:
            return FAILED, _portable(err), _summary_delta(self._summary), (_cpu_seconds() - cpu, start_cpu)
        error = getattr(result, "error", None)
        if isinstance(error, BaseException):  # a runner ChunkResult carries its error
            result.error = _portable(error)
        return OK, result, _summary_delta(self._summary), (_cpu_seconds() - cpu, start_cpu)


_REMOTE_CLASS: Any = None


def _remote_class(ray: Any) -> Any:
    global _REMOTE_CLASS
    if _REMOTE_CLASS is None:
        _REMOTE_CLASS = ray.remote(BatchWorker)
    return _REMOTE_CLASS


class RayEngine:
    """Process batches on a pool of Ray actors; yields ``(item, result)`` in input order."""

    name = "ray"

    def __init__(
        self,
        address: Optional[str] = None,
        workers: int = 1,
        gpus_per_worker: float = 0.0,
        cpus_per_worker: float = 1.0,
        max_restarts: int = -1,
        max_task_retries: int = -1,
        max_in_flight: Optional[int] = None,
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
        # Two batches per actor: one running, one waiting, so an actor never idles while the
        # driver writes; more only costs memory.
        self.max_in_flight = int(max_in_flight or 2 * self.workers)
        if self.max_in_flight < 1:
            raise ConfigError(f"max_in_flight must be >= 1, got {max_in_flight}")
        self.stats: Dict[str, float] = {}

    def map(self, process: Any, batches: Iterable[Any], summary: Any = None) -> Iterator[Tuple[Any, Any]]:
        """Yield ``(batch, process(batch))`` for each batch, in input order, computed on the actors."""
        import cloudpickle

        items = iter(batches)
        first = next(items, _END)
        if first is _END:
            return
        ray = ensure_ray(self.address)
        t0 = time.perf_counter()
        # One pickle for the function and the summary: the closure's reference to the summary
        # stays the same object on the actor, so its counts can be sent back per batch.
        payload = ray.put(cloudpickle.dumps((process, summary)))
        options: Dict[str, Any] = {"num_cpus": self.cpus_per_worker, "max_restarts": self.max_restarts,
                                   "max_task_retries": self.max_task_retries}
        if self.gpus_per_worker:
            options["num_gpus"] = self.gpus_per_worker
        worker_class = _remote_class(ray)
        actors = [worker_class.options(**options).remote() for _ in range(self.workers)]
        box = [payload]
        # For benchmarks: seconds to the first result (actor start-up and the first batch), seconds
        # the driver waited for results, CPU seconds the actors spent in batches.
        self.stats = {"first_result_s": 0.0, "wait_s": 0.0, "worker_cpu_s": 0.0, "worker_start_cpu_s": 0.0,
                      "batches": 0}
        load = [0] * len(actors)  # batches handed to each actor and not finished
        held: Dict[int, Any] = {}  # index -> the batch, until its result is yielded
        refs: Dict[int, Any] = {}  # index -> result ref
        owner: Dict[int, int] = {}  # index -> actor
        finished: set = set()
        next_in = next_out = 0
        pending: Any = first
        try:
            while True:
                open_refs = {refs[i]: i for i in refs if i not in finished}
                if open_refs:  # which batches are done already (so their actor is free)
                    ready, _ = ray.wait(list(open_refs), num_returns=len(open_refs), timeout=0)
                    for ref in ready:
                        i = open_refs[ref]
                        finished.add(i)
                        load[owner[i]] -= 1
                while pending is not _END and next_in - next_out < self.max_in_flight:
                    a = min(range(len(actors)), key=load.__getitem__)
                    refs[next_in] = actors[a].run.remote(pending, box)
                    held[next_in], owner[next_in] = pending, a
                    load[a] += 1
                    next_in += 1
                    pending = next(items, _END)
                if next_out == next_in:
                    break
                t = time.perf_counter()
                status, result, (cached, warnings), (cpu, start_cpu) = ray.get(refs.pop(next_out))
                self.stats["wait_s"] += time.perf_counter() - t
                self.stats["worker_cpu_s"] += cpu
                self.stats["worker_start_cpu_s"] += start_cpu
                if next_out == 0:
                    self.stats["first_result_s"] = time.perf_counter() - t0
                if next_out not in finished:
                    load[owner[next_out]] -= 1
                finished.discard(next_out)
                del owner[next_out]
                if summary is not None:
                    if cached and hasattr(summary, "cached"):
                        summary.cached += cached
                    for kind, n in warnings.items():
                        summary.warn(kind, n)
                if status == FAILED:
                    raise result
                self.stats["batches"] += 1
                yield held.pop(next_out), result
                next_out += 1
        finally:
            for actor in actors:
                ray.kill(actor)  # no restart; frees the CPUs/GPUs for the next command

    def close(self) -> None:
        pass


_END = object()

"""The engines: the same work (a worker built once per process from `worker`, a factory and its
arguments, usually scale.work.BackfillWorker) run over batches of raw documents in-process, on a
local process pool, or on Ray Data. The workers write their results themselves; each engine
yields the batches' summaries (counts, error rows, timings), so what reaches the driver is
small whatever the documents' size.

- `inline`: the driver itself, one process (tests, and the baseline of the benchmark).
- `local`: a pool of worker processes on this machine, each loading the models once; at most
  two batches per worker in flight (backpressure: reading never runs far ahead of analysis).
  A worker that dies is replaced; the documents it held are retried one by one, and one that
  kills its worker again is reported as an error.
- `ray`: Ray Data. Units are read by Ray tasks, batches go to an actor pool (one actor per
  worker, each loading the models once), summaries stream back to the driver. Ray's streaming
  executor bounds the data in flight. An actor that dies is restarted and its batch retried a
  bounded number of times, then given up; the documents of batches given up are retried one by
  one, and one that kills its actor every time is reported as an error. An exception in a worker
  (not a document's: those are error rows) stops the run, as on the local pool. Ray is imported
  only here.

Summaries come in archive order (on Ray, those of documents retried one by one come last), so
the errors file does too.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from typing import Any

from entrelignes.scale.archives import Unit, read_unit
from entrelignes.scale.work import batch_summary, error_row

ENGINES = ("local", "ray", "inline")
# how a worker is built in each process: factory(*arguments) gives a callable, batch -> summary
WorkerSpec = tuple[Callable[..., Callable[[list[dict[str, Any]]], dict[str, Any]]], tuple]
DIED = "the worker process died on this document"
RAY_TASK_RETRIES = 2  # a batch whose actor dies is tried this many more times, then given up


def _batches(items: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _not_done(documents: Iterable[dict[str, Any]], skip: set[str] | frozenset[str]) -> Iterator[dict[str, Any]]:
    return (raw for raw in documents if raw["article_id"] not in skip)


def raw_documents(units: Sequence[Unit], skip: set[str] | frozenset[str] = frozenset(), limit: int | None = None) -> Iterator[dict[str, Any]]:
    """The raw documents of the units not done yet (not in `skip`), in order; the first `limit`."""
    return islice(_not_done((raw for unit in units for raw in read_unit(unit)), skip), limit)


def run_inline(units: Sequence[Unit], *, worker: WorkerSpec, skip: set[str], batch_size: int, limit: int | None = None, **_: Any) -> Iterator[dict[str, Any]]:
    factory, arguments = worker
    work = factory(*arguments)
    for batch in _batches(raw_documents(units, skip, limit), batch_size):
        yield work(batch)


# --- local process pool ------------------------------------------------------------------------

_POOL_WORKER: Callable[[list[dict[str, Any]]], dict[str, Any]] | None = None


def _pool_init(factory: Callable[..., Callable], arguments: tuple) -> None:
    global _POOL_WORKER
    _POOL_WORKER = factory(*arguments)


def _pool_work(batch: list[dict[str, Any]]) -> dict[str, Any]:
    assert _POOL_WORKER is not None
    return _POOL_WORKER(batch)


class _Pool:
    """Worker processes, each running the worker built from `worker` over the batches it gets."""

    def __init__(self, workers: int, worker: WorkerSpec) -> None:
        self.workers, self.worker = workers, worker
        self.restarts = 0  # in a row, without a batch done in between
        self.executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        # spawn: a clean interpreter per worker, never a fork of a driver that may hold threads
        return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_pool_init, initargs=self.worker)

    def submit(self, batch: list[dict[str, Any]]) -> Future:
        try:
            return self.executor.submit(_pool_work, batch)
        except BrokenProcessPool:
            self.restart()
            return self.executor.submit(_pool_work, batch)

    def restart(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.restarts += 1
        if self.restarts > 3:  # not one document's fault: the workers cannot start or keep dying
            raise RuntimeError("the worker processes keep dying (out of memory? a model that fails to load?); stopping")
        self.executor = self._start()

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)

    def one_by_one(self, batch: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """After a worker died: each document of its batch alone, the culprit reported."""
        for raw in batch:
            try:
                summary = self.submit([raw]).result()
                self.restarts = 0
                yield summary
            except BrokenProcessPool:
                self.restart()
                yield batch_summary([error_row(raw, "analyze", DIED)])


def run_local(units: Sequence[Unit], *, worker: WorkerSpec, skip: set[str], batch_size: int, workers: int, limit: int | None = None, **_: Any) -> Iterator[dict[str, Any]]:
    pool = _Pool(max(1, workers), worker)
    in_flight: deque[tuple[list[dict[str, Any]], Future]] = deque()
    try:
        for batch in _batches(raw_documents(units, skip, limit), batch_size):
            in_flight.append((batch, pool.submit(batch)))
            while len(in_flight) >= 2 * pool.workers:
                yield from _collect(pool, in_flight)
        while in_flight:
            yield from _collect(pool, in_flight)
    finally:
        pool.close()


def _collect(pool: _Pool, in_flight: deque) -> Iterator[dict[str, Any]]:
    batch, future = in_flight.popleft()
    try:
        summary = future.result()
    except BrokenProcessPool:
        # every batch in flight went down with the pool: redo them, this one first, alone
        waiting = [b for b, _ in in_flight]
        in_flight.clear()
        pool.restart()
        yield from pool.one_by_one(batch)
        for other in waiting:
            in_flight.append((other, pool.submit(other)))
        return
    pool.restarts = 0
    yield summary


# --- Ray Data -----------------------------------------------------------------------------------


class _RayWorker:
    """The actor: the worker built once (models loaded once), fed pyarrow batches; it returns
    its batch's summary as a one-row table."""

    def __init__(self, factory: Callable[..., Callable], arguments: tuple) -> None:
        self.work = factory(*arguments)

    def __call__(self, batch):
        import pyarrow as pa

        try:
            summary = {**self.work(batch.to_pylist()), "failure": ""}
        except Exception as error:  # noqa: BLE001 - not a document's (those are error rows): sent back to stop the run
            summary = {**batch_summary([]), "failure": f"{type(error).__name__}: {error}"}
        return pa.Table.from_pylist([{**summary, "errors": json.dumps(summary["errors"], ensure_ascii=False)}], schema=_summary_schema())


def _summary_schema():
    import pyarrow as pa

    return pa.schema([("documents", pa.int64()), ("analysed", pa.int64()), ("errors", pa.string()), ("worker", pa.int64()),
                      ("done_at", pa.float64()), ("cpu_s", pa.float64()), ("write_s", pa.float64()), ("failure", pa.string())])


def _read_unit_rows(row: dict[str, Any], skip: frozenset[str]) -> list[dict[str, Any]]:
    return list(_not_done(read_unit(row), skip))


def start_ray(address: str | None, workers: int, runtime_env: dict | None = None) -> None:
    """Connect to a Ray cluster (`address`: "auto", "ray://host:10001", ...) or start a local one."""
    import ray

    if ray.is_initialized():
        return
    options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
    if runtime_env:
        options["runtime_env"] = runtime_env
    if address:
        ray.init(address=address, **options)
    else:  # a private instance on this machine: the workers, plus a little room for reading
        ray.init(num_cpus=workers + 1, **options)


def run_ray(units: Sequence[Unit], *, worker: WorkerSpec, skip: set[str], batch_size: int, workers: int, limit: int | None = None,
            done: Callable[[], set[str]], address: str | None = None, runtime_env: dict | None = None, **_: Any) -> Iterator[dict[str, Any]]:
    """`done`: what the output holds now; after the run, documents neither there nor reported
    are those of batches given up, retried one by one."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise RuntimeError("the ray engine needs Ray: install entrelignes[ray] (or use --engine local)") from None
    if not units:
        return
    start_ray(address, workers, runtime_env)
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # the run's own summary is enough
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True  # archive order in, archive order out
    context.enable_progress_bars = False
    context.max_errored_blocks = -1  # a batch given up does not stop the run: its documents are retried below
    skip = frozenset(skip)
    dataset = ray.data.from_items([unit.to_dict() for unit in units], override_num_blocks=min(len(units), 8 * max(1, workers)))
    dataset = dataset.flat_map(_read_unit_rows, fn_kwargs={"skip": skip}, num_cpus=0.5)
    if limit is not None:
        dataset = dataset.limit(limit)
    reported: set[str] = set()  # ids in the errors
    analysed = 0
    for summary in _ray_summaries(ray, dataset, worker, batch_size, workers):
        reported.update(error["article_id"] for error in summary["errors"])
        analysed += summary["analysed"]
        yield summary
    # a batch given up lost its summary, and with it the summaries of the batches its actor did
    # before dying (they are written): count those, and retry what is neither written nor reported
    finished, written, missing = done(), 0, []
    for raw in raw_documents(units, skip, limit):
        if raw["article_id"] in finished:
            written += 1
        elif raw["article_id"] not in reported:
            missing.append(raw)
    if written > analysed:
        yield {**batch_summary([]), "documents": written - analysed, "analysed": written - analysed}
    if not missing:
        return
    # one document per block and per actor at a time: a document beside the culprit would die with it
    alone = ray.data.from_items(missing, override_num_blocks=len(missing))
    for summary in _ray_summaries(ray, alone, worker, 1, workers, tasks_per_actor=1):
        reported.update(error["article_id"] for error in summary["errors"])
        yield summary
    finished = done() | reported
    lost = [error_row(raw, "analyze", DIED) for raw in missing if raw["article_id"] not in finished]
    if lost:
        yield batch_summary(lost)


def _ray_summaries(ray, dataset, worker: WorkerSpec, batch_size: int, workers: int, tasks_per_actor: int = 2) -> Iterator[dict[str, Any]]:
    dataset = dataset.map_batches(
        _RayWorker,
        fn_constructor_args=worker,
        batch_size=batch_size,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=max(1, workers), max_tasks_in_flight_per_actor=tasks_per_actor),
        num_cpus=1,
        max_restarts=-1,  # an actor that dies is replaced ...
        max_task_retries=RAY_TASK_RETRIES,  # ... but a batch that kills it every time is given up
    )
    for table in dataset.iter_batches(batch_size=None, batch_format="pyarrow"):
        for summary in table.to_pylist():
            if failure := summary.pop("failure"):
                # the store unreachable, the disk full, a bug: every batch would fail alike, so
                # the run stops, as on the local pool (only an actor that dies is retried)
                raise RuntimeError(f"a worker failed: {failure}")
            yield {**summary, "errors": json.loads(summary["errors"])}


RUNNERS = {"inline": run_inline, "local": run_local, "ray": run_ray}

"""The engines: the same work (scale.work.BatchWorker over batches of raw documents), run
in-process, on a local process pool, or on Ray Data. Each yields result rows in archive order,
so the output does not depend on the engine or on the number of workers.

- `inline`: the driver itself, one process (tests, and the baseline of the benchmark).
- `local`: a pool of worker processes on this machine, each loading the models once; at most
  two batches per worker in flight (backpressure: reading never runs far ahead of analysis).
  A worker that dies is replaced; the documents it held are retried one by one, and one that
  kills its worker again is reported as an error.
- `ray`: Ray Data. Units are read by Ray tasks, batches go to an actor pool (one actor per
  worker, each loading the models once), results stream back to the driver in order. Ray's
  streaming executor bounds the data in flight. Ray is imported only here.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from typing import Any

from entrelignes.scale.archives import Unit, read_unit
from entrelignes.scale.work import RESULT_COLUMNS, BatchWorker, error_row

ENGINES = ("local", "ray", "inline")


def _batches(items: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def raw_documents(units: Sequence[Unit], skip: set[str] | frozenset[str] = frozenset(), limit: int | None = None) -> Iterator[dict[str, Any]]:
    """The raw documents of the units, in order: the first `limit` of them, minus those to skip."""
    documents = (raw for unit in units for raw in read_unit(unit))
    for raw in islice(documents, limit):
        if raw["article_id"] not in skip:
            yield raw


def run_inline(units: Sequence[Unit], *, models: dict[str, str] | None, skip: set[str], batch_size: int, limit: int | None = None, **_: Any) -> Iterator[dict[str, Any]]:
    worker = BatchWorker(models)
    for batch in _batches(raw_documents(units, skip, limit), batch_size):
        yield from worker(batch)


# --- local process pool ------------------------------------------------------------------------

_POOL_WORKER: BatchWorker | None = None


def _pool_init(models: dict[str, str] | None) -> None:
    global _POOL_WORKER
    _POOL_WORKER = BatchWorker(models)


def _pool_work(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    assert _POOL_WORKER is not None
    return _POOL_WORKER(batch)


class _Pool:
    """Worker processes that run `work(batch)` after `initializer(*initargs)`."""

    def __init__(self, workers: int, initializer: Callable[..., None], initargs: tuple, work: Callable[[list], list]) -> None:
        self.workers, self.initializer, self.initargs, self.work = workers, initializer, initargs, work
        self.restarts = 0  # in a row, without a batch done in between
        self.executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        # spawn: a clean interpreter per worker, never a fork of a driver that may hold threads
        return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=self.initializer, initargs=self.initargs)

    def submit(self, batch: list[dict[str, Any]]) -> Future:
        try:
            return self.executor.submit(self.work, batch)
        except BrokenProcessPool:
            self.restart()
            return self.executor.submit(self.work, batch)

    def restart(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.restarts += 1
        if self.restarts > 3:  # not one document's fault: the workers cannot start or keep dying
            raise RuntimeError("the worker processes keep dying (out of memory? a model that fails to load?); stopping")
        self.executor = self._start()

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)

    def one_by_one(self, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """After a worker died: each document of its batch alone, the culprit reported."""
        rows: list[dict[str, Any]] = []
        for raw in batch:
            try:
                rows.extend(self.submit([raw]).result())
                self.restarts = 0
            except BrokenProcessPool:
                self.restart()
                rows.append(error_row(raw, "analyze", "the worker process died on this document"))
        return rows


def run_local(units: Sequence[Unit], *, models: dict[str, str] | None, skip: set[str], batch_size: int, workers: int, limit: int | None = None,
              work: tuple[Callable[..., None], tuple, Callable[[list], list]] | None = None, **_: Any) -> Iterator[dict[str, Any]]:
    """`work`: (initializer, initargs, function) run by the workers instead of the analysis (tests)."""
    initializer, initargs, function = work or (_pool_init, (models,), _pool_work)
    pool = _Pool(max(1, workers), initializer, initargs, function)
    in_flight: deque[tuple[list[dict[str, Any]], Future]] = deque()
    batches = _batches(raw_documents(units, skip, limit), batch_size)
    try:
        for batch in batches:
            in_flight.append((batch, pool.submit(batch)))
            while len(in_flight) >= 2 * pool.workers:
                yield from _collect(pool, in_flight)
        while in_flight:
            yield from _collect(pool, in_flight)
    finally:
        pool.close()


def _collect(pool: _Pool, in_flight: deque) -> list[dict[str, Any]]:
    batch, future = in_flight.popleft()
    try:
        rows = future.result()
        pool.restarts = 0
        return rows
    except BrokenProcessPool:
        # every batch in flight went down with the pool: redo them, this one first, alone
        waiting = [b for b, _ in in_flight]
        in_flight.clear()
        pool.restart()
        rows = pool.one_by_one(batch)
        for other in waiting:
            in_flight.append((other, pool.submit(other)))
        return rows


# --- Ray Data -----------------------------------------------------------------------------------


class _RayWorker:
    """The actor: one BatchWorker, models loaded once, fed pyarrow batches."""

    def __init__(self, models: dict[str, str] | None, skip: Sequence[str]) -> None:
        self.worker = BatchWorker(models, skip)

    def __call__(self, batch):
        import pyarrow as pa

        rows = self.worker(batch.to_pylist())
        return pa.Table.from_pylist(rows, schema=result_schema())


def result_schema():
    import pyarrow as pa

    kinds = {"position": pa.int64(), "quotes": pa.int32(), "entities": pa.int32(), "done_at": pa.float64(), "cpu_s": pa.float64()}
    return pa.schema([(name, kinds.get(name, pa.string())) for name in RESULT_COLUMNS])


def _read_unit_rows(row: dict[str, Any]) -> list[dict[str, Any]]:
    return list(read_unit(row))


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


def run_ray(units: Sequence[Unit], *, models: dict[str, str] | None, skip: set[str], batch_size: int, workers: int,
            limit: int | None = None, address: str | None = None, runtime_env: dict | None = None, **_: Any) -> Iterator[dict[str, Any]]:
    try:
        import ray
        import ray.data
    except ImportError:
        raise RuntimeError("the ray engine needs Ray: install entrelignes[ray] (or use --engine local)") from None
    if not units:
        return
    start_ray(address, workers, runtime_env)
    logging.getLogger("ray.data").setLevel(logging.WARNING)  # the run's own summary is enough
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True  # archive order in, archive order out
    context.enable_progress_bars = False
    dataset = ray.data.from_items([unit.to_dict() for unit in units], override_num_blocks=min(len(units), 8 * max(1, workers)))
    dataset = dataset.flat_map(_read_unit_rows, num_cpus=0.5)
    if limit is not None:
        dataset = dataset.limit(limit)
    dataset = dataset.map_batches(
        _RayWorker,
        fn_constructor_kwargs={"models": models, "skip": sorted(skip)},
        batch_size=batch_size,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=max(1, workers), max_tasks_in_flight_per_actor=2),
        num_cpus=1,  # Ray Data restarts an actor that dies and retries its batches
    )
    for batch in dataset.iter_batches(batch_size=None, batch_format="pyarrow"):
        yield from batch.to_pylist()


RUNNERS = {"inline": run_inline, "local": run_local, "ray": run_ray}

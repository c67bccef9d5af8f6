"""`backfill`: extract and analyse whole archives, on this machine or on a Ray cluster.

    report = backfill(["archive.jsonl", "crawl.warc.gz", "pages/"], engine="local", workers=4,
                      out=Path("results.parquet"), cluster=True)

The workers write results to a Parquet dataset or to the store themselves; documents that
cannot be done go to an errors file and the run carries on. What the output already holds is
skipped, so a rerun (after a crash, or with more archives) does only the rest and gives the
same output as one clean run. With `cluster`, each day's articles are then grouped into stories.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from entrelignes.scale.archives import list_units
from entrelignes.scale.clustering import cluster_days
from entrelignes.scale.engines import ENGINES, RUNNERS
from entrelignes.scale.sinks import ErrorLog, ParquetSink, StoreSink
from entrelignes.scale.work import BackfillWorker


@dataclass
class BackfillReport:
    engine: str
    workers: int
    units: int = 0  # files (or zip members) read
    already_done: int = 0  # held by the output before the run
    analysed: int = 0
    errors: int = 0
    seconds: float = 0.0  # extraction and analysis (clustering apart)
    output: str = ""
    errors_path: str = ""
    by_stage: dict[str, int] = field(default_factory=dict)
    clustered: int = 0  # articles placed in a story (--cluster)
    stories: int = 0

    @property
    def rate(self) -> float:
        """Documents done (analysed or reported) per second of the run."""
        return (self.analysed + self.errors) / self.seconds if self.seconds else 0.0


def backfill(
    archives: Sequence[Path | str],
    *,
    engine: str = "local",
    workers: int = 1,
    out: Path | None = None,
    store=None,
    errors_path: Path | None = None,
    models: dict[str, str] | None = None,
    batch_size: int = 16,
    include: Sequence[str] = (),
    limit: int | None = None,
    address: str | None = None,
    runtime_env: dict | None = None,
    cluster: bool = False,
    on_batch: Callable[[dict[str, Any]], None] | None = None,
) -> BackfillReport:
    """Run extract + analyze over `archives`, writing to `out` (Parquet) or `store` (an engine)."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
    if (out is None) == (store is None):
        raise ValueError("give either a Parquet output path or a store, not both")
    units = list_units(archives, include)
    sink = ParquetSink(Path(out)) if out is not None else StoreSink(store.url.render_as_string(hide_password=False))
    if errors_path is None:
        errors_path = Path(f"{out}.errors.jsonl") if out is not None else Path("backfill-errors.jsonl")
    report = BackfillReport(engine, workers, units=len(units), output=str(out) if out is not None else "store", errors_path=str(errors_path))
    skip = sink.done()
    report.already_done = len(skip)
    errors = ErrorLog(errors_path)
    started = time.perf_counter()
    try:
        summaries = RUNNERS[engine](units, worker=(BackfillWorker, (models, sink)), skip=skip, done=sink.done, batch_size=batch_size,
                                    workers=workers, limit=limit, address=address, runtime_env=runtime_env)
        for summary in summaries:
            report.analysed += summary["analysed"]
            for error in summary["errors"]:
                errors.write(error)
                report.by_stage[error["stage"]] = report.by_stage.get(error["stage"], 0) + 1
            report.errors += len(summary["errors"])
            if on_batch is not None:
                on_batch(summary)
        report.seconds = time.perf_counter() - started
        if cluster:
            report.clustered, report.stories = cluster_days(sink)
    finally:
        errors.close()
        sink.close()
    return report

"""The work each worker does on a batch of raw documents: extract (HTML), analyse, write.

`BatchWorker` is built once per worker (a Ray actor, a pool process, or the driver itself) and
loads the spaCy models once; calling it on a batch gives one result row per document, in order.
A document that fails, for any reason, gives an error row instead: one bad document never
costs the batch. `BackfillWorker` adds the writing: the worker writes its own results to the
output (store or Parquet) and sends back only a small `BatchSummary`: counts, the error rows,
timings. The driver then only hands out batches and lists errors, so it stays a small share of
the machine however many workers there are.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from typing import Any

# what the errors file says of a document that could not be done
ERROR_FIELDS = ("source", "position", "doc_id", "url", "article_id", "stage", "error")


def error_row(raw: dict[str, Any], stage: str, reason: str) -> dict[str, Any]:
    return {
        "article_id": raw.get("article_id", ""), "source": raw.get("source", ""), "position": int(raw.get("position") or 0),
        "doc_id": str(raw.get("doc_id", "")), "url": raw.get("url", ""), "outlet": raw.get("outlet", ""),
        "published": raw.get("published", ""), "title": raw.get("title", ""), "language": raw.get("language", ""),
        "quotes": 0, "entities": 0, "analysis": "", "error": reason[:2000], "stage": stage,
    }


def batch_summary(rows: Sequence[dict[str, Any]], *, cpu_s: float = 0.0, write_s: float = 0.0) -> dict[str, Any]:
    """What a worker sends back for a batch it has written: `documents` (rows done, errors
    included), `analysed`, `errors` (their ERROR_FIELDS), and for measuring only, `worker` (its
    process id), `done_at` (time.time() when the batch was written), `cpu_s` (the worker's CPU
    seconds for it) and `write_s` (seconds spent writing it)."""
    errors = [{name: row[name] for name in ERROR_FIELDS} for row in rows if row["error"]]
    return {"documents": len(rows), "analysed": len(rows) - len(errors), "errors": errors,
            "worker": os.getpid(), "done_at": time.time(), "cpu_s": cpu_s, "write_s": write_s}


_ANALYZERS: dict[tuple, Any] = {}
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def one_thread() -> None:
    """A worker is one core: its numerical libraries get one thread. The parallelism is the
    workers; BLAS threads on top of them only fight for the same cores (on a busy 2-core machine
    the default, two threads per process, burnt 70% more CPU for the same work). Ray does the
    same for its actors."""
    for name in _THREAD_VARIABLES:  # read when the libraries load
        os.environ.setdefault(name, "1")
    try:  # and for those already loaded
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pass


def analyzer_for(models: dict[str, str] | None):
    """One Analyzer per process and model set, its models loaded now (not in the first batch)."""
    from entrelignes.analyze import Analyzer

    key = tuple(sorted(models.items())) if models is not None else None
    if key not in _ANALYZERS:
        analyzer = Analyzer(models)
        for language in analyzer.models:
            analyzer.nlp(language)
        _ANALYZERS[key] = analyzer
    return _ANALYZERS[key]


class BatchWorker:
    """Extract and analyse batches of raw documents with models loaded once."""

    def __init__(self, models: dict[str, str] | None = None) -> None:
        one_thread()
        self.analyzer = analyzer_for(models)
        one_thread()

    def __call__(self, batch: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        prepared: list[dict[str, Any]] = []
        rows: list[dict[str, Any] | None] = []
        for raw in batch:
            if raw.get("error"):
                rows.append(error_row(raw, "read", str(raw["error"])))
                continue
            try:
                raw = _extracted(raw)
            except Exception as error:  # noqa: BLE001 - any failure is this document's alone
                rows.append(error_row(raw, "extract", f"{type(error).__name__}: {error}"))
                continue
            rows.append(None)  # filled in below, in order
            prepared.append(raw)
        analysed = iter(self._analyse(prepared))
        return [row if row is not None else next(analysed) for row in rows]

    def _analyse(self, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        from entrelignes.records import to_dict

        tuples = [(d["article_id"], d["title"], d["text"], d["language"]) for d in docs]
        try:
            results = list(self.analyzer.analyze_many(tuples, batch_size=max(1, len(tuples))))
        except Exception:  # noqa: BLE001 - find the culprit: one document at a time
            results = []
            for item in tuples:
                try:
                    results.extend(self.analyzer.analyze_many([item], batch_size=1))
                except Exception as error:  # noqa: BLE001
                    results.append(error)
        rows = []
        for doc, result in zip(docs, results, strict=True):
            if isinstance(result, Exception):
                rows.append(error_row(doc, "analyze", f"{type(result).__name__}: {result}"))
                continue
            rejected = [n for n in result.notices if n.startswith("rejected: ")]
            if rejected:
                rows.append(error_row(doc, "analyze", rejected[0].removeprefix("rejected: ")))
                continue
            data = to_dict(result)
            rows.append({
                **error_row(doc, "", ""),
                "language": result.language, "title": result.title,
                "quotes": len(result.quotes), "entities": len(result.entities),
                "analysis": json.dumps(data, ensure_ascii=False, sort_keys=True),
            })
        return rows


class BackfillWorker:
    """One worker of a backfill: analyses a batch, writes its results to `sink` (the output,
    opened in this process), and returns the batch's summary."""

    def __init__(self, models: dict[str, str] | None, sink) -> None:
        self.analyse = BatchWorker(models)
        self.sink = sink
        sink.prepare()  # fixed costs now, as the models, not in the first batch

    def __call__(self, batch: Sequence[dict[str, Any]]) -> dict[str, Any]:
        cpu = time.process_time()
        rows = self.analyse(batch)
        writing = time.perf_counter()
        self.sink.write([row for row in rows if not row["error"]])
        write_s = time.perf_counter() - writing
        return batch_summary(rows, cpu_s=time.process_time() - cpu, write_s=write_s)


def _extracted(raw: dict[str, Any]) -> dict[str, Any]:
    """The raw document with its HTML replaced by the extracted text and metadata."""
    if not raw.get("html"):
        return raw
    from entrelignes.extract import extract_page

    url = str(raw.get("url") or f"file:{raw.get('source')}")
    page = extract_page(str(raw["html"]), url)
    published = raw.get("published") or (page.published.isoformat() if page.published else "")
    return {**raw, "html": "", "text": page.text, "title": raw.get("title") or page.title,
            "language": raw.get("language") or page.language, "published": published}

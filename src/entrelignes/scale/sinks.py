"""Where backfill results go: a Parquet dataset or the store; errors to a JSONL file.

Both sinks know what they already hold (`done()`), so a rerun sends only the rest to the
workers, and both write as the results arrive, in small atomic steps: a crash loses at most the
rows not yet flushed, and the rerun redoes exactly those.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

PARQUET_COLUMNS = (
    ("article_id", "string"), ("source", "string"), ("position", "int64"), ("doc_id", "string"), ("url", "string"),
    ("outlet", "string"), ("published", "string"), ("title", "string"), ("language", "string"),
    ("quotes", "int32"), ("entities", "int32"), ("analysis", "string"),
)


def parquet_schema():
    import pyarrow as pa

    return pa.schema([(name, getattr(pa, kind)()) for name, kind in PARQUET_COLUMNS])


class ParquetSink:
    """A Parquet dataset: a directory of part files, `part-RRR-NNNNN.parquet` (run, number).

    Each part is written to a temporary name and renamed, so the directory only ever holds
    whole files; pyarrow, pandas, DuckDB or Spark read the directory as one table."""

    def __init__(self, path: Path, rows_per_file: int = 5000) -> None:
        self.path = Path(path)
        self.rows_per_file = rows_per_file
        self.path.mkdir(parents=True, exist_ok=True)
        runs = {p.name.split("-")[1] for p in self.path.glob("part-*.parquet")}
        self.run = len(runs)
        self.parts = 0
        self.buffer: list[dict[str, Any]] = []
        self.written = 0

    def done(self) -> set[str]:
        import pyarrow.parquet as pq

        ids: set[str] = set()
        for part in sorted(self.path.glob("part-*.parquet")):
            ids.update(pq.read_table(part, columns=["article_id"]).column("article_id").to_pylist())
        return ids

    def write(self, row: dict[str, Any]) -> None:
        self.buffer.append({name: row[name] for name, _ in PARQUET_COLUMNS})
        if len(self.buffer) >= self.rows_per_file:
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pylist(self.buffer, schema=parquet_schema())
        final = self.path / f"part-{self.run:03d}-{self.parts:05d}.parquet"
        temporary = final.with_suffix(".tmp")
        pq.write_table(table, temporary, compression="zstd")
        os.replace(temporary, final)
        self.parts += 1
        self.written += len(self.buffer)
        self.buffer = []

    def close(self) -> None:
        self.flush()


def read_results(path: Path):
    """A Parquet result dataset as one pyarrow table, in archive order (source, position)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    parts = sorted(Path(path).glob("part-*.parquet"))
    if not parts:
        return parquet_schema().empty_table()
    table = pa.concat_tables([pq.read_table(part) for part in parts])
    return table.sort_by([("source", "ascending"), ("position", "ascending"), ("article_id", "ascending")])


def parse_published(value: str) -> datetime | None:
    """An aware datetime from the dates archives carry (ISO 8601, 2017/2/7, 2016-01-01)."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
        for pattern in ("%Y/%m/%d", "%Y/%m/%d %H:%M:%S", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S%z"):
            try:
                parsed = datetime.strptime(value, pattern)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


class StoreSink:
    """The store: each result becomes an article (if new) and its analysis, as the live desk
    would have stored them; committed every `commit_every` rows."""

    def __init__(self, engine, commit_every: int = 200) -> None:
        self.engine = engine
        self.commit_every = commit_every
        self.buffer: list[dict[str, Any]] = []
        self.written = 0
        self.fetched_at = datetime.now(timezone.utc)

    def done(self) -> set[str]:
        from sqlalchemy import select

        from entrelignes.store import session_scope
        from entrelignes.store.schema import Analysis

        with session_scope(self.engine) as session:
            return set(session.scalars(select(Analysis.article_id)))

    def write(self, row: dict[str, Any]) -> None:
        self.buffer.append(row)
        if len(self.buffer) >= self.commit_every:
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        from entrelignes.store import articles as queries
        from entrelignes.store import session_scope
        from entrelignes.store.schema import Article

        now = datetime.now(timezone.utc)
        with session_scope(self.engine) as session:
            for row in self.buffer:
                data = json.loads(row["analysis"])
                article = session.get(Article, row["article_id"])
                if article is None:
                    article = Article(
                        id=row["article_id"], source_id=None, outlet=row["outlet"] or row["source"].split("/", 1)[0],
                        url=row["url"] or f"archive:{row['source']}#{row['doc_id']}", title=row["title"], author="",
                        published_at=parse_published(row["published"]) or self.fetched_at, fetched_at=self.fetched_at,
                        text="", language="", boilerplate=[],
                    )
                    session.add(article)
                # as the analysis stage does: the cleaned text replaces the stored one, so every
                # offset of the analysis indexes into the article as stored
                article.text, article.boilerplate = data.get("text", ""), list(data.get("boilerplate", []))
                article.language = article.language or row["language"]
                session.flush()
                queries.save_analysis(session, row["article_id"], data, now)
        self.written += len(self.buffer)
        self.buffer = []

    def close(self) -> None:
        self.flush()


class ErrorLog:
    """One JSON line per document that could not be done: where it is, at which stage, why."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = self.path.open("w", encoding="utf-8")
        self.count = 0

    def write(self, row: dict[str, Any]) -> None:
        record = {k: row[k] for k in ("source", "position", "doc_id", "url", "article_id", "stage", "error")}
        self.file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.file.flush()
        self.count += 1

    def close(self) -> None:
        self.file.close()

"""Where backfill results go: a Parquet dataset or the store; errors to a JSONL file.

A sink is built by the driver and sent to every worker (it pickles as a path or a database
URL); each worker writes its own batches through it, each batch in one atomic step (a Parquet
file renamed into place, one transaction), so a crash loses at most the batches in flight and a
rerun redoes exactly those. The driver asks a sink what it already holds (`done()`), so a rerun
sends only the rest to the workers, and, for `--cluster`, reads the articles back and writes
each day's stories.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

PARQUET_COLUMNS = (
    ("article_id", "string"), ("source", "string"), ("position", "int64"), ("doc_id", "string"), ("url", "string"),
    ("outlet", "string"), ("published", "string"), ("title", "string"), ("language", "string"),
    ("quotes", "int32"), ("entities", "int32"), ("analysis", "string"),
)
STORY_COLUMNS = (("article_id", "string"), ("day", "string"), ("story_id", "string"), ("duplicate_of", "string"))


class StoredArticle(NamedTuple):
    """An analysed article as the clustering reads it back from a sink."""

    id: str
    title: str
    text: str
    published: datetime | None
    outlet: str
    language: str
    entities: tuple[str, ...]


def _schema(columns: Sequence[tuple[str, str]]):
    import pyarrow as pa

    return pa.schema([(name, getattr(pa, kind)()) for name, kind in columns])


def parquet_schema():
    return _schema(PARQUET_COLUMNS)


def _write_atomically(table, final: Path) -> None:
    """A whole file or none: written under a temporary name, then renamed into place."""
    import pyarrow.parquet as pq

    temporary = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    pq.write_table(table, temporary, compression="zstd")
    os.replace(temporary, final)


class ParquetSink:
    """A Parquet dataset: a directory of part files, one per batch, `part-HASH.parquet` after
    the batch's article ids (a batch retried after its worker died rewrites its own file; two
    batches never share one, across workers or runs). pyarrow, pandas, DuckDB or Spark read the
    directory as one table. Per-day stories (`--cluster`) go beside it, to
    `PATH.stories/DAY.parquet`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.stories_path = Path(f"{self.path}.stories")

    def prepare(self) -> None:
        """In a worker, before its first batch: the Parquet writer imported, and a first table
        built (pyarrow loads pandas then: most of a second, a fixed cost)."""
        import pyarrow as pa
        import pyarrow.parquet  # noqa: F401

        pa.Table.from_pylist([], schema=parquet_schema())

    def done(self) -> set[str]:
        return set(_dataset(self.path).to_table(columns=["article_id"]).column("article_id").to_pylist())

    def write(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        import pyarrow as pa

        table = pa.Table.from_pylist([{name: row[name] for name, _ in PARQUET_COLUMNS} for row in rows], schema=parquet_schema())
        name = hashlib.sha256(" ".join(row["article_id"] for row in rows).encode()).hexdigest()[:24]
        _write_atomically(table, self.path / f"part-{name}.parquet")

    def articles(self) -> Iterator[StoredArticle]:
        columns = ["article_id", "title", "published", "outlet", "language", "analysis"]
        for batch in _dataset(self.path).to_batches(columns=columns):
            for row in batch.to_pylist():
                analysis = json.loads(row["analysis"])
                yield StoredArticle(row["article_id"], row["title"], analysis["text"], parse_published(row["published"]),
                                    row["outlet"], row["language"], _entity_texts(analysis))

    def write_stories(self, day: date, members: Mapping[str, tuple[str, str | None]]) -> None:
        import pyarrow as pa

        self.stories_path.mkdir(parents=True, exist_ok=True)
        rows = [{"article_id": key, "day": day.isoformat(), "story_id": story, "duplicate_of": duplicate}
                for key, (story, duplicate) in sorted(members.items())]
        _write_atomically(pa.Table.from_pylist(rows, schema=_schema(STORY_COLUMNS)), self.stories_path / f"{day.isoformat()}.parquet")

    def close(self) -> None:
        """Nothing to release: every file is closed once written."""


def _dataset(path: Path):
    import pyarrow.dataset as ds

    return ds.dataset(sorted(str(p) for p in Path(path).glob("part-*.parquet")), schema=parquet_schema(), format="parquet")


def _entity_texts(analysis: dict[str, Any]) -> tuple[str, ...]:
    return tuple(entity["text"] for entity in analysis.get("entities", []))


def read_results(path: Path):
    """A Parquet result dataset as one pyarrow table, in archive order (source, position)."""
    table = _dataset(path).to_table()
    return table.sort_by([("source", "ascending"), ("position", "ascending"), ("article_id", "ascending")])


def read_stories(path: Path):
    """The per-day stories written beside a Parquet result dataset, as one table by article id."""
    import pyarrow.dataset as ds

    files = sorted(str(p) for p in Path(f"{path}.stories").glob("*.parquet"))
    return ds.dataset(files, schema=_schema(STORY_COLUMNS), format="parquet").to_table().sort_by("article_id")


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
    would have stored them, one transaction per batch. Each process opens its own connection
    from the URL; concurrent writers wait their turn (SQLite's busy timeout) or run side by
    side (PostgreSQL). Archive articles have no source, which is how `--cluster` finds them."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine = None

    def __getstate__(self) -> dict[str, Any]:
        return {"url": self.url, "_engine": None}  # a connection pool does not travel

    @property
    def engine(self):
        if self._engine is None:
            from entrelignes.store.db import create_store_engine

            self._engine = create_store_engine(self.url)
        return self._engine

    def prepare(self) -> None:
        """In a worker, before its first batch: connected, the store's queries imported."""
        from entrelignes.store import articles  # noqa: F401

        with self.engine.connect():
            pass

    def done(self) -> set[str]:
        from sqlalchemy import select

        from entrelignes.store import session_scope
        from entrelignes.store.schema import Analysis

        with session_scope(self.engine) as session:
            return set(session.scalars(select(Analysis.article_id)))

    def write(self, rows: Sequence[dict[str, Any]]) -> None:
        from sqlalchemy.exc import IntegrityError

        if not rows:
            return
        try:
            self._write(rows)
        except IntegrityError:  # another worker stored the same article (a URL twice in the archives) meanwhile
            self._write(rows)

    def _write(self, rows: Sequence[dict[str, Any]]) -> None:
        from entrelignes.store import articles as queries
        from entrelignes.store import session_scope
        from entrelignes.store.schema import Article

        now = datetime.now(timezone.utc)
        with session_scope(self.engine) as session:
            for row in rows:
                data = json.loads(row["analysis"])
                article = session.get(Article, row["article_id"])
                if article is None:
                    article = Article(
                        id=row["article_id"], source_id=None, outlet=row["outlet"] or row["source"].split("/", 1)[0],
                        url=row["url"] or f"archive:{row['source']}#{row['doc_id']}", title=row["title"], author="",
                        published_at=parse_published(row["published"]) or now, fetched_at=now,
                        text="", language="", boilerplate=[],
                    )
                    session.add(article)
                # as the analysis stage does: the cleaned text replaces the stored one, so every
                # offset of the analysis indexes into the article as stored
                article.text, article.boilerplate = data.get("text", ""), list(data.get("boilerplate", []))
                article.language = article.language or row["language"]
                session.flush()
                queries.save_analysis(session, row["article_id"], data, now)

    def articles(self) -> Iterator[StoredArticle]:
        from sqlalchemy import select

        from entrelignes.store import session_scope
        from entrelignes.store.schema import Analysis, Article

        query = select(Article, Analysis.data).join(Analysis, Analysis.article_id == Article.id).where(Article.source_id.is_(None))
        with session_scope(self.engine) as session:
            for article, data in session.execute(query.execution_options(yield_per=1000)):
                yield StoredArticle(article.id, article.title, article.text, article.published_at, article.outlet,
                                    article.language, _entity_texts(data))

    def write_stories(self, day: date, members: Mapping[str, tuple[str, str | None]]) -> None:
        from entrelignes.store import articles as queries
        from entrelignes.store import session_scope

        with session_scope(self.engine) as session:
            for key, (story, duplicate) in sorted(members.items()):
                queries.save_story_member(session, key, story, duplicate)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


class ErrorLog:
    """One JSON line per document that could not be done: where it is, at which stage, why."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = self.path.open("w", encoding="utf-8")
        self.count = 0

    def write(self, error: dict[str, Any]) -> None:
        self.file.write(json.dumps(error, ensure_ascii=False) + "\n")
        self.file.flush()
        self.count += 1

    def close(self) -> None:
        self.file.close()

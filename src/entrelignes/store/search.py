"""Full-text search over articles (and, through them, stories).

SQLite: an FTS5 table `article_search` kept in step with `articles` by triggers (accents and
case folded, so "elysee" finds "Élysée"). PostgreSQL: `websearch_to_tsquery` over a GIN index
on the `simple` text search vector. The reader's query is never passed as query syntax: it is
split into words and each word quoted, so any input is a valid search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from entrelignes.store.schema import UTCDateTime

_SQLITE_DDL = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS article_search USING fts5(
        article_id UNINDEXED, title, text, tokenize = 'unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER IF NOT EXISTS article_search_insert AFTER INSERT ON articles BEGIN
        INSERT INTO article_search(rowid, article_id, title, text) VALUES (new.rowid, new.id, new.title, new.text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS article_search_delete AFTER DELETE ON articles BEGIN
        DELETE FROM article_search WHERE rowid = old.rowid;
    END""",
    """CREATE TRIGGER IF NOT EXISTS article_search_update AFTER UPDATE OF title, text ON articles BEGIN
        DELETE FROM article_search WHERE rowid = old.rowid;
        INSERT INTO article_search(rowid, article_id, title, text) VALUES (new.rowid, new.id, new.title, new.text);
    END""",
]
_SQLITE_TRIGGERS = ("article_search_insert", "article_search_delete", "article_search_update")
_PG_INDEX = "ix_articles_fulltext"
_PG_FOLD = "entrelignes_fold"  # an immutable SQL function: accents off, as FTS5's remove_diacritics


def _fold_table() -> tuple[str, str]:
    """Accented Latin letters (both cases) and the plain lowercase letter each folds to."""
    import unicodedata

    source, target = [], []
    for code in list(range(0xC0, 0x250)):
        char = chr(code)
        base = unicodedata.normalize("NFKD", char)[0].lower()
        if char != base and base.isascii() and base.isalpha():
            source.append(char)
            target.append(base)
    return "".join(source), "".join(target)


_FOLD_FROM, _FOLD_TO = _fold_table()
_FOLD = str.maketrans(_FOLD_FROM, _FOLD_TO)
_PG_VECTOR = f"to_tsvector('simple', {_PG_FOLD}(coalesce(title, '') || ' ' || coalesce(text, '')))"


def fold(text: str) -> str:
    return text.lower().translate(_FOLD)


def create_search_index(connection: Connection) -> None:
    """Create the index for this database and fill it with the stored articles."""
    if connection.dialect.name == "sqlite":
        for statement in _SQLITE_DDL:
            connection.exec_driver_sql(statement)
        connection.exec_driver_sql("DELETE FROM article_search")
        connection.exec_driver_sql("INSERT INTO article_search(rowid, article_id, title, text) SELECT rowid, id, title, text FROM articles")
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            f"CREATE OR REPLACE FUNCTION {_PG_FOLD}(value text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
            f"AS $$ SELECT translate(lower(value), '{_FOLD_FROM}', '{_FOLD_TO}') $$"
        )
        connection.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {_PG_INDEX} ON articles USING gin ({_PG_VECTOR})")


def drop_search_index(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        for trigger in _SQLITE_TRIGGERS:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
        connection.exec_driver_sql("DROP TABLE IF EXISTS article_search")
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {_PG_INDEX}")
        connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {_PG_FOLD}(text)")


def ensure_search_index(engine: Engine) -> bool:
    """Recreate the index if a later table rebuild dropped its triggers; True when it did."""
    if engine.dialect.name != "sqlite":
        return False
    with engine.begin() as connection:
        names = {row[0] for row in connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")}
        if "article_search" in names and all(t in names for t in _SQLITE_TRIGGERS):
            return False
        drop_search_index(connection)
        create_search_index(connection)
    return True


_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 12
RANK_WINDOW = 500  # SQLite: results are the best of the newest RANK_WINDOW matches


def query_terms(query: str) -> list[str]:
    """The words of a reader's query (at most MAX_TERMS), without any search syntax."""
    return _WORD.findall(query or "")[:MAX_TERMS]


@dataclass(frozen=True)
class Hit:
    article_id: str
    title: str
    outlet: str
    url: str
    published_at: datetime
    story_id: str | None
    snippet: str


def search_articles(session: Session, query: str, *, limit: int = 30, offset: int = 0) -> list[Hit]:
    """Articles matching every word of `query`, best first (SQLite: bm25; PostgreSQL: ts_rank)."""
    terms = query_terms(query)
    if not terms:
        return []
    dialect = session.get_bind().dialect.name
    published = UTCDateTime()
    if dialect == "sqlite":
        match = " ".join('"' + t.replace('"', "") + '"' for t in terms)
        # Relevance among the newest matches: find the rowid of the WINDOW-th newest match
        # (FTS5 walks its rowids in order and stops there), then rank only those by bm25.
        # Common words would otherwise make bm25 score every match in the archive.
        floor = session.execute(
            text("SELECT rowid FROM article_search WHERE article_search MATCH :match ORDER BY rowid DESC LIMIT 1 OFFSET :window"),
            {"match": match, "window": RANK_WINDOW - 1},
        ).scalar()
        sql = text(
            """SELECT a.id, a.title, a.outlet, a.url, a.published_at, m.story_id,
                      snippet(article_search, 2, '', '', ' … ', 24) AS snippet
               FROM article_search JOIN articles a ON a.id = article_search.article_id
               LEFT JOIN story_members m ON m.article_id = a.id
               WHERE article_search MATCH :match AND article_search.rowid >= :floor
               ORDER BY bm25(article_search, 0, 5.0, 1.0), a.published_at DESC
               LIMIT :limit OFFSET :offset"""
        )
        rows = session.execute(sql, {"match": match, "floor": floor or 0, "limit": limit, "offset": offset})
    elif dialect == "postgresql":
        sql = text(
            f"""SELECT a.id, a.title, a.outlet, a.url, a.published_at, m.story_id,
                       ts_headline('simple', a.text, q, 'MaxWords=24, MinWords=8, StartSel="", StopSel=""') AS snippet
                FROM articles a LEFT JOIN story_members m ON m.article_id = a.id,
                     plainto_tsquery('simple', :query) q
                WHERE {_PG_VECTOR} @@ q
                ORDER BY ts_rank({_PG_VECTOR}, q) DESC, a.published_at DESC
                LIMIT :limit OFFSET :offset"""
        )
        rows = session.execute(sql, {"query": fold(" ".join(terms)), "limit": limit, "offset": offset})
    else:  # any other database: a plain LIKE on the title
        sql = text(
            """SELECT a.id, a.title, a.outlet, a.url, a.published_at, m.story_id, substr(a.text, 1, 200) AS snippet
               FROM articles a LEFT JOIN story_members m ON m.article_id = a.id
               WHERE a.title LIKE :like ORDER BY a.published_at DESC LIMIT :limit OFFSET :offset"""
        )
        rows = session.execute(sql, {"like": f"%{terms[0]}%", "limit": limit, "offset": offset})
    return [
        Hit(r[0], r[1], r[2], r[3], _as_datetime(published, r[4], session), r[5], r[6] or "")
        for r in rows
    ]


def _as_datetime(kind: UTCDateTime, value: Any, session: Session) -> datetime:
    if isinstance(value, str):  # raw SQLite text
        value = datetime.fromisoformat(value)
    return kind.process_result_value(value, session.get_bind().dialect)

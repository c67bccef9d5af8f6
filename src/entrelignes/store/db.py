"""Opening the store: an engine on SQLite (WAL) or PostgreSQL, brought to the latest schema.

SQLite is the zero-setup default. PostgreSQL is chosen by its URL (in the configuration's
`database` key or ENTRELIGNES_DATABASE_URL) when several workers share one store; a plain
`postgresql://` or `postgres://` URL is given the psycopg 3 driver.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = "entrelignes:migrations"  # advisory lock: one worker migrates, the others wait

# PostgreSQL connection pool. A worker holds one connection for its work and, while it claims
# articles or editions, one more for its advisory locks (store.locks): a handful is plenty.
PG_POOL = {"pool_size": 5, "max_overflow": 10, "pool_timeout": 30, "pool_recycle": 1800, "pool_pre_ping": True}


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def normalize_url(url: str) -> str:
    """The SQLAlchemy URL for `url`: PostgreSQL URLs without a driver get psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL: a crash loses at most the last commit
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def create_store_engine(url: str) -> Engine:
    """An engine on `url` with this project's settings, without touching the schema."""
    url = normalize_url(url)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("postgresql"):
        engine = create_engine(url, connect_args={"application_name": "entrelignes"}, **PG_POOL)
    else:
        engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` ("head", "base", or a revision id, up or down).

    Migrations run under a lock (an advisory lock on PostgreSQL, a file lock beside a SQLite
    database), so workers that start together do not race to create the same tables: the first
    migrates, the others wait and then find nothing to do."""
    from entrelignes.store.locks import exclusive

    with exclusive(engine, MIGRATION_LOCK), engine.begin() as connection:
        config = alembic_config(engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = connection
        current = _current_revision(connection)
        if revision == "base" or (current is not None and _is_ahead(config, current, revision)):
            command.downgrade(config, revision)
        else:
            command.upgrade(config, revision)


def _current_revision(connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _is_ahead(config: Config, current: str, target: str) -> bool:
    """True when `current` descends from `target` (so reaching `target` is a downgrade)."""
    from alembic.script import ScriptDirectory

    if target == "head":
        return False
    script = ScriptDirectory.from_config(config)
    return current != target and any(rev.revision == target for rev in script.iterate_revisions(current, "base"))


def open_store(url: str) -> Engine:
    """An engine on `url`, its schema migrated to the latest revision."""
    engine = create_store_engine(url)
    migrate(engine, "head")
    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session committed on success and rolled back on error: a crash never leaves half a step."""
    session = sessionmaker(engine, expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()

"""The store suite runs against SQLite and against a real PostgreSQL server.

`postgres_cluster` starts one temporary server per test session (see pg_cluster.py); each test
parametrised with "postgresql" gets a fresh database on it. Without PostgreSQL binaries those
parameters skip and say what to install; under CI (CI=true) a missing server is an error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pg_cluster import PostgresCluster, Unavailable

BACKENDS = [pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    try:
        cluster.start()
    except Unavailable as error:
        cluster.stop()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required under CI: {error}")
        pytest.skip(f"PostgreSQL unavailable: {error}")
    yield cluster
    cluster.stop()


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty store: a SQLite file, or a new database on the test PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    name = cluster.create_database()
    yield cluster.url(name)
    cluster.drop_database(name)


@pytest.fixture
def store(store_url: str):
    """An engine on a migrated, empty store (SQLite or PostgreSQL)."""
    from entrelignes.store import open_store

    engine = open_store(store_url)
    yield engine
    engine.dispose()

"""The store suite runs against SQLite and against a real PostgreSQL server.

`postgres_cluster` starts one temporary server per test session (see pg_cluster.py); each test
parametrised with "postgresql" gets a fresh database on it. Without PostgreSQL binaries those
parameters skip and say what to install; under CI (CI=true) a missing server is an error.
"""

from __future__ import annotations

import pytest

from pg_cluster import postgres_cluster, store_url  # noqa: F401 - fixtures


@pytest.fixture
def store(store_url: str):
    """An engine on a migrated, empty store (SQLite or PostgreSQL)."""
    from entrelignes.store import open_store

    engine = open_store(store_url)
    yield engine
    engine.dispose()

"""The store: schema, migrations, and the queries each stage needs."""

from entrelignes.store.db import open_store, session_scope, sqlite_url

__all__ = ["open_store", "session_scope", "sqlite_url"]

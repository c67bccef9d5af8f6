"""Migrations: the same schema on SQLite and PostgreSQL, up and down, and no drift from the models."""

from __future__ import annotations

import threading

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from entrelignes.store.db import alembic_config, create_store_engine, migrate, open_store
from entrelignes.store.schema import Base


def _tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def _revision(engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_upgrade_creates_every_table_of_the_models(store):
    # migrations may add tables no model maps (SQLite's full-text index, for one)
    assert set(Base.metadata.tables) <= _tables(store)


def _modelled(obj, name, type_, reflected, compare_to) -> bool:
    """What a migration made on purpose and no model maps (SQLite's full-text tables, an
    expression index on PostgreSQL) is not drift; a model without its migration is."""
    return not (reflected and compare_to is None)


def test_models_and_migrations_agree(store):
    """Every model change has its migration: autogenerate finds nothing left to do."""
    with store.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False, "include_object": _modelled})
        diffs = compare_metadata(context, Base.metadata)
    assert diffs == [], f"schema.py and the migrations differ (write a migration): {diffs}"


def test_down_to_base_and_up_again(store_url):
    engine = create_store_engine(store_url)
    try:
        migrate(engine, "head")
        head = _revision(engine)
        migrate(engine, "base")
        assert _tables(engine) == set()
        assert _revision(engine) is None
        migrate(engine, "head")
        assert _revision(engine) == head
        assert set(Base.metadata.tables) <= _tables(engine)
    finally:
        engine.dispose()


def test_every_revision_steps_down_and_up(store_url):
    engine = create_store_engine(store_url)
    script = ScriptDirectory.from_config(alembic_config(store_url))
    revisions = [rev.revision for rev in reversed(list(script.walk_revisions("base", "heads")))]
    try:
        for revision in revisions:  # up one at a time
            migrate(engine, revision)
            assert _revision(engine) == revision
        for previous in reversed(["base", *revisions[:-1]]):  # and down one at a time
            migrate(engine, previous)
            assert _revision(engine) == (None if previous == "base" else previous)
    finally:
        engine.dispose()


def test_opening_twice_changes_nothing(store, store_url):
    before = _revision(store)
    again = open_store(store_url)
    try:
        assert _revision(again) == before
    finally:
        again.dispose()


def test_workers_starting_together_migrate_once(store_url):
    """Several workers opening a fresh store at once: one migrates, the others wait (advisory
    lock on PostgreSQL, the single writer on SQLite) and none fails."""
    errors: list[BaseException] = []
    engines = []

    def open_one() -> None:
        try:
            engines.append(open_store(store_url))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine in engines:
        engine.dispose()
    assert errors == []
    check = create_store_engine(store_url)
    assert set(Base.metadata.tables) <= _tables(check)
    check.dispose()

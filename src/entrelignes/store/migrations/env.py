"""Alembic environment: migrations run on the connection handed over by `store.db.open_store`."""

from alembic import context
from sqlalchemy import create_engine

from entrelignes.store.schema import Base

config = context.config
connection = config.attributes.get("connection")


def run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    run(connection)
else:  # the alembic command line, for writing new migrations
    with create_engine(config.get_main_option("sqlalchemy.url")).begin() as connection:
        run(connection)

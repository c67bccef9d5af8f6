"""The publishing process of the crash test: publishes every edition not yet published, then
exits. It runs in a child process that the test kills with SIGKILL at random moments."""

from __future__ import annotations

from sqlalchemy import select

from entrelignes.publish import publish_edition
from entrelignes.store import open_store, session_scope
from entrelignes.store.schema import Edition

def _warm_up() -> None:
    """Compile the page templates once in the fork server, so each child starts sending sooner."""
    from entrelignes.editions.render import _ENV

    for name in _ENV.list_templates():
        _ENV.get_template(name)


_warm_up()

PRELOAD = ["entrelignes.publish", "entrelignes.publish.telegram", "entrelignes.publish.mail", "entrelignes.store", "telegram", "crash_worker"]


def publish_all(config, ready) -> None:
    engine = open_store(config.database_url)
    ready.set()
    with session_scope(engine) as session:
        pending = list(session.scalars(select(Edition.id).where(Edition.status != "published").order_by(Edition.id)))
    for edition_id in pending:
        publish_edition(engine, config, edition_id, telegram_options={"backoff": 0.01}, email_options={"backoff": 0.01})

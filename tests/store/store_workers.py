"""Worker processes for the race tests (a module of its own, so spawned children can import it)."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select


def analysis_worker(url: str, log: str, barrier) -> None:
    """Analyse every pending article it can claim; log each article it worked on."""
    from entrelignes.store import articles as queries
    from entrelignes.store import open_store, session_scope
    from entrelignes.store.locks import ANALYSIS, Claimer
    from entrelignes.store.schema import Analysis

    engine = open_store(url)
    barrier.wait()
    done: list[str] = []
    with session_scope(engine) as session:
        pending = [a.id for a in queries.articles_without_analysis(session)]

    def still_to_do(key: str) -> bool:
        with session_scope(engine) as session:
            return session.get(Analysis, key) is None

    with Claimer(engine) as claimer:
        for key in claimer.pending(ANALYSIS, pending, still_to_do):
            time.sleep(0.01)  # the analysis
            with session_scope(engine) as session:
                queries.save_analysis(session, key, {"by": log}, datetime.now(timezone.utc))
            done.append(key)
    Path(log).write_text(json.dumps(done))
    engine.dispose()


def publication_worker(url: str, edition_id: str, log: str, barrier) -> None:
    """Publish the edition if no one else is publishing or has published it."""
    from entrelignes.store import open_store, session_scope
    from entrelignes.store.locks import PUBLICATION, claim
    from entrelignes.store.schema import Edition

    engine = open_store(url)
    barrier.wait()
    published = False
    for _ in range(20):  # a desk retries: every attempt must stay harmless
        with claim(engine, PUBLICATION, edition_id) as mine:
            if not mine:
                continue
            with session_scope(engine) as session:
                if session.scalar(select(Edition.status).where(Edition.id == edition_id)) == "published":
                    continue
            time.sleep(0.05)  # sending
            with session_scope(engine) as session:
                session.get(Edition, edition_id).status = "published"
            published = True
    Path(log).write_text(json.dumps(published))
    engine.dispose()

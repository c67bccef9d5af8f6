"""Which earlier editions make a story an update rather than news."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from entrelignes.config import Config
from entrelignes.editions.build import PUBLISHED_MEMORY, _previously_published
from entrelignes.store import open_store, session_scope
from entrelignes.store.schema import Edition

SLOT_AT = datetime(2026, 3, 12, 7, 0, tzinfo=timezone(timedelta(hours=1)))


def _store_edition(session, at: datetime, story_ids: list[str]) -> None:
    edition_id = f"{at.date().isoformat()}-morning"
    data = {"id": edition_id, "at": at.isoformat(), "stories": [{"story_ids": story_ids}]}
    session.add(Edition(id=edition_id, date=at.date().isoformat(), slot="morning", built_at=at, status="published", data=data))


def test_only_earlier_editions_within_memory_count(tmp_path):
    engine = open_store(Config(path=tmp_path / "entrelignes.toml", data_dir=str(tmp_path / "data")).database_url)
    yesterday = SLOT_AT - timedelta(days=1)
    with session_scope(engine) as session:
        _store_edition(session, SLOT_AT - PUBLISHED_MEMORY - timedelta(days=2), ["s-forgotten", "s-again"])
        _store_edition(session, SLOT_AT - timedelta(days=3), ["s-again"])
        _store_edition(session, yesterday, ["s-again", "s-recent"])
        _store_edition(session, SLOT_AT, ["s-this-slot"])  # the slot being built is not "before"
    with session_scope(engine) as session:
        published = _previously_published(session, SLOT_AT)
    assert published == {"s-again": yesterday, "s-recent": yesterday}


def test_a_story_shown_then_merged_into_another_makes_that_one_an_update(tmp_path):
    from entrelignes.store import stories as story_queries

    engine = open_store(Config(path=tmp_path / "entrelignes.toml", data_dir=str(tmp_path / "data")).database_url)
    yesterday = SLOT_AT - timedelta(days=1)
    merged_at = SLOT_AT - timedelta(hours=3)
    with session_scope(engine) as session:
        _store_edition(session, yesterday, ["s-absorbed"])
        story_queries.save_redirects(session, {"s-absorbed": "s-absorber"}, ["s-absorber"], merged_at)
    with session_scope(engine) as session:
        published = _previously_published(session, SLOT_AT)
    assert published == {"s-absorbed": yesterday, "s-absorber": yesterday}

"""What the stages rely on from the store, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError

from entrelignes.records import Extracted, article_id
from entrelignes.store import articles as queries
from entrelignes.store import session_scope
from entrelignes.store.schema import Article, Delivery, Edition

PARIS_SUMMER = timezone(timedelta(hours=2))
FETCHED = datetime(2026, 7, 15, 6, 30, tzinfo=timezone.utc)  # after every publication time below


def _extracted(url: str = "https://example.org/a/1", published: datetime | None = None) -> Extracted:
    return Extracted(url=url, title="Titre", text="Un texte « cité ».", language="fr", published=published, boilerplate=("Abonnez-vous",))


def test_save_extracted_stores_an_article_once(store):
    with session_scope(store) as session:
        assert queries.save_extracted(session, _extracted(), outlet="Exemple", source_id=None, fetched_at=FETCHED) is True
    with session_scope(store) as session:  # a second run, or a second feed carrying the same page
        assert queries.save_extracted(session, _extracted(), outlet="Exemple", source_id=None, fetched_at=FETCHED) is False
    with session_scope(store) as session:
        rows = session.scalars(select(Article)).all()
    assert [row.id for row in rows] == [article_id("https://example.org/a/1")]


def test_the_same_article_inserted_twice_in_parallel_is_refused(store):
    """The primary key, not the check in Python, is what keeps a second copy out."""
    row = dict(url="https://example.org/x", title="t", text="x", language="fr", author="", outlet="o", published_at=FETCHED, fetched_at=FETCHED, boilerplate=[])
    with session_scope(store) as session:
        session.add(Article(id="same", **row))
    with pytest.raises(IntegrityError), session_scope(store) as session:
        session.add(Article(id="same", **row))


def test_times_come_back_aware_and_equal(store):
    published = datetime(2026, 7, 14, 9, 15, 30, 123456, tzinfo=PARIS_SUMMER)
    with session_scope(store) as session:
        queries.save_extracted(session, _extracted(published=published), outlet="Exemple", source_id=None, fetched_at=FETCHED)
    with session_scope(store) as session:
        article = session.scalars(select(Article)).one()
    assert article.published_at == published  # the same instant
    assert article.published_at.utcoffset() == timedelta(0)  # kept as UTC
    assert article.published_at.replace(tzinfo=None) == datetime(2026, 7, 14, 7, 15, 30, 123456)
    assert article.fetched_at == FETCHED


def test_time_ranges_compare_instants_not_wall_clocks(store):
    with session_scope(store) as session:
        for n, hour in enumerate([5, 7, 9]):  # UTC hours 3, 5, 7
            queries.save_extracted(session, _extracted(f"https://example.org/{n}", datetime(2026, 7, 14, hour, tzinfo=PARIS_SUMMER)), outlet="o", source_id=None, fetched_at=FETCHED)
    with session_scope(store) as session:
        found = queries.articles_between(session, datetime(2026, 7, 14, 3, tzinfo=timezone.utc), datetime(2026, 7, 14, 7, tzinfo=timezone.utc))
    assert [a.published_at.hour for a in found] == [5, 7]


def test_naive_times_are_refused(store):
    with pytest.raises(StatementError, match="naive datetime"), session_scope(store) as session:
        queries.save_extracted(session, _extracted(published=datetime(2026, 1, 1)), outlet="o", source_id=None, fetched_at=FETCHED)
        session.flush()


def test_json_columns_round_trip(store):
    data = {
        "quotes": [{"quote": "Nous ne céderons pas", "speaker": "Élisabeth Borne", "start": 3, "end": 24, "role": None}],
        "sourcing": {"person": 0.5, "anonymous": 0.25},
        "notices": [],
        "emoji": "🗞️ « guillemets » \u00a0",
        "nested": {"deep": [1, 2.5, True, None, {"x": []}]},
    }
    with session_scope(store) as session:
        queries.save_extracted(session, _extracted(), outlet="o", source_id=None, fetched_at=FETCHED)
        session.flush()
        queries.save_analysis(session, article_id("https://example.org/a/1"), data, FETCHED)
    with session_scope(store) as session:
        assert queries.analyses_for(session, [article_id("https://example.org/a/1")]) == {article_id("https://example.org/a/1"): data}
        article = session.scalars(select(Article)).one()
        assert article.boilerplate == ["Abonnez-vous"]
    with session_scope(store) as session:  # analysing again replaces, never duplicates
        queries.save_analysis(session, article_id("https://example.org/a/1"), {"v": 2}, FETCHED)
    with session_scope(store) as session:
        assert queries.analyses_for(session, [article_id("https://example.org/a/1")]) == {article_id("https://example.org/a/1"): {"v": 2}}


def _edition(session) -> None:
    session.add(Edition(id="2026-03-12-morning", date="2026-03-12", slot="morning", built_at=FETCHED, status="built", data={"stories": []}))
    session.flush()


def _delivery(**overrides) -> Delivery:
    values = dict(edition_id="2026-03-12-morning", channel="telegram", part=1, recipient="@chan", status="sent", attempts=1, external_id="", error="", updated_at=FETCHED)
    return Delivery(**(values | overrides))


def test_a_delivery_key_is_unique(store):
    """(edition, channel, part, recipient) once: the delivery log cannot record a second send."""
    with session_scope(store) as session:
        _edition(session)
        session.add(_delivery())
        session.add(_delivery(part=2))  # another part: fine
        session.add(_delivery(recipient="lecteur@example.org", channel="email"))  # another channel: fine
    with pytest.raises(IntegrityError), session_scope(store) as session:
        session.add(_delivery(status="pending"))
    with session_scope(store) as session:
        assert session.query(Delivery).count() == 3


def test_deleting_an_article_deletes_its_analysis(store):
    key = article_id("https://example.org/a/1")
    with session_scope(store) as session:
        queries.save_extracted(session, _extracted(), outlet="o", source_id=None, fetched_at=FETCHED)
        session.flush()
        queries.save_analysis(session, key, {"v": 1}, FETCHED)
    with session_scope(store) as session:
        session.delete(session.get(Article, key))
    with session_scope(store) as session:
        assert queries.analyses_for(session, [key]) == {}

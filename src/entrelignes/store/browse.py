"""Read-only queries for the web app and its JSON API: editions for readers, one story's
articles and analyses, one outlet's recent work, deliveries. Nothing here writes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from entrelignes.store.schema import Analysis, Article, Delivery, Edition, Source, StoryMember

# Editions a reader may see: the desk holds the others until they are approved.
PUBLIC_STATUSES = ("approved", "publishing", "published")
_SLOT_ORDER = case((Edition.slot == "evening", 1), else_=0)


def _newest_first(query):
    return query.order_by(Edition.date.desc(), _SLOT_ORDER.desc(), Edition.id.desc())


def _first(session: Session, query) -> Edition | None:
    # order the ids only, then load the one row: sorting whole rows would copy every
    # edition's JSON into the sorter
    edition_id = session.scalar(query.limit(1))
    return session.get(Edition, edition_id) if edition_id is not None else None


def latest_edition(session: Session, *, public: bool = True) -> Edition | None:
    query = select(Edition.id)
    if public:
        query = query.where(Edition.status.in_(PUBLIC_STATUSES))
    return _first(session, _newest_first(query))


def next_edition(session: Session) -> Edition | None:
    """The newest edition not yet published: the one the desk works on."""
    return _first(session, _newest_first(select(Edition.id).where(Edition.status.not_in(("publishing", "published")))))


def edition(session: Session, edition_id: str, *, public: bool = True) -> Edition | None:
    row = session.get(Edition, edition_id)
    if row is None or (public and row.status not in PUBLIC_STATUSES):
        return None
    return row


def list_editions(session: Session, *, limit: int = 60, offset: int = 0, day: str | None = None, public: bool = True) -> list[Edition]:
    """Editions newest first. Ids are ordered first and rows loaded by id, so SQLite never
    sorts the editions' JSON."""
    query = select(Edition.id)
    if public:
        query = query.where(Edition.status.in_(PUBLIC_STATUSES))
    if day:
        query = query.where(Edition.date == day)
    ids = list(session.scalars(_newest_first(query).limit(limit).offset(offset)))
    rows: list[Edition] = []
    for start in range(0, len(ids), 200):
        rows += editions_by_id(session, ids[start : start + 200])
    return rows


def story_articles(session: Session, story_ids: Sequence[str], *, limit: int = 200) -> list[tuple[Article, StoryMember]]:
    query = (
        select(Article, StoryMember)
        .join(StoryMember, StoryMember.article_id == Article.id)
        .where(StoryMember.story_id.in_(list(story_ids)))
        .order_by(Article.published_at, Article.id)
        .limit(limit)
    )
    return [(a, m) for a, m in session.execute(query)]




def outlet_names(session: Session) -> list[tuple[str, int]]:
    """Every outlet with its number of articles, most prolific first."""
    query = select(Article.outlet, func.count()).group_by(Article.outlet).order_by(func.count().desc(), Article.outlet)
    return [(name, count) for name, count in session.execute(query) if name]


def outlet_articles(session: Session, outlet: str, *, limit: int = 300) -> list[Article]:
    """An outlet's newest articles, without their texts (the outlet page lists titles)."""
    from sqlalchemy.orm import load_only

    query = (
        select(Article)
        .options(load_only(Article.id, Article.title, Article.url, Article.published_at, Article.source_id, Article.outlet))
        .where(Article.outlet == outlet)
        .order_by(Article.published_at.desc())
        .limit(limit)
    )
    return list(session.scalars(query))




def outlet_sources(session: Session, outlet: str, source_ids: Sequence[int]) -> list[Source]:
    """The sources feeding an outlet: those its articles came from, and those named after it."""
    conditions = [Source.name == outlet]
    if source_ids:
        conditions.append(Source.id.in_(list(source_ids)))
    from sqlalchemy import or_

    return list(session.scalars(select(Source).where(or_(*conditions)).order_by(Source.name)))




def deliveries(session: Session, *, limit: int = 100, failed_only: bool = False) -> list[Delivery]:
    query = select(Delivery)
    if failed_only:
        query = query.where(Delivery.status == "failed")
    return list(session.scalars(query.order_by(Delivery.updated_at.desc(), Delivery.id.desc()).limit(limit)))


def delivery_counts(session: Session) -> dict[str, dict[str, int]]:
    """edition id -> status -> count, for the newest editions."""
    query = select(Delivery.edition_id, Delivery.status, func.count()).group_by(Delivery.edition_id, Delivery.status)
    result: dict[str, dict[str, int]] = {}
    for edition_id, status, count in session.execute(query):
        result.setdefault(edition_id, {})[status] = count
    return result


def newest_article_time(session: Session) -> datetime | None:
    return session.scalar(select(func.max(Article.published_at)))


def analysis_parts(session: Session, article_ids: Sequence[str]) -> dict[str, tuple[dict[str, float], list[dict[str, Any]]]]:
    """article id -> (sourcing shares, quotes), read without loading the analyses' full texts."""
    if not article_ids:
        return {}
    query = select(Analysis.article_id, Analysis.data["sourcing"], Analysis.data["quotes"]).where(Analysis.article_id.in_(list(article_ids)))
    return {key: (sourcing or {}, quotes or []) for key, sourcing, quotes in session.execute(query)}


def members_of(session: Session, article_ids: Sequence[str]) -> dict[str, str]:
    """article id -> story id."""
    if not article_ids:
        return {}
    rows = session.execute(select(StoryMember.article_id, StoryMember.story_id).where(StoryMember.article_id.in_(list(article_ids))))
    return {a: s for a, s in rows}


def outlet_fingerprint(session: Session, outlet: str) -> tuple[int, Any]:
    """(article count, newest time) of an outlet: what its cached profile depends on."""
    row = session.execute(select(func.count(), func.max(Article.published_at)).where(Article.outlet == outlet)).one()
    return int(row[0] or 0), row[1]


def editions_fingerprint(session: Session) -> tuple:
    """Changes whenever an edition is built, rebuilt, edited at the desk or made public."""
    from entrelignes.store.schema import AuditEntry

    # every status weighs differently, so any status change changes the sum
    weight = case((Edition.status == "built", 1), (Edition.status == "approved", 1_000), (Edition.status == "publishing", 1_000_000), (Edition.status == "published", 1_000_000_000), else_=7)
    row = session.execute(select(func.count(), func.max(Edition.built_at), func.sum(weight)).select_from(Edition)).one()
    return (*row, session.scalar(select(func.max(AuditEntry.id))))


def editions_by_id(session: Session, ids: Sequence[str]) -> list[Edition]:
    rows = {row.id: row for row in session.scalars(select(Edition).where(Edition.id.in_(list(ids))))}
    return [rows[i] for i in ids if i in rows]

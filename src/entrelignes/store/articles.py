"""Queries on articles and what the later stages attach to them (analyses, story membership)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from entrelignes.records import Extracted, article_id
from entrelignes.store.schema import Analysis, Article, StoryMember


def save_extracted(session: Session, extracted: Extracted, *, outlet: str, source_id: int | None, fetched_at: datetime) -> bool:
    """Store an extracted article once; True when it was new. The id is the canonical URL's
    hash, so the same article reached twice (two feeds, two runs) is stored once."""
    key = article_id(extracted.url)
    published = extracted.published or fetched_at
    if published.tzinfo is not None and published > fetched_at:  # naive times are refused by the column type
        published = fetched_at  # a date in the future would hold the story window hostage
    if session.get(Article, key) is not None:
        return False
    session.add(
        Article(
            id=key,
            source_id=source_id,
            # bounded to the columns' sizes (PostgreSQL refuses longer values)
            outlet=outlet[:300],
            url=extracted.url[:2000],
            title=extracted.title,
            text=extracted.text,
            language=extracted.language[:16],
            author=extracted.author[:500],
            published_at=published,
            fetched_at=fetched_at,
            boilerplate=list(extracted.boilerplate),
        )
    )
    return True


def articles_without_analysis(session: Session) -> list[Article]:
    query = select(Article).outerjoin(Analysis).where(Analysis.article_id.is_(None)).order_by(Article.published_at, Article.id)
    return list(session.scalars(query))


def recent_boilerplate(session: Session, outlet: str, limit: int = 50) -> list[str]:
    """Passages already removed as boilerplate from the outlet's recent articles."""
    query = select(Article.boilerplate).where(Article.outlet == outlet).order_by(Article.published_at.desc()).limit(limit)
    return list(dict.fromkeys(passage for passages in session.scalars(query) for passage in passages))


def save_analysis(session: Session, article_id_: str, data: dict[str, Any], analyzed_at: datetime) -> None:
    session.merge(Analysis(article_id=article_id_, data=data, analyzed_at=analyzed_at))


def articles_between(session: Session, start: datetime, end: datetime) -> list[Article]:
    query = select(Article).where(Article.published_at > start, Article.published_at <= end).order_by(Article.published_at, Article.id)
    return list(session.scalars(query))


def analyses_for(session: Session, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    rows = session.scalars(select(Analysis).where(Analysis.article_id.in_(list(ids))))
    return {row.article_id: row.data for row in rows}


def story_members(session: Session, ids: Sequence[str]) -> dict[str, StoryMember]:
    rows = session.scalars(select(StoryMember).where(StoryMember.article_id.in_(list(ids))))
    return {row.article_id: row for row in rows}


def save_story_member(session: Session, article_id_: str, story_id: str, duplicate_of: str | None) -> bool:
    """Record an article's story; True when that changed anything."""
    row = session.get(StoryMember, article_id_)
    if row is None:
        session.add(StoryMember(article_id=article_id_, story_id=story_id, duplicate_of=duplicate_of))
        return True
    if (row.story_id, row.duplicate_of) == (story_id, duplicate_of):
        return False
    row.story_id, row.duplicate_of = story_id, duplicate_of
    return True

"""Queries of the story stage: the clusterer's saved state, and what editions showed of each story."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from entrelignes.store.schema import Edition, StoryState


def load_state(session: Session, name: str) -> bytes | None:
    row = session.get(StoryState, name)
    return None if row is None else row.data


def save_state(session: Session, name: str, data: bytes, saved_at: datetime) -> None:
    session.merge(StoryState(name=name, data=data, saved_at=saved_at))


def shown_members(session: Session, since: date) -> dict[str, set[str]]:
    """Story id -> the ids of its articles shown in editions dated `since` or later.

    Every stored edition counts, built or sent: a built edition may still be approved and sent,
    so the ids it holds must keep meaning the same stories."""
    shown: dict[str, set[str]] = defaultdict(set)
    for data in session.scalars(select(Edition.data).where(Edition.date >= since.isoformat())):
        for story in data["stories"]:
            articles = {a["id"] for a in story["articles"]}
            for story_id in story["story_ids"]:
                shown[story_id] |= articles
    return dict(shown)

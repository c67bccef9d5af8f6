"""Queries of the story stage: the clusterer's saved state, the ids merges absorbed, and what
editions showed of each story."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from entrelignes.store.schema import Edition, StoryState

REDIRECTS = "redirects"  # story_state row: JSON {story id merged away: the id it went to}


def load_state(session: Session, name: str) -> bytes | None:
    row = session.get(StoryState, name)
    return None if row is None else row.data


def save_state(session: Session, name: str, data: bytes, saved_at: datetime) -> None:
    session.merge(StoryState(name=name, data=data, saved_at=saved_at))


def redirects(session: Session) -> dict[str, str]:
    """Story id merged away -> the id of the story that absorbed it (chains followed), so that an
    id an edition showed still leads to its story after a merge."""
    stored = _stored_redirects(session)
    out = {}
    for old in stored:
        seen, new = {old}, stored[old]
        while new in stored and new not in seen:  # merged again later; a cycle stops the walk
            seen.add(new)
            new = stored[new]
        out[old] = new
    return out


def save_redirects(session: Session, merged: Mapping[str, str], live: Iterable[str], now: datetime) -> None:
    """Add merges (story id -> the id it went to) to the stored ones. They are kept for good, as
    the links that editions sent out are (only shown ids are given, so they stay few), except
    where an id names a story again (a split can bring an absorbed id back)."""
    alive = set(live)
    kept = {old: new for old, new in {**_stored_redirects(session), **merged}.items() if old not in alive}
    save_state(session, REDIRECTS, json.dumps(kept, sort_keys=True).encode(), now)


def _stored_redirects(session: Session) -> dict[str, str]:
    data = load_state(session, REDIRECTS)
    return {} if data is None else json.loads(data)


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

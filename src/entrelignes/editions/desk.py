"""The editors' desk: pin, drop, merge and split the stories of a built edition, and approve it.

Every action rewrites the edition's frozen data (ranks renumbered) and writes one audit log entry
(who, when, what, and the stories before the change). The CLI and the web app both call these.

Before publication these shape what goes out. After publication they are corrections: the next
`publish` rewrites the files and edits the Telegram messages in place (email already sent
cannot be recalled). An approved edition that is changed again needs approving again.
"""

from __future__ import annotations

import copy
import hashlib
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from entrelignes.store.schema import AuditEntry, Edition


class DeskError(ValueError):
    """The action cannot be done (unknown edition or story, bad arguments); says why."""


def _edition(session: Session, edition_id: str) -> Edition:
    edition = session.get(Edition, edition_id)
    if edition is None:
        raise DeskError(f"no edition {edition_id!r}")
    return edition


def _index(stories: list[dict[str, Any]], ref: str | int) -> int:
    """A story by its rank ("3") or one of its story ids."""
    ref = str(ref)
    for index, story in enumerate(stories):
        if ref == str(story["rank"]) or ref in story["story_ids"]:
            return index
    raise DeskError(f"no story {ref!r} in this edition (give its rank or story id)")


def _save(session: Session, edition: Edition, stories: list[dict[str, Any]], *, actor: str, action: str, detail: dict[str, Any], now: datetime | None) -> Edition:
    before = [{"rank": s["rank"], "headline": s["headline"], "story_ids": s["story_ids"]} for s in edition.data["stories"]]
    for rank, story in enumerate(stories, start=1):
        story["rank"] = rank
    edition.data = {**edition.data, "stories": stories}  # a new value, so the JSON column is saved
    if edition.status == "approved":
        edition.status = "built"
    session.add(AuditEntry(at=now or datetime.now(timezone.utc), actor=actor, action=action, target=edition.id, detail={**detail, "before": before, "status": edition.status}))
    session.flush()
    return edition


def _stories(edition: Edition) -> list[dict[str, Any]]:
    return copy.deepcopy(edition.data["stories"])


def pin(session: Session, edition_id: str, ref: str | int, *, position: int = 1, actor: str, now: datetime | None = None) -> Edition:
    """Put a story at `position` (1: the top) and mark it pinned."""
    edition = _edition(session, edition_id)
    stories = _stories(edition)
    story = stories.pop(_index(stories, ref))
    story["pinned"] = True
    stories.insert(max(0, min(position - 1, len(stories))), story)
    return _save(session, edition, stories, actor=actor, action="pin", detail={"story": story["story_ids"], "position": position}, now=now)


def drop(session: Session, edition_id: str, ref: str | int, *, actor: str, now: datetime | None = None) -> Edition:
    """Take a story out of the edition."""
    edition = _edition(session, edition_id)
    stories = _stories(edition)
    story = stories.pop(_index(stories, ref))
    return _save(session, edition, stories, actor=actor, action="drop", detail={"story": story["story_ids"], "headline": story["headline"]}, now=now)


def merge(session: Session, edition_id: str, into: str | int, others: list[str | int], *, actor: str, now: datetime | None = None) -> Edition:
    """Fold other stories into one: its headline and place stay, articles, outlets, summaries
    and quotes are joined."""
    edition = _edition(session, edition_id)
    stories = _stories(edition)
    target = stories[_index(stories, into)]
    merged = [stories[_index(stories, ref)] for ref in others]
    if not merged or any(story is target for story in merged):
        raise DeskError("merge needs a story and at least one other story to fold into it")
    for story in merged:
        target["story_ids"] = list(dict.fromkeys(target["story_ids"] + story["story_ids"]))
        seen = {a["id"] for a in target["articles"]}
        target["articles"] = sorted(target["articles"] + [a for a in story["articles"] if a["id"] not in seen], key=lambda a: (a["published"], a["id"]))
        known = {item["sentence"] for item in target["summary"]}
        target["summary"] += [item for item in story["summary"] if item["sentence"] not in known]
        target["quotes"] += story.get("quotes", [])
        target["sourcing"] = {**story.get("sourcing", {}), **target.get("sourcing", {})}
        target["is_update"] = target["is_update"] or story["is_update"]
        target["score"] = max(target["score"], story["score"])
    target["outlets"] = list(dict.fromkeys(a["outlet"] for a in target["articles"]))
    remaining = [story for story in stories if not any(story is m for m in merged)]
    return _save(session, edition, remaining, actor=actor, action="merge", detail={"into": target["story_ids"], "merged": [m["headline"] for m in merged]}, now=now)


def split(session: Session, edition_id: str, ref: str | int, article_ids: list[str], *, actor: str, now: datetime | None = None) -> Edition:
    """Move some articles of a story into a new story placed right after it."""
    edition = _edition(session, edition_id)
    stories = _stories(edition)
    index = _index(stories, ref)
    story = stories[index]
    ids = set(article_ids)
    moved = [a for a in story["articles"] if a["id"] in ids]
    kept = [a for a in story["articles"] if a["id"] not in ids]
    if len(moved) != len(ids) or not kept:
        raise DeskError("split needs some, not all, of the story's article ids: " + ", ".join(a["id"] for a in story["articles"]))
    kept_outlets = {a["outlet"] for a in kept}
    moved_outlets = list(dict.fromkeys(a["outlet"] for a in moved))
    suffix = hashlib.sha256(",".join(sorted(ids)).encode()).hexdigest()[:8]
    new = {
        "rank": 0,
        "story_ids": [f"{story['story_ids'][0]}/split-{suffix}"],
        "headline": moved[0]["title"],
        "reason": f"split by the desk from “{story['headline']}”",
        "is_update": False,
        "score": story["score"],
        "summary": [item for item in story["summary"] if item["outlet"] in moved_outlets and item["outlet"] not in kept_outlets],
        "articles": moved,
        "outlets": moved_outlets,
        "quotes": [q for q in story.get("quotes", []) if q.get("article_id") in ids],
        "sourcing": {o: v for o, v in story.get("sourcing", {}).items() if o in moved_outlets},
    }
    story["articles"] = kept
    story["outlets"] = list(dict.fromkeys(a["outlet"] for a in kept))
    story["summary"] = [item for item in story["summary"] if item not in new["summary"]]
    story["quotes"] = [q for q in story.get("quotes", []) if q.get("article_id") not in ids]
    stories.insert(index + 1, new)
    return _save(session, edition, stories, actor=actor, action="split", detail={"story": story["story_ids"], "articles": sorted(ids), "new": new["story_ids"]}, now=now)


def approve(session: Session, edition_id: str, *, actor: str, now: datetime | None = None) -> Edition:
    """Let a held edition go out (editions.review = true); publishing it is the caller's next step."""
    edition = _edition(session, edition_id)
    if edition.status in ("publishing", "published"):
        raise DeskError(f"{edition_id} is already {edition.status}")
    edition.status = "approved"
    session.add(AuditEntry(at=now or datetime.now(timezone.utc), actor=actor, action="approve", target=edition.id, detail={}))
    session.flush()
    return edition


def audit_log(session: Session, edition_id: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id)
    if edition_id:
        query = query.where(AuditEntry.target == edition_id)
    return list(session.scalars(query))

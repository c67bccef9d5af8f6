"""Building an edition: select the most important stories of a slot, freeze them, store them.

An edition is built once and frozen: its stories, order, reasons and texts are stored as
published, so rebuilding the same date and slot returns the stored one unless asked to rebuild.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from entrelignes.config import Config
from entrelignes.store import articles as article_queries
from entrelignes.store import stories as story_queries
from entrelignes.store.schema import Article, Edition
from entrelignes.stories import StoryInput, headline, rank_stories, summarize

SLOTS = ("morning", "evening")
# A story last published longer ago than this is news again, not an update.
PUBLISHED_MEMORY = timedelta(days=30)


@dataclass(frozen=True)
class SlotTime:
    date: date
    slot: str
    at: datetime  # the slot's local time, timezone-aware

    @property
    def edition_id(self) -> str:
        return f"{self.date.isoformat()}-{self.slot}"


def slot_time(config: Config, day: date, slot: str) -> SlotTime:
    if slot not in SLOTS:
        raise ValueError(f"unknown slot {slot!r}: expected one of {', '.join(SLOTS)}")
    local = datetime.combine(day, config.editions.slot_time(slot), tzinfo=config.tz)
    return SlotTime(day, slot, local)


def latest_slot(config: Config, now: datetime) -> SlotTime:
    """The most recent slot at or before `now` (in the configured time zone)."""
    local_now = now.astimezone(config.tz)
    candidates = [slot_time(config, local_now.date() - timedelta(days=back), slot) for back in (0, 1) for slot in SLOTS]
    return max((c for c in candidates if c.at <= local_now), key=lambda c: c.at)


def get_edition(session: Session, edition_id: str) -> Edition | None:
    return session.get(Edition, edition_id)


def _previously_published(session: Session, before: datetime) -> dict[str, datetime]:
    """story id -> the last time it went out in an earlier edition of the last PUBLISHED_MEMORY
    (so a build reads a month of editions, not the whole archive). A story shown, then merged
    into another, makes that other one an update too."""
    since = (before - PUBLISHED_MEMORY).date().isoformat()
    moved = story_queries.redirects(session)
    published: dict[str, datetime] = {}
    for edition in session.scalars(select(Edition).where(Edition.date >= since).order_by(Edition.id)):
        at = datetime.fromisoformat(edition.data["at"])
        if at >= before:
            continue
        for story in edition.data["stories"]:
            for story_id in story["story_ids"]:
                for shown in (story_id, moved.get(story_id)):
                    if shown is not None:
                        published[shown] = max(at, published.get(shown, at))
    return published


def build_edition(session: Session, config: Config, slot: SlotTime, *, rebuild: bool = False, now: datetime | None = None) -> Edition:
    """The edition for `slot`: the stored one, or a new one built from the stored stories."""
    existing = session.get(Edition, slot.edition_id)
    if existing is not None and not rebuild:
        return existing
    settings = config.editions
    start = slot.at - timedelta(hours=settings.window_hours)
    articles = article_queries.articles_between(session, start, slot.at)
    members = article_queries.story_members(session, [a.id for a in articles])
    analyses = article_queries.analyses_for(session, [a.id for a in articles])

    by_story: dict[str, list[Article]] = defaultdict(list)
    for article in articles:
        if article.id in members:  # not yet clustered articles wait for the next edition
            by_story[members[article.id].story_id].append(article)
    inputs = {story_id: [_story_input(a, config) for a in group] for story_id, group in by_story.items()}
    duplicate_of = {a: m.duplicate_of for a, m in members.items() if m.duplicate_of}
    published_before = _previously_published(session, slot.at)
    ranked = rank_stories(
        inputs,
        duplicate_of,
        now=slot.at,
        previously_published=published_before,
        max_per_outlet=settings.max_per_outlet,
        include=settings.include,
        exclude=settings.exclude,
    )[: settings.size]

    stories = [
        _freeze_story(rank, item, by_story[item.story_id], _news_of(item, inputs[item.story_id], published_before), analyses, config)
        for rank, item in enumerate(ranked, start=1)
    ]
    data: dict[str, Any] = {
        "id": slot.edition_id,
        "date": slot.date.isoformat(),
        "slot": slot.slot,
        "at": slot.at.isoformat(),
        "title": settings.title,
        "timezone": config.timezone,
        "window_start": start.isoformat(),
        "stats": {
            "articles": len(articles),
            "stories": len(by_story),
            "outlets": len({a.outlet for a in articles}),
        },
        "stories": stories,
    }
    built_at = now or datetime.now(timezone.utc)
    if existing is None:
        existing = Edition(id=slot.edition_id, date=slot.date.isoformat(), slot=slot.slot, built_at=built_at, status="built", data=data)
        session.add(existing)
    else:
        existing.data, existing.built_at, existing.status = data, built_at, "built"
    session.flush()
    return existing


def _story_input(article: Article, config: Config) -> StoryInput:
    return StoryInput(
        id=article.id,
        title=article.title,
        text=article.text,
        published=article.published_at.astimezone(config.tz),  # reasons show local times
        source=article.outlet,
        language=article.language,
    )


def _news_of(item: Any, members: list[StoryInput], published_before: dict[str, datetime]) -> list[StoryInput]:
    """What the headline and summary are drawn from: for an update, only the reports that came
    after the story was last published, so the evening says what is new."""
    if not item.is_update:
        return members
    since = published_before[item.story_id]
    return [m for m in members if m.published > since] or members


def _freeze_story(rank: int, item: Any, articles: list[Article], inputs: list[StoryInput], analyses: dict[str, dict[str, Any]], config: Config) -> dict[str, Any]:
    """A story as it will be published: every string it shows, fixed now. `inputs` are the
    members its headline and summary are drawn from."""
    tz = config.tz
    ordered = sorted(articles, key=lambda a: (a.published_at, a.id))
    quotes = []
    sourcing_by_outlet: dict[str, dict[str, float]] = {}
    for article in ordered:
        analysis = analyses.get(article.id)
        if not analysis:
            continue
        sourcing_by_outlet.setdefault(article.outlet, analysis.get("sourcing", {}))
        for quote in analysis.get("quotes", []):
            quotes.append({"quote": quote["quote"], "speaker": quote["speaker"], "speaker_type": quote["speaker_type"], "outlet": article.outlet, "article_id": article.id})
    return {
        "rank": rank,
        "story_ids": [item.story_id],
        "headline": headline(inputs),
        "reason": item.reason,
        "is_update": item.is_update,
        "score": round(item.score, 4),
        "summary": [{"sentence": sentence, "outlet": outlet} for sentence, outlet in summarize(inputs)],
        "articles": [
            {
                "id": a.id,
                "title": a.title,
                "outlet": a.outlet,
                "url": a.url,
                "published": a.published_at.astimezone(tz).isoformat(),
            }
            for a in ordered
        ],
        "outlets": list(dict.fromkeys(a.outlet for a in ordered)),
        "quotes": quotes,
        "sourcing": sourcing_by_outlet,
    }

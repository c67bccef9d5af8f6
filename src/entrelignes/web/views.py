"""What each page shows, as plain data: the HTML pages render it and the JSON API returns it,
so the two never disagree. Everything here reads the store; nothing writes."""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict, defaultdict
from datetime import datetime
from typing import Any
from urllib.parse import quote as url_quote

from sqlalchemy.orm import Session

from entrelignes.config import Config
from entrelignes.store import browse
from entrelignes.store import stories as story_queries
from entrelignes.store.schema import Edition, Source
from entrelignes.store.search import search_articles
from entrelignes.web.charts import SOURCING_KINDS, average_sourcing
from entrelignes.web.security import safe_url

LEAD_CHARS = 700
STORY_ARTICLES = 200


def edition_summary(row: Edition) -> dict[str, Any]:
    data = row.data or {}
    stories = data.get("stories", [])
    return {
        "id": row.id,
        "date": row.date,
        "slot": row.slot,
        "status": row.status,
        "at": data.get("at", ""),
        "stories": len(stories),
        "headlines": [s.get("headline", "") for s in stories[:3]],
        "stats": data.get("stats", {}),
    }


def edition_full(row: Edition) -> dict[str, Any]:
    data = dict(row.data or {})
    stories = []
    for story in data.get("stories", []):
        story = dict(story)
        ids = story.get("story_ids") or []
        story["story_id"] = ids[0] if ids else ""
        articles = story.get("articles", [])
        story["first_published"] = min((a.get("published", "") for a in articles), default="")
        story["pinned"] = bool(story.get("pinned"))
        story["articles"] = [{**a, "url": safe_url(a.get("url"))} for a in articles]
        stories.append(story)
    data["stories"] = stories
    data["status"] = row.status
    data.setdefault("id", row.id)
    data.setdefault("date", row.date)
    data.setdefault("slot", row.slot)
    data.setdefault("stats", {})
    return data


def _text_fragment_link(url: str, quote: str) -> str:
    """The outlet's page scrolled to the quote (a text fragment), or just the page."""
    link = safe_url(url)
    words = quote.split()
    if link == "#" or not words:
        return link
    return f"{link.split('#', 1)[0]}#:~:text={url_quote(' '.join(words[:6]), safe='')}"


class _Editions:
    """What the archive, the story pages and the Atom feed need from every public edition: their
    summaries (newest first) and which stories each carried. Rebuilt when an edition is built,
    edited at the desk or made public (browse.editions_fingerprint), not on every request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: Any = None
        self.summaries: list[dict[str, Any]] = []
        self.index: dict[str, list[str]] = {}
        self.atom: str | None = None

    def fresh(self, session: Session) -> "_Editions":
        key = (str(session.get_bind().url), browse.editions_fingerprint(session))
        with self._lock:
            if key != self._key:
                summaries, index = [], {}
                for row in browse.list_editions(session, limit=1_000_000):
                    summaries.append(edition_summary(row))
                    for item in (row.data or {}).get("stories", []):
                        for sid in item.get("story_ids") or []:
                            index.setdefault(sid, []).append(row.id)
                self.summaries, self.index, self.atom, self._key = summaries, index, None, key
        return self

    def carrying(self, session: Session, story_id: str, limit: int = 5) -> list[Edition]:
        ids = self.fresh(session).index.get(story_id, [])[:limit]
        return browse.editions_by_id(session, ids) if ids else []


_editions = _Editions()


def archive(session: Session, *, limit: int, offset: int, day: str = "") -> tuple[list[dict[str, Any]], int]:
    """Public editions' summaries, newest first (of one day, if given), and how many there are."""
    summaries = _editions.fresh(session).summaries
    if day:
        summaries = [s for s in summaries if s["date"] == day]
    return summaries[offset : offset + limit], len(summaries)


ATOM_EDITIONS = 20


def atom_feed(session: Session, base_url: str) -> str:
    from entrelignes.editions import render_atom

    cache = _editions.fresh(session)
    atom = cache.atom
    if atom is None:
        ids = [e["id"] for e in cache.summaries[:ATOM_EDITIONS]]
        editions = [row.data for row in browse.editions_by_id(session, ids)]
        from entrelignes.publish.files import atom_feed_id

        atom = render_atom(editions, base_url=base_url, feed_id=atom_feed_id(base_url))
        cache.atom = atom
    return atom


class _Memo:
    """A small LRU of computed values."""

    def __init__(self, size: int = 512) -> None:
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_contrasts = _Memo()


def story(session: Session, config: Config, story_id: str, *, boilerplate: bool = False) -> dict[str, Any] | None:
    carried = _editions.carrying(session, story_id)
    entry: dict[str, Any] = {}
    appearances = []
    for row in carried:
        for item in (row.data or {}).get("stories", []):
            if story_id in (item.get("story_ids") or []):
                entry = entry or item
                appearances.append({"edition": row.id, "date": row.date, "slot": row.slot, "rank": item.get("rank")})
    shown = [story_id, *(entry.get("story_ids") or [])]
    moved = story_queries.redirects(session)  # a story merged since then: its articles carry the new id
    story_ids = list(dict.fromkeys([*shown, *(moved[i] for i in shown if i in moved)]))
    rows = browse.story_articles(session, story_ids, limit=STORY_ARTICLES)
    if not rows and not entry:
        return None
    parts = browse.analysis_parts(session, [a.id for a, _ in rows])
    articles = []
    quotes_by_speaker: dict[str, list[dict[str, Any]]] = defaultdict(list)
    sourcing_by_outlet: dict[str, list[dict[str, float]]] = defaultdict(list)
    for article, member in rows:
        sourcing, quotes = parts.get(article.id, ({}, []))
        if sourcing:
            sourcing_by_outlet[article.outlet].append(sourcing)
        for q in quotes:
            text = str(q.get("quote", ""))
            quotes_by_speaker[q.get("speaker") or ""].append(
                {
                    "quote": text,
                    "type": q.get("type", ""),
                    "speaker_type": q.get("speaker_type", ""),
                    "role": q.get("role"),
                    "outlet": article.outlet,
                    "article_id": article.id,
                    "link": _text_fragment_link(article.url, text),
                }
            )
        item = {
            "id": article.id,
            "outlet": article.outlet,
            "title": article.title,
            "url": safe_url(article.url),
            "author": article.author,
            "language": article.language,
            "published": article.published_at.astimezone(config.tz).isoformat(),
            "lead": article.text[:LEAD_CHARS] + ("…" if len(article.text) > LEAD_CHARS else ""),
            "duplicate_of": member.duplicate_of,
            "quotes": len(quotes),
        }
        if boilerplate:
            item["boilerplate"] = list(article.boilerplate or [])
        articles.append(item)
    outlets = list(dict.fromkeys(a["outlet"] for a in articles)) or list(entry.get("outlets", []))
    contrast = entry.get("contrast") or _contrast(rows)
    groups = sorted(quotes_by_speaker.items(), key=lambda kv: (kv[0] == "", -len(kv[1]), kv[0]))
    return {
        "id": story_id,
        "story_ids": story_ids,
        "headline": entry.get("headline") or (articles[0]["title"] if articles else ""),
        "reason": entry.get("reason", ""),
        "is_update": bool(entry.get("is_update")),
        "summary": entry.get("summary", []),
        "editions": appearances,
        "outlets": outlets,
        "articles": articles,
        "quotes": [{"speaker": speaker or None, "quotes": items} for speaker, items in groups],
        "sourcing": {outlet: average_sourcing(items) for outlet, items in sourcing_by_outlet.items()},
        "contrast": {outlet: [w if isinstance(w, str) else w[0] for w in words] for outlet, words in (contrast or {}).items() if words},
        "first_published": articles[0]["published"] if articles else "",
        "last_published": articles[-1]["published"] if articles else "",
    }


CONTRAST_ARTICLES, CONTRAST_CHARS = 24, 600


def _contrast(rows) -> dict[str, list]:
    """Outlet contrast words (stories.outlet_contrast) over the articles' titles and leads,
    remembered per set of articles."""
    if len({a.outlet for a, _ in rows}) < 2:
        return {}
    key = tuple(a.id for a, _ in rows[:CONTRAST_ARTICLES])
    cached = _contrasts.get(key)
    if cached is not None:
        return cached
    try:
        from entrelignes.stories import StoryInput, outlet_contrast
    except ImportError:
        return {}
    members = [StoryInput(id=a.id, title=a.title, text=a.text[:CONTRAST_CHARS], published=a.published_at, source=a.outlet, language=a.language) for a, _ in rows[:CONTRAST_ARTICLES]]
    try:
        result = outlet_contrast(members, top=6)
    except Exception:  # an analysis helper failing must not take the page down
        return {}
    _contrasts.put(key, result)
    return result


class _ProfileCache:
    """Outlet profiles, recomputed only when the outlet gets a new article."""

    def __init__(self, size: int = 256) -> None:
        self._items: OrderedDict[str, tuple[Any, dict[str, Any]]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: str, fingerprint: Any) -> dict[str, Any] | None:
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] != fingerprint:
                return None
            self._items.move_to_end(key)
            return item[1]

    def put(self, key: str, fingerprint: Any, value: dict[str, Any]) -> None:
        with self._lock:
            self._items[key] = (fingerprint, value)
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


PROFILE_ARTICLES = 300  # an outlet's profile reads its newest articles only
_profiles = _ProfileCache()


def outlet(session: Session, config: Config, name: str) -> dict[str, Any] | None:
    fingerprint = browse.outlet_fingerprint(session, name)
    if fingerprint[0] == 0:
        return None
    cached = _profiles.get(name, (str(session.get_bind().url), fingerprint))
    if cached is not None:
        return cached
    recent = browse.outlet_articles(session, name, limit=PROFILE_ARTICLES)
    parts = browse.analysis_parts(session, [a.id for a in recent])
    weeks: dict[str, list[dict[str, float]]] = defaultdict(list)
    speakers: Counter[str] = Counter()
    speaker_types: dict[str, str] = {}
    for article in recent:
        sourcing, quotes = parts.get(article.id, ({}, []))
        if sourcing:
            year, week, _ = article.published_at.astimezone(config.tz).isocalendar()
            weeks[f"{year}-W{week:02d}"].append(sourcing)
        for q in quotes:
            if q.get("speaker"):
                speakers[q["speaker"]] += 1
                speaker_types.setdefault(q["speaker"], q.get("speaker_type", ""))
    profile = [{"week": week, "articles": len(items), **average_sourcing(items)} for week, items in sorted(weeks.items())]
    overall = average_sourcing([s for items in weeks.values() for s in items])
    members = browse.members_of(session, [a.id for a in recent[:20]])
    sources = browse.outlet_sources(session, name, sorted({a.source_id for a in recent if a.source_id}))
    value = {
        "name": name,
        "articles": fingerprint[0],
        "latest": fingerprint[1].astimezone(config.tz).isoformat() if isinstance(fingerprint[1], datetime) else None,
        "sourcing": overall,
        "profile": profile,
        "speakers": [{"speaker": s, "speaker_type": speaker_types.get(s, ""), "quotes": n} for s, n in speakers.most_common(12)],
        "health": [source_health(s) for s in sources],
        "recent": [
            {
                "id": a.id,
                "title": a.title,
                "url": safe_url(a.url),
                "published": a.published_at.astimezone(config.tz).isoformat(),
                "story_id": members.get(a.id),
            }
            for a in recent[:20]
        ],
    }
    _profiles.put(name, (str(session.get_bind().url), fingerprint), value)
    return value


def source_health(source: Source) -> dict[str, Any]:
    polls = source.polls or 0
    return {
        "id": source.id,
        "name": source.name,
        "url": source.url,
        "enabled": bool(source.enabled),
        "origin": getattr(source, "origin", ""),
        "language": source.language or "",
        "tags": list(source.tags or []),
        "poll_interval": source.poll_interval,
        "fetch_full_page": bool(source.fetch_full_page),
        "selector": source.selector or "",
        "last_status": source.last_status or "",
        "last_error": source.last_error or "",
        "last_polled_at": source.last_polled_at.isoformat() if source.last_polled_at else None,
        "last_success_at": source.last_success_at.isoformat() if source.last_success_at else None,
        "consecutive_failures": source.consecutive_failures or 0,
        "polls": polls,
        "items_seen": source.items_seen or 0,
        "not_modified_share": round((source.not_modified or 0) / polls, 3) if polls else None,
        "mean_latency_ms": round((source.total_latency_ms or 0.0) / polls, 1) if polls else None,
        "extraction_failures": source.extraction_failures or 0,
    }


_outlet_list = _Memo(size=8)
OUTLET_LIST_TTL = 60.0  # seconds; the list is also redone as soon as a newer article arrives


def outlets(session: Session) -> list[dict[str, Any]]:
    import time

    key = (str(session.get_bind().url), browse.newest_article_time(session))
    cached = _outlet_list.get(key)
    if cached is not None and time.monotonic() - cached[0] < OUTLET_LIST_TTL:
        return cached[1]
    value = [{"name": name, "articles": count} for name, count in browse.outlet_names(session)]
    _outlet_list.put(key, (time.monotonic(), value))
    return value


def search(session: Session, query: str, *, limit: int = 30, offset: int = 0) -> dict[str, Any]:
    hits = search_articles(session, query, limit=limit, offset=offset)
    stories: dict[str, dict[str, Any]] = {}
    for hit in hits:
        if hit.story_id and hit.story_id not in stories:
            stories[hit.story_id] = {"id": hit.story_id, "title": hit.title, "outlets": []}
        if hit.story_id and hit.outlet not in stories[hit.story_id]["outlets"]:
            stories[hit.story_id]["outlets"].append(hit.outlet)
    return {
        "query": query,
        "stories": list(stories.values()),
        "articles": [
            {
                "id": h.article_id,
                "title": h.title,
                "outlet": h.outlet,
                "url": safe_url(h.url),
                "published": h.published_at.isoformat() if h.published_at else None,
                "story_id": h.story_id,
                "snippet": h.snippet,
            }
            for h in hits
        ],
    }


SOURCING_LABELS = {
    "person": "named person",
    "organization": "organisation",
    "anonymous": "unnamed",
    "outlet": "outlet",
    "unsourced": "no source",
}
assert set(SOURCING_LABELS) == set(SOURCING_KINDS)

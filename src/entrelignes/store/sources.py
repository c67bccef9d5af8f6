"""Queries on sources: follow, list (worst health first), drop, and sync with the config file.

A source's row also carries its conditional-GET validators (ETag, Last-Modified) and its
health counters; `entrelignes.ingest` updates them after every poll.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session

from entrelignes.config import SourceConfig
from entrelignes.store.schema import FeedItemState, Source

ORIGINS = ("config", "cli", "web")


def add_source(
    session: Session,
    *,
    name: str,
    url: str,
    language: str = "",
    tags: Iterable[str] = (),
    site_url: str = "",
    poll_interval: int = 900,
    enabled: bool = True,
    fetch_full_page: bool = True,
    selector: str = "",
    origin: str = "cli",
) -> Source:
    """Follow `url`, or update the source already following it. `origin` says who added it:
    "web" sources are untrusted (the fetcher refuses private addresses and file:// for them);
    check the URL with `entrelignes.ingest.safety.check_destination` before adding it from the web."""
    if origin not in ORIGINS:
        raise ValueError(f"origin must be one of {', '.join(ORIGINS)}, not {origin!r}")
    url = url.strip()
    if not url:
        raise ValueError("a source needs a URL")
    source = find_source(session, url)
    if source is None:
        source = Source(url=url, added_url=url, name=name or url, origin=origin)
        _fill_defaults(source)
        session.add(source)
    elif origin != "web" and source.origin == "web":
        source.origin = origin  # an operator vouching for a web-added source makes it trusted
    source.name = name or source.name or url
    source.language = language
    source.tags = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
    source.site_url = site_url or source.site_url or ""
    source.poll_interval = max(1, int(poll_interval))
    source.enabled = enabled
    source.fetch_full_page = fetch_full_page
    source.selector = selector
    session.flush()
    return source


def _fill_defaults(source: Source) -> None:
    """Column defaults only apply at INSERT; health code reads these before that."""
    for name, value in (
        ("etag", ""), ("last_modified", ""), ("added_url", ""), ("last_status", ""), ("last_error", ""), ("site_url", ""),
        ("consecutive_failures", 0), ("polls", 0), ("not_modified", 0), ("items_seen", 0),
        ("extraction_failures", 0), ("total_latency_ms", 0.0), ("tags", []),
    ):
        if getattr(source, name) is None:
            setattr(source, name, value)


def find_source(session: Session, url: str) -> Source | None:
    """The source following `url`, also when a permanent redirect has since moved it."""
    return session.scalar(select(Source).where(or_(Source.url == url, Source.added_url == url)).order_by(Source.url != url))


_SYNCED = ("name", "language", "tags", "poll_interval", "fetch_full_page", "selector", "origin", "enabled", "site_url")


def sync_config_sources(session: Session, sources: Iterable[SourceConfig], url_of=lambda s: s.url) -> int:
    """Add or update the config file's sources (`url_of` maps a SourceConfig to its absolute
    URL); returns how many were added or changed. Sources missing from the file are kept: they
    may come from the command line or the web. One light query reads every source and only
    changed rows are written, so syncing ten thousand sources stays quick and small."""
    columns = [Source.id, Source.url, Source.added_url, Source.last_status, *(getattr(Source, name) for name in _SYNCED)]
    known: dict[str, Any] = {}
    for row in session.execute(select(*columns)):
        if row.added_url:
            known.setdefault(row.added_url, row)
        known[row.url] = row  # the current URL wins over a first URL
    changed = 0
    new_rows: list[dict[str, Any]] = []
    for config in sources:
        url = url_of(config)
        wanted = {
            "name": config.name or url, "language": config.language, "tags": list(config.tags),
            "poll_interval": max(1, config.poll_interval), "fetch_full_page": config.fetch_full_page,
            "selector": config.selector, "origin": "config", "enabled": config.enabled,
        }
        if config.site_url:
            wanted["site_url"] = config.site_url
        row = known.get(url)
        if row is None:
            new_rows.append(dict(wanted, url=url, added_url=url, site_url=wanted.get("site_url", "")))
            known[url] = _ADDED
            changed += 1
            if len(new_rows) >= 500:
                session.execute(insert(Source), new_rows)
                new_rows = []
            continue
        if row is _ADDED:  # listed twice in this sync
            continue
        if row.last_status == "gone" and config.enabled:
            wanted["enabled"] = row.enabled  # a 410 disabled it: it stays off until its URL changes
        diff = {name: value for name, value in wanted.items() if getattr(row, name) != value}
        if diff and row.id is not None:
            session.execute(update(Source).where(Source.id == row.id).values(**diff))
            changed += 1
    if new_rows:
        session.execute(insert(Source), new_rows)  # column defaults fill the health counters
    session.flush()
    return changed


_ADDED = object()


def list_sources(session: Session) -> list[Source]:
    """Every source, worst health first: most consecutive failures, then disabled ones, then
    the longest without success, then by name."""
    rows = list(session.scalars(select(Source)))
    return sorted(rows, key=health_sort_key)


def health_sort_key(source: Source) -> tuple:
    never = source.last_success_at is None
    last = source.last_success_at.timestamp() if source.last_success_at else 0.0
    failing = (source.consecutive_failures or 0) > 0
    return (
        -(source.consecutive_failures or 0),
        0 if not source.enabled else 1,
        0 if failing or (never and (source.polls or 0) > 0) else 1,
        -(source.extraction_failures or 0) / max(1, source.items_seen or 0),
        last,
        source.name.lower(),
    )


def remove_source(session: Session, url_or_id: str | int) -> bool:
    """Stop following a source (by URL or numeric id); its articles stay. True when found."""
    key = str(url_or_id).strip()
    conditions = [Source.url == key, Source.added_url == key]
    if key.isdigit():
        conditions.append(Source.id == int(key))
    source = session.scalar(select(Source).where(or_(*conditions)).limit(1))
    if source is None:
        return False
    session.execute(delete(FeedItemState).where(FeedItemState.source_id == source.id))
    session.delete(source)
    session.flush()
    return True


def due_sources(session: Session, now: datetime, *, force: bool = False) -> list[Source]:
    """Enabled sources whose next poll time has come (all enabled ones when `force`)."""
    query = select(Source).where(Source.enabled.is_(True))
    if not force:
        query = query.where(or_(Source.next_poll_at.is_(None), Source.next_poll_at <= now))
    return list(session.scalars(query.order_by(Source.next_poll_at.is_not(None), Source.next_poll_at, Source.id)))

"""Adding sources from the web: every address goes through the ingestion safety rules (no
private, loopback or link-local address, no file://), and a site's page is searched for the
feeds it announces. The fetching, parsing and storing are ingest's; this only strings them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx
from sqlalchemy.orm import Session

from entrelignes.config import Config
from entrelignes.ingest.safety import UnsafeURL, check_destination

if TYPE_CHECKING:
    from entrelignes.web.app import Web

DISCOVERY_MAX_BYTES = 2_000_000


@dataclass
class Discovery:
    """What an address turned out to be: a feed (`feed_url`), or a page announcing `choices`."""

    url: str
    feed_url: str = ""
    title: str = ""
    site_url: str = ""
    choices: list[str] = field(default_factory=list)
    error: str = ""


async def _discover(config: Config, url: str, transport: httpx.AsyncBaseTransport | None) -> Discovery:
    from entrelignes.ingest.discover import discover_feeds, page_title
    from entrelignes.encoding import decode
    from entrelignes.ingest.feeds import FeedError, looks_like_html, parse_feed
    from entrelignes.ingest.fetcher import Fetcher, FetchError

    try:
        async with Fetcher(config.fetch, transport=transport) as fetcher:
            fetched = await fetcher.fetch(url, allow_private=False, accept="any", max_bytes=DISCOVERY_MAX_BYTES)
    except FetchError as error:
        return Discovery(url, error=error.reason)
    final = fetched.moved_to or fetched.url or url
    if not looks_like_html(fetched.body):
        try:
            parsed = parse_feed(fetched.body, url=final, content_type=fetched.content_type)
        except FeedError as error:
            return Discovery(url, error=str(error))
        return Discovery(url, feed_url=final, title=parsed.title, site_url=parsed.site_url)
    html, _ = decode(fetched.body, fetched.content_type)
    safe = []
    for candidate in discover_feeds(html, fetched.url or url)[:20]:
        try:
            check_destination(candidate, allow_private=False)
        except UnsafeURL:
            continue
        safe.append(candidate)
    if not safe:
        return Discovery(url, error="no feed announced on this page")
    return Discovery(url, title=page_title(html), site_url=fetched.url or url, choices=safe, feed_url=safe[0] if len(safe) == 1 else "")


def discover(config: Config, url: str, transport: httpx.AsyncBaseTransport | None = None) -> Discovery:
    """Check `url` against the safety rules, then fetch it: a feed is taken as is; a page's
    announced feeds are offered (and taken directly when there is only one)."""
    url = (url or "").strip()
    try:
        check_destination(url, allow_private=False)
    except UnsafeURL as error:
        return Discovery(url, error=str(error))
    return asyncio.run(_discover(config, url, transport))


def add_from_web(session: Session, *, url: str, name: str, language: str = "", tags: list[str] | None = None, site_url: str = ""):
    """Store a checked feed URL as an untrusted ("web") source (the fetcher re-checks every
    request it makes for it)."""
    from entrelignes.store.sources import add_source

    check_destination(url, allow_private=False)
    return add_source(session, name=name or url, url=url, language=language, tags=tags or [], site_url=site_url, origin="web")


def update_source(session: Session, source_id: int, **changes):
    """Edit a stored source's settings (its URL stays: a new URL is a new source)."""
    from entrelignes.store.schema import Source
    from entrelignes.store.sources import add_source

    source = session.get(Source, source_id)
    if source is None:
        return None
    values = {
        "name": source.name, "language": source.language, "tags": list(source.tags or []), "site_url": source.site_url,
        "poll_interval": source.poll_interval, "enabled": source.enabled, "fetch_full_page": source.fetch_full_page,
        "selector": source.selector,
    }
    values.update({k: v for k, v in changes.items() if v is not None and k in values})
    return add_source(session, url=source.url, origin=source.origin if source.origin in ("config", "cli", "web") else "web", **values)


def parse_tags(text: str) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()][:20]


async def import_opml_upload(web: Web, raw: bytes) -> tuple[list[str], list[tuple[str, str]]]:
    """Add the feeds of an uploaded OPML document as web sources, off the event loop;
    (added URLs, refused (URL, reason)). Raises OPMLError for a document that is not OPML."""
    from starlette.concurrency import run_in_threadpool

    def work():
        with web.session() as session:
            return import_opml_document(session, raw)

    return await run_in_threadpool(work)


def import_opml_document(session: Session, document: bytes) -> tuple[list[str], list[tuple[str, str]]]:
    """Add the feeds of an OPML document as web sources; (added URLs, refused (URL, reason))."""
    from entrelignes.ingest.opml import import_opml

    added, refused = [], []
    for item in import_opml(document)[:500]:
        try:
            add_from_web(session, url=item.url, name=item.name, language=item.language, tags=list(item.tags))
            added.append(item.url)
        except (UnsafeURL, ValueError) as error:
            refused.append((item.url, str(error)))
    return added, refused

"""One ingestion run: sync the config's sources, poll the due ones, fetch and extract each new
item's page, store it, and keep every source's health.

Sources are polled by a pool of workers in one event loop, through one `Fetcher`. Each source
is handled from poll to stored articles by one worker, and written in its own transactions
(one per chunk of items), so a crash loses at most the chunk in flight and running again
repairs it. No source or page failure ever escapes its worker: it becomes a line in
`IngestReport.errors` and in the source's health.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import random
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine, bindparam, case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from entrelignes.config import Config
from entrelignes.extract import ExtractionError, extract_page
from entrelignes.ingest.discover import discover_feeds, looks_like_article, page_canonical, page_title, select_body
from entrelignes.encoding import decode
from entrelignes.ingest.feeds import FeedError, NotAFeed, ParsedFeed, parse_feed
from entrelignes.ingest.fetcher import FetchError, Fetcher, _file_path, idle_connections
from entrelignes.ingest.local import Candidate, iter_candidates, kind_of, signature
from entrelignes.ingest.urls import canonical_url
from entrelignes.records import FeedItem, article_id
from entrelignes.store import session_scope
from entrelignes.store.articles import save_extracted
from entrelignes.store.schema import Article, FeedItemState, Source
from entrelignes.store.sources import sync_config_sources

MAX_ATTEMPTS = 3  # a page that failed this many times is not fetched again
CHUNK = 100  # items written per transaction
MAX_SITEMAPS = 3  # children of a sitemap index read per poll (the most recent ones)
HEALTH_BATCH = 500  # poll outcomes written per statement
ITEMS_KEPT = 1000  # feed_items rows kept per remote source (at least 10 x fetch.max_items), newest first

_SUCCESS_UPDATE = (
    update(Source.__table__)
    .where(Source.__table__.c.id == bindparam("sid"))
    .values(
        polls=Source.__table__.c.polls + 1, last_polled_at=bindparam("now"), last_success_at=bindparam("now"),
        total_latency_ms=Source.__table__.c.total_latency_ms + bindparam("lat"), consecutive_failures=0,
        last_error=bindparam("note"), last_status=bindparam("status"), not_modified=Source.__table__.c.not_modified + bindparam("nm"),
        items_seen=Source.__table__.c.items_seen + bindparam("items"), etag=bindparam("etag"), last_modified=bindparam("lm"),
        next_poll_at=bindparam("next"),
        site_url=case((Source.__table__.c.site_url == "", bindparam("site")), else_=Source.__table__.c.site_url),
    )
)
_FAILURE_UPDATE = (
    update(Source.__table__)
    .where(Source.__table__.c.id == bindparam("sid"))
    .values(
        polls=Source.__table__.c.polls + 1, last_polled_at=bindparam("now"),
        total_latency_ms=Source.__table__.c.total_latency_ms + bindparam("lat"), consecutive_failures=bindparam("failures"),
        last_error=bindparam("error"), last_status=bindparam("status"), next_poll_at=bindparam("next"),
    )
)


@dataclass
class IngestReport:
    sources_read: int = 0  # sources polled successfully (including 304)
    articles_new: int = 0
    articles_seen: int = 0  # items already stored
    errors: list[tuple[str, str]] = field(default_factory=list)  # (source name or article URL, clear reason)
    sources_not_modified: int = 0  # of sources_read, those that answered 304 (or unchanged files)
    items_read: int = 0  # feed items read from changed sources


@dataclass(slots=True)
class _Job:
    """What a worker needs from a source row (read once, used outside any session)."""

    id: int
    name: str
    url: str
    language: str
    fetch_full_page: bool
    etag: str
    last_modified: str
    poll_interval: int
    consecutive_failures: int
    trusted: bool
    selector: str = ""

    @property
    def is_file(self) -> bool:
        return self.url.lower().startswith("file:")


@dataclass
class _Poll:
    status: str  # ok | not modified | failed
    candidates: Iterable[Candidate | Path] = ()
    etag: str = ""
    last_modified: str = ""
    max_age: float | None = None
    moved_to: str = ""
    site_url: str = ""
    error: FetchError | None = None
    notes: list[str] = field(default_factory=list)
    latency_ms: float = 0.0


def fetch_all(engine: Engine, config: Config, *, progress: Any = None, force: bool = False, now: datetime | None = None) -> IngestReport:
    """Sync config.sources into the store, poll every enabled source that is due (all when
    `force`), store the new articles, update each source's health. See the module docstring."""
    return asyncio.run(ingest(engine, config, progress=progress, force=force, now=now))


def poll_feeds(engine: Engine, config: Config, *, force: bool = True, now: datetime | None = None) -> IngestReport:
    """Feed polling only (conditional GET, parsing, health), no page fetch: what the benchmark measures."""
    return asyncio.run(ingest(engine, config, force=force, now=now, fetch_pages=False))


async def ingest(
    engine: Engine, config: Config, *, progress: Any = None, force: bool = False, now: datetime | None = None, fetch_pages: bool = True,
) -> IngestReport:
    now = now or datetime.now(timezone.utc)
    report = IngestReport()
    with session_scope(engine) as session:
        sync_config_sources(session, config.sources, url_of=config.source_url)
        jobs = _due_jobs(session, config, now, force)
    task = progress.add_task("Fetching sources", total=len(jobs)) if progress is not None else None
    runner = _Runner(engine, config, report, now, fetch_pages)
    async with Fetcher(config.fetch) as fetcher:
        runner.fetcher = fetcher
        pending = iter(jobs)

        async def worker() -> None:
            for job in pending:
                try:
                    await runner.source(job)
                except Exception as error:  # a bug must not stop the other sources
                    report.errors.append((job.name, f"internal error: {type(error).__name__}: {error}"))
                if progress is not None and task is not None:
                    progress.advance(task)

        workers = max(1, min(len(jobs), config.fetch.concurrency * 2))
        try:
            await asyncio.gather(*(worker() for _ in range(workers)))
        finally:
            runner.close()
    return report


def _due_jobs(session, config: Config, now: datetime, force: bool) -> list[_Job]:
    """The due sources as small records (no ORM objects: ten thousand sources stay light)."""
    c = Source.__table__.c
    query = select(
        c.id, c.name, c.url, c.language, c.fetch_full_page, c.etag, c.last_modified, c.poll_interval,
        c.consecutive_failures, c.origin, c.selector,
    ).where(c.enabled.is_(True))
    if not force:
        query = query.where(or_(c.next_poll_at.is_(None), c.next_poll_at <= now))
    jobs = [_job(row, config) for row in session.execute(query.order_by(c.next_poll_at.is_not(None), c.next_poll_at, c.id))]
    return spread_hosts(jobs, idle_connections(config.fetch))


def spread_hosts(jobs: list[_Job], window: int) -> list[_Job]:
    """The jobs with each host's spread out: a config lists an outlet's feeds together, and polled
    in that order the workers would all wait on one host's politeness delay while the other hosts
    sit idle. Jobs go round `window` hosts at a time, one job of each per round (each host's own
    order kept); a host whose jobs run out leaves its place to the next host. So a host's next
    job comes at most `window` jobs later, while its connection is still kept idle, and a site
    with many feeds runs alongside the others instead of on its own at the end."""
    by_host: dict[str, deque[_Job]] = {}
    for job in jobs:
        by_host.setdefault(urlsplit(job.url).netloc.lower(), deque()).append(job)
    waiting = deque(by_host.values())
    active: list[deque[_Job]] = []
    spread: list[_Job] = []
    while waiting or active:
        while waiting and len(active) < max(1, window):
            active.append(waiting.popleft())
        spread.extend(host_jobs.popleft() for host_jobs in active)
        active = [host_jobs for host_jobs in active if host_jobs]
    return spread


def _job(row: Any, config: Config) -> _Job:
    return _Job(
        id=row.id, name=row.name, url=row.url, language=row.language or "", fetch_full_page=bool(row.fetch_full_page),
        etag=row.etag or "", last_modified=row.last_modified or "", poll_interval=row.poll_interval or 900,
        consecutive_failures=row.consecutive_failures or 0,
        trusted=row.origin != "web" and config.fetch.allow_private, selector=row.selector or "",
    )


class _Runner:
    def __init__(self, engine: Engine, config: Config, report: IngestReport, now: datetime, fetch_pages: bool) -> None:
        self.engine, self.config, self.report, self.now, self.fetch_pages = engine, config, report, now, fetch_pages
        self.fetcher: Fetcher | None = None
        self._extractors = ThreadPoolExecutor(max_workers=2, thread_name_prefix="extract")
        self._claimed: set[str] = set()  # item keys being handled in this run (two feeds, one article)
        self._succeeded: list[dict[str, Any]] = []
        self._pending_keys: set[str] = set()
        self._failed: list[dict[str, Any]] = []
        self._grown: set[int] = set()  # remote sources with new feed_items rows in this run

    def close(self) -> None:
        self.flush_known()
        self.flush_health()
        self.prune_items()
        self._extractors.shutdown(wait=True)

    def prune_items(self) -> None:
        """Forget the oldest feed_items of the sources that grew, beyond a window far larger
        than a feed: an item that long gone from its feed is not polled again, and if it came
        back, a stored article would still be found by its key (only a failed page would be
        tried again)."""
        if not self._grown:
            return
        keep = max(ITEMS_KEPT, 10 * self.config.fetch.max_items)
        c = FeedItemState.__table__.c
        with session_scope(self.engine) as session:
            for source_id in sorted(self._grown):
                oldest = select(c.key).where(c.source_id == source_id).order_by(c.first_seen_at.desc(), c.key).offset(keep)
                session.execute(delete(FeedItemState.__table__).where(c.key.in_(oldest)))
        self._grown.clear()

    # --- one source ------------------------------------------------------------------------

    async def source(self, job: _Job) -> None:
        started = time.perf_counter()
        poll = await self._poll(job)
        poll.latency_ms = poll.latency_ms or (time.perf_counter() - started) * 1000
        if poll.status == "failed":
            self.report.errors.append((job.name, poll.error.reason if poll.error else "failed"))
            self._health(job, poll, items=0)
            return
        self.report.sources_read += 1
        if poll.status == "not modified":
            self.report.sources_not_modified += 1
            self._health(job, poll, items=0)
            return
        if not self.fetch_pages:
            candidates = []
            for candidate in self._expand(job, poll):
                if isinstance(candidate, str):
                    poll.notes.append(candidate)
                elif len(candidates) < self.config.fetch.max_items:
                    candidates.append(candidate)
            self._count_known(candidates)
            self.report.items_read += len(candidates)
            self._health(job, poll, items=len(candidates))
            return
        items = 0
        chunk: list[Candidate] = []
        for candidate in self._expand(job, poll):
            if isinstance(candidate, str):  # a note from a nested feed
                poll.notes.append(candidate)
                continue
            if chunk and len(chunk) >= CHUNK:
                await self._handle_chunk(job, chunk, None, items)
                chunk = []
            chunk.append(candidate)
            items += 1
            if items >= self.config.fetch.max_items and not job.is_file:
                break
        await self._handle_chunk(job, chunk, poll, items)  # the last chunk also records the poll
        self.report.items_read += items

    def _count_known(self, candidates: list[Candidate]) -> None:
        """Poll-only mode: which items are already stored (what a full run would skip). Keys are
        looked up in batches across sources: one query per few hundred items."""
        self._pending_keys.update(item_key(c.item.url) for c in candidates if not c.error)
        if len(self._pending_keys) >= 900:
            self.flush_known()

    def flush_known(self) -> None:
        keys, self._pending_keys = list(self._pending_keys), set()
        if not keys:
            return
        articles, states = Article.__table__.c, FeedItemState.__table__.c
        query = select(articles.id).where(articles.id.in_(keys)).union(
            select(states.key).where(states.key.in_(keys), states.article_id.is_not(None))
        )
        with self.engine.connect() as connection:
            self.report.articles_seen += len(connection.execute(query).all())

    def _expand(self, job: _Job, poll: _Poll) -> Iterator[Candidate | str]:
        """Candidates of a poll; Path entries (feed files in a local directory) are read here."""
        for entry in poll.candidates:
            if isinstance(entry, Path):
                try:
                    feed = parse_feed(entry.read_bytes()[: self.config.fetch.max_bytes], url=entry.as_uri())
                except NotAFeed:
                    yield f"{entry.name}: HTML in a feed file, skipped"
                    continue
                except (FeedError, OSError) as error:
                    self.report.errors.append((job.name, f"{entry.name}: {error}"))
                    continue
                yield from (Candidate(item) for item in feed.items)
            else:
                yield entry

    # --- polling ---------------------------------------------------------------------------

    async def _poll(self, job: _Job) -> _Poll:
        assert self.fetcher is not None
        if job.is_file:
            if not job.trusted:
                return _Poll("failed", error=FetchError("local files (file://) are only allowed for sources in the config file", short="refused"))
            try:
                path = _file_path(job.url)
            except FetchError as error:
                return _Poll("failed", error=error)
            if not path.exists():
                return _Poll("failed", error=FetchError(f"no such file or directory: {path}", short="missing"))
            kind = kind_of(path)
            if kind in ("directory", "page", "text", "jsonl", "warc"):
                stamp = await asyncio.to_thread(signature, path)
                if job.last_modified == stamp:
                    return _Poll("not modified", last_modified=stamp)
                return _Poll("ok", candidates=iter_candidates(path, self.config.fetch.max_bytes), last_modified=stamp)
        try:
            fetched = await self.fetcher.fetch(job.url, etag=job.etag, last_modified=job.last_modified, allow_private=job.trusted, accept="feed")
        except FetchError as error:
            return _Poll("failed", error=error)
        poll = _Poll(
            "not modified" if fetched.status == 304 else "ok", etag=fetched.etag, last_modified=fetched.last_modified,
            max_age=fetched.max_age, moved_to=fetched.moved_to, latency_ms=fetched.elapsed_ms,
        )
        if fetched.status == 304:
            return poll
        try:
            feed = parse_feed(fetched.body, url=fetched.url, content_type=fetched.content_type)
        except NotAFeed as page:
            return self._html_source(job, fetched.url, page.text, poll)
        except FeedError as error:
            poll.status, poll.error = "failed", FetchError(str(error), short=_short(str(error)))
            return poll
        if feed.kind == "sitemap-index":
            feed = await self._sitemap_children(job, feed)
        poll.candidates = [Candidate(item) for item in feed.items]
        poll.notes.extend(feed.notes)
        poll.site_url = feed.site_url
        if not feed.items and feed.notes:
            poll.status, poll.error = "failed", FetchError("; ".join(feed.notes), short="malformed")
        return poll

    def _html_source(self, job: _Job, url: str, html: str, poll: _Poll) -> _Poll:
        """An HTML page where a feed was expected: a single-article source, or a mistake."""
        feeds = discover_feeds(html, url)
        if feeds and not looks_like_article(html):
            poll.status = "failed"
            poll.error = FetchError(f"HTML page served where a feed was expected; the page announces a feed at {feeds[0]}: follow that URL instead", short="not a feed")
            return poll
        poll.candidates = [Candidate(FeedItem(url=url, title=page_title(html)), html=html)]
        poll.notes.append("HTML page: read as a single article")
        return poll

    async def _sitemap_children(self, job: _Job, index: ParsedFeed) -> ParsedFeed:
        assert self.fetcher is not None
        merged = ParsedFeed(kind="sitemap")
        for child in index.children[:MAX_SITEMAPS]:
            try:
                fetched = await self.fetcher.fetch(child, allow_private=job.trusted, accept="feed")
                feed = parse_feed(fetched.body, url=fetched.url, content_type=fetched.content_type)
            except (FetchError, FeedError) as error:
                merged.notes.append(f"sitemap {child}: {error}")
                continue
            merged.items.extend(feed.items)
        if not merged.items and merged.notes:
            raise FeedError("sitemap index: no child sitemap could be read (" + "; ".join(merged.notes)[:500] + ")")
        return merged

    # --- items -----------------------------------------------------------------------------

    async def _handle_chunk(self, job: _Job, chunk: list[Candidate], poll: _Poll | None, items: int) -> None:
        keyed: dict[str, Candidate] = {}
        for candidate in chunk:
            if candidate.error:
                keyed.setdefault("!" + candidate.item.url, candidate)
                continue
            key = item_key(candidate.item.url)
            if key not in keyed and key not in self._claimed:
                keyed[key] = candidate
        self._claimed.update(keyed)
        with session_scope(self.engine) as session:
            keys = [k for k in keyed if not k.startswith("!")]
            stored = set(session.scalars(select(Article.id).where(Article.id.in_(keys)))) if keys else set()
            states = {s.key: s for s in session.scalars(select(FeedItemState).where(FeedItemState.key.in_(keys)))} if keys else {}
        todo: list[tuple[str, Candidate]] = []
        for key, candidate in keyed.items():
            state = states.get(key)
            if key in stored or (state is not None and state.article_id):
                self.report.articles_seen += 1
            elif state is not None and state.attempts >= MAX_ATTEMPTS:
                continue  # reported when it failed; not retried
            else:
                todo.append((key, candidate))
        results = await asyncio.gather(*(self._article(job, key, candidate) for key, candidate in todo))
        with session_scope(self.engine) as session:
            new_items = [
                {"key": key, "source_id": job.id, "url": candidate.item.url[:2000], "attempts": 0, "last_error": "", "first_seen_at": self.now}
                for key, candidate in todo if not key.startswith("!")
            ]
            _insert_new_items(session, new_items)
            if new_items and not job.is_file:  # an archive's items are bounded by the archive
                self._grown.add(job.id)
            failures = 0
            for (key, candidate), (extracted, error, extraction_failed) in zip(todo, results):
                if key.startswith("!"):
                    self.report.errors.append((candidate.item.url, f"{job.name}: {candidate.error}"))
                    failures += 1
                    continue
                state = session.get(FeedItemState, key)
                state.last_attempt_at = self.now
                if extracted is None:
                    state.attempts = (state.attempts or 0) + 1
                    state.last_error = error
                    self.report.errors.append((candidate.item.url, f"{job.name}: {error}"))
                    failures += int(extraction_failed)
                    continue
                if extracted == "seen":
                    state.article_id = error  # the id of the article stored under another route
                    self.report.articles_seen += 1
                    continue
                if save_extracted(session, extracted, outlet=job.name, source_id=job.id, fetched_at=self.now):
                    self.report.articles_new += 1
                else:
                    self.report.articles_seen += 1
                state.article_id = article_id(extracted.url)
                state.last_error = ""
                session.flush()
            if poll is not None:
                self._record_poll(session, job, poll, items=items)
            source = session.get(Source, job.id)
            if source is not None and failures:
                source.extraction_failures = (source.extraction_failures or 0) + failures

    async def _article(self, job: _Job, key: str, candidate: Candidate) -> tuple[Any, str, bool]:
        """(Extracted, "", False) when stored-to-be; ("seen", article id, False) when the page's
        canonical URL is already stored; (None, reason, extraction_failed) on failure."""
        if candidate.error:
            return None, candidate.error, True
        item = candidate.item
        html, url = candidate.html, item.url
        if html is None and not job.fetch_full_page:
            html = item.content_html or item.summary
            if not html.strip():
                return None, "the feed carries no content for this item (and fetch_full_page is off)", True
        if html is None:
            fetched = await self._fetch_page(job, url)
            if isinstance(fetched, str):
                return None, fetched, False
            html, url = fetched
        canonical = canonical_url(url, page_canonical(html) if candidate.html is not None or job.fetch_full_page else "")
        final_key = article_id(canonical)
        if final_key != key:
            with session_scope(self.engine) as session:
                if session.get(Article, final_key) is not None:
                    return "seen", final_key, False
            if final_key in self._claimed:
                return "seen", final_key, False
            self._claimed.add(final_key)
        loop = asyncio.get_running_loop()

        def extract() -> Any:
            page = select_body(html, job.selector) if job.selector else html
            return extract_page(page, canonical, title=item.title, published=item.published, language=job.language)

        try:
            extracted = await loop.run_in_executor(self._extractors, extract)
        except ExtractionError as error:
            return None, str(error), True
        except Exception as error:  # the extractor on hostile HTML
            return None, f"extraction failed: {type(error).__name__}: {error}", True
        return dataclasses.replace(extracted, url=canonical), "", False

    async def _fetch_page(self, job: _Job, url: str) -> tuple[str, str] | str:
        assert self.fetcher is not None
        scheme = urlsplit(url).scheme.lower()
        if scheme == "file" and not (job.is_file and job.trusted):
            return "refused: a local file (file://) linked from a remote feed"
        if scheme not in ("http", "https", "file"):
            return f"refused: scheme {scheme or '(none)'!r} (only http and https)"
        if not await self.fetcher.allowed(url, allow_private=job.trusted):
            return "disallowed by the site's robots.txt"
        try:
            fetched = await self.fetcher.fetch(url, allow_private=job.trusted, accept="page")
        except FetchError as error:
            return error.reason
        text, _ = decode(fetched.body, fetched.content_type)
        return text, fetched.url

    # --- health ----------------------------------------------------------------------------

    def _health(self, job: _Job, poll: _Poll, *, items: int) -> None:
        """Record a poll that stored nothing. Usual outcomes are queued and written in batches
        (one statement for many sources); moves and 410s take the detailed path."""
        if poll.moved_to or (poll.error is not None and poll.error.gone):
            with session_scope(self.engine) as session:
                self._record_poll(session, job, poll, items=items)
            return
        fetch = self.config.fetch
        if poll.status == "failed":
            error = poll.error or FetchError("failed")
            failures = job.consecutive_failures + 1
            delay = backoff(job.poll_interval, failures, fetch.max_backoff)
            if error.retry_after is not None:
                delay = max(delay, min(error.retry_after, fetch.max_backoff))
            self._failed.append({
                "sid": job.id, "lat": poll.latency_ms, "failures": failures, "error": error.reason[:5000],
                "status": error.short[:100], "next": self.now + timedelta(seconds=delay),
            })
        else:
            interval = float(job.poll_interval)
            if poll.max_age:
                interval = max(interval, min(poll.max_age, fetch.max_cache_age))
            modified = poll.status == "ok"
            self._succeeded.append({
                "sid": job.id, "lat": poll.latency_ms, "note": "; ".join(poll.notes)[:2000], "status": poll.status,
                "nm": 0 if modified else 1, "items": items, "etag": (poll.etag if modified else poll.etag or job.etag)[:500],
                "lm": (poll.last_modified if modified else poll.last_modified or job.last_modified)[:200],
                "next": self.now + timedelta(seconds=interval), "site": poll.site_url[:2000],
            })
        if len(self._succeeded) + len(self._failed) >= HEALTH_BATCH:
            self.flush_health()

    def flush_health(self) -> None:
        if not self._succeeded and not self._failed:
            return
        with session_scope(self.engine) as session:
            if self._succeeded:
                session.connection().execute(_SUCCESS_UPDATE, [dict(row, now=self.now) for row in self._succeeded])
            if self._failed:
                session.connection().execute(_FAILURE_UPDATE, [dict(row, now=self.now) for row in self._failed])
        self._succeeded, self._failed = [], []

    def _record_poll(self, session, job: _Job, poll: _Poll, *, items: int) -> None:
        source = session.get(Source, job.id)
        if source is None:  # removed while we polled
            return
        fetch = self.config.fetch
        source.polls = (source.polls or 0) + 1
        source.last_polled_at = self.now
        source.total_latency_ms = (source.total_latency_ms or 0.0) + poll.latency_ms
        if poll.status == "failed":
            error = poll.error or FetchError("failed")
            failures = (source.consecutive_failures or 0) + 1
            source.consecutive_failures = failures
            source.last_error = error.reason
            if error.gone:
                source.enabled = False
                source.last_status = "gone"
                source.last_error = error.reason + "; source disabled"
                return
            source.last_status = error.short
            delay = backoff(source.poll_interval or 900, failures, fetch.max_backoff)
            if error.retry_after is not None:
                delay = max(delay, min(error.retry_after, fetch.max_backoff))
            source.next_poll_at = self.now + timedelta(seconds=delay)
            return
        source.consecutive_failures = 0
        source.last_success_at = self.now
        source.last_error = "; ".join(poll.notes)[:2000]
        if poll.status == "not modified":
            source.last_status = "not modified"
            source.not_modified = (source.not_modified or 0) + 1
        else:
            source.last_status = "ok"
            source.items_seen = (source.items_seen or 0) + items
            source.etag = poll.etag[:500]
            source.last_modified = poll.last_modified[:200]
        if poll.status == "not modified" and poll.etag:
            source.etag = poll.etag[:500]
        if poll.site_url and not source.site_url:
            source.site_url = poll.site_url[:2000]
        interval = float(source.poll_interval or 900)
        if poll.max_age:
            interval = max(interval, min(poll.max_age, fetch.max_cache_age))
        source.next_poll_at = self.now + timedelta(seconds=interval)
        if poll.moved_to and poll.moved_to != source.url:
            taken = session.scalar(select(Source.id).where(Source.url == poll.moved_to, Source.id != source.id))
            if taken is None:
                note = f"moved permanently from {source.url}"
                source.url = poll.moved_to[:2000]
                source.last_error = (note + ("; " + source.last_error if source.last_error else ""))[:2000]
            else:
                source.last_error = f"moved permanently to {poll.moved_to}, which another source already follows"


def _insert_new_items(session, rows: list[dict[str, Any]]) -> None:
    """Add feed_items rows, leaving alone those already there: two runs at once (cron and the
    web desk's "fetch now") may both meet a new item, and the second insert must not fail."""
    if not rows:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(FeedItemState.__table__).on_conflict_do_nothing(index_elements=["key"]), rows)


@functools.lru_cache(maxsize=16_384)
def item_key(url: str) -> str:
    """The store key of a feed item's link (cached: feeds repeat their items poll after poll)."""
    return article_id(canonical_url(url))


def backoff(interval: int, failures: int, cap: int) -> float:
    """Exponential backoff with jitter: about interval × 2^(failures-1), capped, randomised
    between half and all of it so failing sources do not retry in lockstep."""
    base = min(float(cap), float(interval) * (2 ** min(failures - 1, 20)))
    return base / 2 + random.uniform(0, base / 2)


def _short(message: str) -> str:
    lowered = message.lower()
    if lowered.startswith("refused"):
        return "refused"
    if lowered.startswith("malformed"):
        return "malformed"
    if lowered.startswith("not a feed") or "html page" in lowered:
        return "not a feed"
    return "failed"


@dataclass
class FoundFeed:
    url: str  # what to follow: the feed, or the URL itself (a feed, a sitemap or an article page)
    title: str = ""
    kind: str = ""  # rss, atom, json, sitemap, sitemap-index, page
    announced: tuple[str, ...] = ()  # every feed the page announced


def find_feed(url: str, config: Config, *, allow_private: bool | None = None) -> FoundFeed:
    """Auto-discovery for adding a source: fetch `url`; a feed is followed as is, a home page
    by the first feed it announces (`<link rel=alternate>`), an article page as a single
    article. Untrusted callers (the web app) pass `allow_private=False`. Raises FetchError,
    FeedError or safety.UnsafeURL with a message for people."""
    from entrelignes.ingest.safety import check_destination

    trusted = config.fetch.allow_private if allow_private is None else allow_private
    check_destination(url, allow_private=trusted)
    return asyncio.run(_find_feed(url, config, trusted))


async def _find_feed(url: str, config: Config, trusted: bool) -> FoundFeed:
    async with Fetcher(config.fetch) as fetcher:
        fetched = await fetcher.fetch(url, allow_private=trusted, accept="feed")
        try:
            feed = parse_feed(fetched.body, url=fetched.url, content_type=fetched.content_type)
        except NotAFeed as page:
            feeds = tuple(discover_feeds(page.text, fetched.url))
            if feeds and not looks_like_article(page.text):
                first = await fetcher.fetch(feeds[0], allow_private=trusted, accept="feed")
                feed = parse_feed(first.body, url=first.url, content_type=first.content_type)
                return FoundFeed(url=first.moved_to or feeds[0], title=feed.title or page_title(page.text), kind=feed.kind, announced=feeds)
            return FoundFeed(url=fetched.moved_to or url, title=page_title(page.text), kind="page", announced=feeds)
        return FoundFeed(url=fetched.moved_to or url, title=feed.title, kind=feed.kind)

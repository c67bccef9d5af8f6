"""The one HTTP client: polite, conditional, bounded and safe.

`Fetcher.fetch` returns a `Fetched` (200 or 304) or raises `FetchError` whose message says
plainly what went wrong ("connection refused", "HTTP 503 Service Unavailable, retry after
120 s", "body larger than 10000000 bytes after decompression"). Guarantees:

- concurrency: at most `concurrency` requests in flight, `per_host` per host, and
  `per_host_delay` seconds between the starts of two requests to one host (or the host's
  robots.txt Crawl-delay when longer, up to 30 s);
- time: `timeout` for connecting and between two reads, `total_timeout` for a whole response
  (a server dripping one byte a second is cut off);
- size: Content-Length checked first, then the body counted while streaming, compressed and
  decompressed (we decompress ourselves, in bounded steps, so a gzip or brotli bomb stops at
  `max_bytes`); a truncated compressed stream is an error, not a silently short document;
- redirects followed by hand, at most `max_redirects`, loops named; when every hop was
  permanent (301/308) the new URL is reported so the caller can update what it stores;
- safety: for untrusted requests (`allow_private=False`) every hop is checked
  (`safety.check_destination`) and the address actually dialled is checked again at connect
  time (by the transport, `transport.H11Transport`), so a DNS answer that changes in between
  cannot reach a private address;
- connections kept alive per host and reused (`transport.H11Transport`, HTTP/1.1 over h11);
- robots.txt honoured for page fetches (`allowed`), cached per origin for the fetcher's life.
"""

from __future__ import annotations

import asyncio
import email.utils
import re
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import url2pathname
from urllib.robotparser import RobotFileParser

import httpx

from entrelignes.config import FetchConfig
from entrelignes.ingest.safety import UnsafeURL, check_scheme_and_host
from entrelignes.ingest.transport import ALLOW_PRIVATE, H11Transport

Accept = Literal["feed", "page", "any"]

_ACCEPT_HEADERS = {
    "feed": "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, text/html;q=0.5, */*;q=0.1",
    "page": "text/html, application/xhtml+xml;q=0.9, text/plain;q=0.5, */*;q=0.1",
    "any": "*/*",
}
_NOT_DOCUMENTS = ("image/", "audio/", "video/", "font/", "model/", "multipart/")
_NOT_DOCUMENT_TYPES = {
    "application/pdf", "application/zip", "application/x-zip-compressed", "application/msword", "application/x-tar",
    "application/vnd.ms-excel", "application/x-7z-compressed", "application/x-rar-compressed", "application/wasm",
    "application/x-shockwave-flash", "application/javascript", "text/javascript", "text/css",
}
_PAGE_TYPES = {"text/html", "application/xhtml+xml", "text/plain", "application/xml", "text/xml", ""}
_REDIRECTS = {301: True, 302: False, 303: False, 307: False, 308: True}
# A GET's empty body, given to httpx.Request: with a body of its own a request is built without
# httpx encoding one and preparing its headers (a third of its cost); the Host is set here.
_NO_BODY = httpx.ByteStream(b"")
# Idle connections kept: enough for a poll's hosts to find theirs again after the politeness
# delay (a site's several feeds, a feed's pages), far below the usual 1,024 open files.
_IDLE_CONNECTIONS = 256


def idle_connections(config: FetchConfig) -> int:
    """How many idle connections a fetcher keeps: the runner spreads a poll's hosts to match."""
    return max(_IDLE_CONNECTIONS, config.concurrency)


class FetchError(Exception):
    """A fetch that failed. `reason` is for people; `status` is the HTTP status (0 when none),
    `retry_after` the server's requested delay in seconds, `gone` true for 410."""

    def __init__(self, reason: str, *, status: int = 0, retry_after: float | None = None, gone: bool = False, short: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after
        self.gone = gone
        self.short = short or (f"HTTP {status}" if status else "failed")


@dataclass
class Fetched:
    url: str  # where the body came from, after redirects
    status: int  # 200 (any 2xx) or 304
    body: bytes = b""  # decompressed
    content_type: str = ""
    etag: str = ""
    last_modified: str = ""
    max_age: float | None = None  # Cache-Control max-age (or Expires), seconds
    moved_to: str = ""  # new URL when every redirect was permanent
    elapsed_ms: float = 0.0


# --- decompression in bounded steps -------------------------------------------------------


class _TooLarge(Exception):
    pass


class _Decoder:
    """Content-Encoding decoding that never produces more than `limit` bytes in total."""

    def __init__(self, encoding: str, limit: int) -> None:
        codings = [c.strip().lower() for c in encoding.split(",") if c.strip() and c.strip().lower() != "identity"]
        if len(codings) > 1:
            raise FetchError(f"unsupported content encoding {encoding!r} (stacked encodings)", short="bad encoding")
        self.coding = codings[0] if codings else ""
        if self.coding in ("x-gzip",):
            self.coding = "gzip"
        if self.coding not in ("", "gzip", "deflate", "br"):
            raise FetchError(f"unsupported content encoding {self.coding!r}", short="bad encoding")
        self.limit = limit
        self.produced = 0
        self._zlib = zlib.decompressobj(wbits=47) if self.coding == "gzip" else None
        self._brotli = None
        self._first = True
        if self.coding == "br":
            import brotli

            self._brotli = brotli.Decompressor()

    def _count(self, data: bytes) -> bytes:
        self.produced += len(data)
        if self.produced > self.limit:
            raise _TooLarge
        return data

    def feed(self, chunk: bytes) -> bytes:
        if not self.coding:
            return self._count(chunk)
        if self.coding == "deflate" and self._first:
            # "deflate" is meant to be zlib-wrapped; some servers send it raw
            self._zlib = zlib.decompressobj(wbits=15 if chunk[:1] == b"\x78" else -15)
        self._first = False
        if self._zlib is not None:
            return self._feed_zlib(chunk)
        return self._feed_brotli(chunk)

    def _feed_zlib(self, chunk: bytes) -> bytes:
        out = []
        data = chunk
        try:
            while data and not self._zlib.eof:
                room = self.limit - self.produced + 1
                out.append(self._count(self._zlib.decompress(data, room)))
                data = self._zlib.unconsumed_tail
        except zlib.error as error:
            raise FetchError(f"corrupt {self.coding} body: {error}", short="bad encoding") from None
        return b"".join(out)

    def _feed_brotli(self, chunk: bytes) -> bytes:
        import brotli

        out = []
        room = self.limit - self.produced + 1
        try:
            try:
                out.append(self._count(self._brotli.process(chunk, output_buffer_limit=room)))
                while not self._brotli.can_accept_more_data():
                    room = self.limit - self.produced + 1
                    out.append(self._count(self._brotli.process(b"", output_buffer_limit=room)))
            except TypeError:  # brotli < 1.2: no output limit, so feed small slices
                for start in range(0, len(chunk), 256):
                    out.append(self._count(self._brotli.process(chunk[start : start + 256])))
        except brotli.error as error:
            raise FetchError(f"corrupt brotli body: {error}", short="bad encoding") from None
        return b"".join(out)

    def finish(self) -> None:
        if self.coding in ("gzip", "deflate") and self._zlib is not None and not self._first and not self._zlib.eof:
            raise FetchError(f"truncated {self.coding} body: the compressed stream ends early", short="truncated")
        if self.coding == "br" and self._brotli is not None and not self._first and not self._brotli.is_finished():
            raise FetchError("truncated brotli body: the compressed stream ends early", short="truncated")


# --- helpers ------------------------------------------------------------------------------


def parse_retry_after(value: str, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date)."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


_NO_CACHE = re.compile(r"(?:^|,)\s*(?:no-cache|no-store)\b", re.IGNORECASE)
_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-maxage|max-age)\s*=\s*\"?(\d+)", re.IGNORECASE)


def parse_max_age(headers: Mapping[str, str]) -> float | None:
    """Seconds the response may be cached, from headers keyed by lower-case name."""
    control = headers.get("cache-control", "")
    if control and _NO_CACHE.search(control):
        return 0.0
    match = _MAX_AGE.search(control)
    if match:
        return float(match.group(1))
    expires = headers.get("expires")
    if expires:
        seconds = parse_retry_after(expires)
        return seconds
    return None


def _mime(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _check_content_type(content_type: str, accept: Accept) -> None:
    mime = _mime(content_type)
    if accept == "any":
        return
    if mime.startswith(_NOT_DOCUMENTS) or mime in _NOT_DOCUMENT_TYPES:
        what = "a feed" if accept == "feed" else "a web page"
        raise FetchError(f"not {what}: content type {mime}", short="wrong type")
    if accept == "page" and mime not in _PAGE_TYPES and not mime.endswith("+xml") and mime != "application/octet-stream":
        raise FetchError(f"not a web page: content type {mime}", short="wrong type")


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _describe_transport_error(error: Exception, timeout: float) -> tuple[str, str]:
    chain = _chain(error)
    text = str(error) or type(error).__name__
    lowered = " | ".join(str(e).lower() for e in chain)
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return "connection refused", "refused"
    if isinstance(error, httpx.ConnectTimeout):
        return f"connection timed out after {timeout:g} s", "timeout"
    if isinstance(error, (httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout)):
        return f"timed out: no data from the server for {timeout:g} s", "timeout"
    if isinstance(error, httpx.ConnectError):
        if "refused" in lowered:
            return "connection refused", "refused"
        if "resolve" in lowered or "name or service" in lowered or "nodename" in lowered or "getaddrinfo" in lowered:
            return f"could not resolve host ({text})", "dns"
        if "ssl" in lowered or "certificate" in lowered:
            return f"TLS error: {text}", "tls"
        return f"could not connect: {text}", "connect"
    if isinstance(error, httpx.RemoteProtocolError):
        if "peer closed" in lowered or "incomplete" in lowered or "without sending" in lowered:
            return "the server closed the connection before the end of the response", "truncated"
        return f"HTTP protocol error: {text}", "protocol"
    if isinstance(error, httpx.ReadError):
        return f"connection lost while reading: {text}", "connection"
    return f"{type(error).__name__}: {text}", "failed"


def _http_error(status: int, response: httpx.Response) -> FetchError:
    phrase = response.reason_phrase or ""
    label = f"HTTP {status}" + (f" {phrase}" if phrase else "")
    retry_after = parse_retry_after(response.headers.get("retry-after", ""))
    if status == 410:
        return FetchError(f"gone ({label}): the source says it was removed for good", status=status, gone=True, short="gone")
    if status == 429:
        wait = f", retry after {retry_after:.0f} s" if retry_after is not None else ""
        return FetchError(f"rate limited ({label}{wait})", status=status, retry_after=retry_after, short="HTTP 429")
    if retry_after is not None:
        return FetchError(f"{label}, retry after {retry_after:.0f} s", status=status, retry_after=retry_after)
    return FetchError(label, status=status)


def _file_path(url: str) -> Path:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise FetchError(f"file URL on another machine: {url}", short="bad URL")
    return Path(url2pathname(unquote(parts.path)))


# --- the fetcher --------------------------------------------------------------------------


class _Host:
    __slots__ = ("gate", "next_start", "delay")

    def __init__(self, per_host: int, delay: float) -> None:
        self.gate = asyncio.Semaphore(per_host)
        self.next_start = 0.0
        self.delay = delay


class Fetcher:
    """Use as `async with Fetcher(config.fetch) as fetcher: ...` inside one event loop."""

    def __init__(self, config: FetchConfig, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.config = config
        self._given_transport = transport
        self._transport: httpx.AsyncBaseTransport | None = None
        self._slots = asyncio.Semaphore(max(1, config.concurrency))
        self._hosts: dict[str, _Host] = {}
        self._robots: dict[str, RobotFileParser | bool] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self.robots_agent = config.user_agent.split("/", 1)[0].strip() or "*"
        self._timeouts = {"connect": config.timeout, "read": config.timeout, "write": config.timeout}
        self._headers = {"User-Agent": config.user_agent, "Accept-Encoding": "gzip, deflate, br"}

    # httpx's transport is used directly: redirects are followed here (each hop checked), and
    # the client layer's cookie jar would carry state from one source to the next. Any httpx
    # transport may be given (tests use httpx.MockTransport); ours is the default.
    async def __aenter__(self) -> Fetcher:
        self._transport = self._given_transport or H11Transport(max_idle=idle_connections(self.config))
        return self

    async def __aexit__(self, *exc) -> None:
        if self._transport is not None:
            await self._transport.aclose()
            self._transport = None

    def _host(self, netloc: str) -> _Host:
        host = self._hosts.get(netloc)
        if host is None:
            host = self._hosts[netloc] = _Host(max(1, self.config.per_host), max(0.0, self.config.per_host_delay))
        return host

    async def fetch(
        self,
        url: str,
        *,
        etag: str = "",
        last_modified: str = "",
        allow_private: bool = True,
        accept: Accept = "feed",
        max_bytes: int | None = None,
    ) -> Fetched:
        """GET `url` (conditionally when `etag`/`last_modified` are given)."""
        limit = max_bytes or self.config.max_bytes
        started = time.perf_counter()
        if url.lower().startswith("file:"):
            if not allow_private:
                raise FetchError("local files (file://) are only allowed for sources in the config file", short="refused")
            return await self._fetch_file(url, last_modified, limit, started)
        seen: list[str] = [url]
        permanent = True
        current = url
        for _ in range(self.config.max_redirects + 1):
            try:
                check_scheme_and_host(current, allow_private)
            except UnsafeURL as error:
                raise FetchError(str(error), short="refused") from None
            response_or_location = await self._one(current, etag, last_modified, allow_private, accept, limit)
            if isinstance(response_or_location, Fetched):
                fetched = response_or_location
                fetched.elapsed_ms = (time.perf_counter() - started) * 1000
                if len(seen) > 1 and permanent:
                    fetched.moved_to = current
                return fetched
            location, is_permanent = response_or_location
            permanent = permanent and is_permanent
            if urlsplit(location).scheme.lower() not in ("http", "https"):
                raise FetchError(f"refused: redirect to a non-web address ({location[:200]})", short="refused")
            if location in seen:
                chain = " -> ".join(seen + [location])
                raise FetchError(f"redirect loop: {chain}", short="redirect loop")
            seen.append(location)
            current = location
        raise FetchError(f"too many redirects (more than {self.config.max_redirects}): {' -> '.join(seen[:4])} ...", short="redirects")

    async def _one(self, url, etag, last_modified, allow_private, accept, limit) -> Fetched | tuple[str, bool]:
        host = self._host(urlsplit(url).netloc.lower())
        async with host.gate:
            now = time.monotonic()
            wait = host.next_start - now
            host.next_start = max(now, host.next_start) + host.delay
            if wait > 0:
                await asyncio.sleep(wait)
            async with self._slots:
                try:
                    async with asyncio.timeout(self.config.total_timeout):
                        return await self._request(url, etag, last_modified, allow_private, accept, limit)
                except TimeoutError:
                    raise FetchError(
                        f"too slow: the response was not complete after {self.config.total_timeout:g} s", short="timeout"
                    ) from None
                except UnsafeURL as error:
                    raise FetchError(str(error), short="refused") from None
                except (httpx.InvalidURL, httpx.UnsupportedProtocol) as error:
                    raise FetchError(f"invalid URL: {error}", short="bad URL") from None
                except httpx.TransportError as error:
                    reason, short = _describe_transport_error(error, self.config.timeout)
                    raise FetchError(reason, short=short) from None

    async def _request(self, url, etag, last_modified, allow_private, accept, limit) -> Fetched | tuple[str, bool]:
        headers = {"Accept": _ACCEPT_HEADERS[accept]}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        assert self._transport is not None, "use the Fetcher as an async context manager"
        headers.update(self._headers)
        target = httpx.URL(url)
        headers["Host"] = target.netloc.decode("ascii")
        request = httpx.Request("GET", target, headers=headers, stream=_NO_BODY, extensions={"timeout": self._timeouts, ALLOW_PRIVATE: allow_private})
        response = await self._transport.handle_async_request(request)
        response.request = request
        try:
            return await self._read(url, response, accept, limit, etag, last_modified)
        finally:
            await response.aclose()

    async def _read(self, url, response: httpx.Response, accept, limit, etag, last_modified) -> Fetched | tuple[str, bool]:
        status = response.status_code
        if status in _REDIRECTS:
            location = response.headers.get("location", "").strip()
            if not location:
                raise FetchError(f"HTTP {status} redirect without a Location header", status=status, short="bad redirect")
            return urljoin(url, location), _REDIRECTS[status]
        if status == 304:  # no body, no content type: only the validators and the cache age
            fields = dict(response.headers.items())  # one pass over the headers, names in lower case
            return Fetched(url=url, status=304, etag=fields.get("etag", etag), last_modified=fields.get("last-modified", last_modified),
                           max_age=parse_max_age(fields))
        if not 200 <= status < 300:
            raise _http_error(status, response)
        content_type = response.headers.get("content-type", "")
        _check_content_type(content_type, accept)
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(f"body too large: Content-Length {int(declared)} bytes > limit {limit}", short="too large")
        decoder = _Decoder(response.headers.get("content-encoding", ""), limit)
        chunks: list[bytes] = []
        received = 0
        try:
            async for chunk in response.aiter_raw():
                received += len(chunk)
                if received > limit:
                    raise FetchError(f"body larger than {limit} bytes (the server kept sending)", short="too large")
                chunks.append(decoder.feed(chunk))
            decoder.finish()
        except _TooLarge:
            what = "after decompression (compression bomb?)" if decoder.coding else "(the server kept sending)"
            raise FetchError(f"body larger than {limit} bytes {what}", short="too large") from None
        return Fetched(
            url=url, status=200, body=b"".join(chunks), content_type=content_type,
            etag=response.headers.get("etag", ""), last_modified=response.headers.get("last-modified", ""),
            max_age=parse_max_age(response.headers),
        )

    async def _fetch_file(self, url: str, last_modified: str, limit: int, started: float) -> Fetched:
        path = _file_path(url)
        try:
            stat = path.stat()
        except OSError as error:
            raise FetchError(f"cannot read {path}: {error.strerror or error}", short="missing") from None
        if path.is_dir():
            raise FetchError(f"{path} is a directory", short="bad URL")
        stamp = str(stat.st_mtime_ns)
        if last_modified and last_modified == stamp:
            return Fetched(url=url, status=304, last_modified=stamp, elapsed_ms=(time.perf_counter() - started) * 1000)
        if stat.st_size > limit:
            raise FetchError(f"file too large: {stat.st_size} bytes > limit {limit}", short="too large")
        body = await asyncio.to_thread(path.read_bytes)
        return Fetched(url=url, status=200, body=body, last_modified=stamp, elapsed_ms=(time.perf_counter() - started) * 1000)

    # --- robots.txt -----------------------------------------------------------------------

    async def allowed(self, url: str, *, allow_private: bool = True) -> bool:
        """May we fetch this page, by its site's robots.txt? (Always true for file:// and when
        robots are not honoured.) A missing robots.txt (4xx) allows all; an unreachable one
        (5xx, timeout) disallows all for this run, as the robots.txt standard asks."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not self.config.respect_robots:
            return True
        origin = f"{parts.scheme}://{parts.netloc.lower()}"
        lock = self._robots_locks.setdefault(origin, asyncio.Lock())
        async with lock:
            if origin not in self._robots:
                self._robots[origin] = await self._load_robots(origin, allow_private)
        rules = self._robots[origin]
        if isinstance(rules, bool):
            return rules
        return rules.can_fetch(self.robots_agent, url)

    async def _load_robots(self, origin: str, allow_private: bool) -> RobotFileParser | bool:
        try:
            fetched = await self.fetch(origin + "/robots.txt", allow_private=allow_private, accept="any", max_bytes=500_000)
        except FetchError as error:
            if 400 <= error.status < 500:
                return True
            return False
        parser = RobotFileParser()
        parser.parse(fetched.body.decode("utf-8", "replace").splitlines())
        delay = parser.crawl_delay(self.robots_agent)
        if delay:
            host = self._host(urlsplit(origin).netloc.lower())
            host.delay = max(host.delay, min(float(delay), 30.0))
        return parser


def now_utc() -> datetime:
    return datetime.now(timezone.utc)

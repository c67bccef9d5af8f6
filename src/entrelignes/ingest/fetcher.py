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
  time, so a DNS answer that changes in between cannot reach a private address;
- robots.txt honoured for page fetches (`allowed`), cached per origin for the fetcher's life.
"""

from __future__ import annotations

import asyncio
import contextvars
import email.utils
import re
import socket
import time
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import url2pathname
from urllib.robotparser import RobotFileParser

import httpcore
import httpx

from entrelignes.config import FetchConfig
from entrelignes.ingest.safety import UnsafeURL, check_addresses, check_scheme_and_host

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


# --- where a connection may go ------------------------------------------------------------

_allow_private: contextvars.ContextVar[bool] = contextvars.ContextVar("allow_private", default=False)


class _AsyncioStream(httpcore.AsyncNetworkStream):
    """httpcore's network stream on plain asyncio streams. httpcore's default (anyio) backend
    builds cancel scopes and attribute tables on every read and pool check, which made it most
    of the CPU spent per request; this one does the same job with asyncio's own primitives."""

    __slots__ = ("_reader", "_writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)
        except TimeoutError:
            raise httpcore.ReadTimeout(f"no data for {timeout} s") from None
        except OSError as error:
            raise httpcore.ReadError(str(error) or type(error).__name__) from error

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            self._writer.write(buffer)
            async with asyncio.timeout(timeout):
                await self._writer.drain()
        except TimeoutError:
            raise httpcore.WriteTimeout(f"could not send for {timeout} s") from None
        except OSError as error:
            raise httpcore.WriteError(str(error) or type(error).__name__) from error

    async def aclose(self) -> None:
        self._writer.close()

    async def start_tls(self, ssl_context, server_hostname=None, timeout=None) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError:
            self._writer.close()
            raise httpcore.ConnectTimeout(f"TLS handshake not done after {timeout} s") from None
        except (OSError, ValueError) as error:  # ssl.SSLError is an OSError
            self._writer.close()
            raise httpcore.ConnectError(str(error) or type(error).__name__) from error
        return self

    def get_extra_info(self, info: str):
        if info == "is_readable":  # asked of idle connections: did the server close or speak?
            return self._reader.at_eof() or self._writer.transport.is_closing() or bool(getattr(self._reader, "_buffer", b""))
        key = {"client_addr": "sockname", "server_addr": "peername"}.get(info, info)
        return self._writer.get_extra_info(key)


class _AsyncioBackend(httpcore.AsyncNetworkBackend):
    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(host, port, local_addr=(local_address, 0) if local_address else None)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"connection to {host} timed out after {timeout} s") from None
        except OSError as error:
            raise httpcore.ConnectError(str(error) or type(error).__name__) from error
        sock = writer.get_extra_info("socket")
        for option in socket_options or ():
            if sock is not None:
                sock.setsockopt(*option)
        return _AsyncioStream(reader, writer)

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):  # pragma: no cover
        raise httpcore.ConnectError("unix sockets are not used")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves the host itself and refuses non-public addresses for untrusted requests, then
    connects to the checked address (TLS still verifies the host name)."""

    def __init__(self) -> None:
        self._inner = _AsyncioBackend()

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        if _allow_private.get():
            return await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout)
        except (socket.gaierror, UnicodeError) as error:
            raise httpcore.ConnectError(f"could not resolve host {host}: {error}") from None
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
        check_addresses(host, addresses)  # raises UnsafeURL
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                last = error
        raise last or httpcore.ConnectError(f"could not connect to {host}")

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):  # pragma: no cover
        raise httpcore.ConnectError("unix sockets are not used")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _pool_transport(connections: int, ssl_context) -> httpx.AsyncHTTPTransport:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=30)
    transport = httpx.AsyncHTTPTransport(verify=ssl_context, limits=limits, trust_env=False, retries=0)
    pool = getattr(transport, "_pool", None)
    if pool is not None and hasattr(pool, "_network_backend"):
        pool._network_backend = _GuardedBackend()
    return transport


class _ShardedTransport(httpx.AsyncBaseTransport):
    """httpcore's connection pool does work quadratic in its number of connections on every
    request (it scans them all, and for each idle one counts the idle ones), which dominated
    CPU time at a concurrency of 100. Many small pools keep that cost flat. A request goes to
    the pool given by its host and its lane (the how-many-th concurrent request to that host
    it is): one after the other, a host's requests use the same pool, so its keep-alive
    connection is reused; at the same time, they spread over neighbouring pools."""

    SHARD_SIZE = 2

    def __init__(self, connections: int) -> None:
        count = max(1, -(-connections // self.SHARD_SIZE))
        self.size = max(1, -(-connections // count))
        ssl_context = httpx.create_ssl_context(trust_env=False)  # loading the CA bundle once
        self._shards = [_pool_transport(self.size, ssl_context) for _ in range(count)]
        self.in_flight = [0] * count
        self._next = 0

    def pick(self, key: int) -> int:
        """The pool for `key`, or the next one with a free connection: a request never waits
        behind a slow one while another pool is idle."""
        count = len(self._shards)
        start = key % count
        for step in range(count):
            index = (start + step) % count
            if self.in_flight[index] < self.size:
                return index
        return start

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = request.extensions.get("entrelignes.shard")
        if index is None:
            index = self._next % len(self._shards)
            self._next += 1
        return await self._shards[index % len(self._shards)].handle_async_request(request)

    async def aclose(self) -> None:
        for shard in self._shards:
            await shard.aclose()


def _transport(config: FetchConfig) -> httpx.AsyncBaseTransport:
    return _ShardedTransport(max(1, config.concurrency))


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


def parse_max_age(headers: httpx.Headers) -> float | None:
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


async def _drain(response: httpx.Response, limit: int = 65_536) -> None:
    """Read a response's (empty or tiny) body so its connection can be reused."""
    received = 0
    async for chunk in response.aiter_raw():
        received += len(chunk)
        if received > limit:
            break


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
    __slots__ = ("gate", "next_start", "delay", "lanes", "seed")

    def __init__(self, netloc: str, per_host: int, delay: float) -> None:
        self.gate = asyncio.Semaphore(per_host)
        self.next_start = 0.0
        self.delay = delay
        self.lanes: set[int] = set()  # lanes of the requests in flight to this host
        self.seed = zlib.crc32(netloc.encode("utf-8", "replace"))

    def take_lane(self) -> int:
        lane = 0
        while lane in self.lanes:
            lane += 1
        self.lanes.add(lane)
        return lane


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
        self._timeouts = {"connect": config.timeout, "read": config.timeout, "write": config.timeout, "pool": None}
        self._headers = {"User-Agent": config.user_agent, "Accept-Encoding": "gzip, deflate, br"}

    # httpx's transport is used directly: redirects are followed here (each hop checked), and
    # the client layer's cookie jar would carry state from one source to the next.
    async def __aenter__(self) -> Fetcher:
        self._transport = self._given_transport or _transport(self.config)
        return self

    async def __aexit__(self, *exc) -> None:
        if self._transport is not None:
            await self._transport.aclose()
            self._transport = None

    def _host(self, netloc: str) -> _Host:
        host = self._hosts.get(netloc)
        if host is None:
            host = self._hosts[netloc] = _Host(netloc, max(1, self.config.per_host), max(0.0, self.config.per_host_delay))
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
        netloc = urlsplit(url).netloc.lower()
        host = self._host(netloc)
        async with host.gate:
            now = time.monotonic()
            wait = host.next_start - now
            host.next_start = max(now, host.next_start) + host.delay
            if wait > 0:
                await asyncio.sleep(wait)
            async with self._slots:
                token = _allow_private.set(allow_private)
                lane = host.take_lane()
                try:
                    async with asyncio.timeout(self.config.total_timeout):
                        return await self._request(url, etag, last_modified, accept, limit, host.seed + lane)
                except TimeoutError:
                    raise FetchError(
                        f"too slow: the response was not complete after {self.config.total_timeout:g} s", short="timeout"
                    ) from None
                except UnsafeURL as error:
                    raise FetchError(str(error), short="refused") from None
                except (httpx.InvalidURL, httpx.UnsupportedProtocol) as error:
                    raise FetchError(f"invalid URL: {error}", short="bad URL") from None
                except httpx.TransportError as error:
                    if isinstance(error.__cause__, UnsafeURL) or isinstance(error.__context__, UnsafeURL):
                        raise FetchError(str(error.__cause__ or error.__context__), short="refused") from None
                    reason, short = _describe_transport_error(error, self.config.timeout)
                    raise FetchError(reason, short=short) from None
                finally:
                    host.lanes.discard(lane)
                    _allow_private.reset(token)

    async def _request(self, url, etag, last_modified, accept, limit, shard: int) -> Fetched | tuple[str, bool]:
        headers = {"Accept": _ACCEPT_HEADERS[accept]}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        assert self._transport is not None, "use the Fetcher as an async context manager"
        headers.update(self._headers)
        sharded = self._transport if isinstance(self._transport, _ShardedTransport) else None
        index = sharded.pick(shard) if sharded else shard
        request = httpx.Request("GET", url, headers=headers, extensions={"timeout": self._timeouts, "entrelignes.shard": index})
        if sharded:
            sharded.in_flight[index] += 1
        try:
            response = await self._transport.handle_async_request(request)
            response.request = request
            try:
                return await self._read(url, response, accept, limit, etag, last_modified)
            finally:
                await response.aclose()
        finally:
            if sharded:
                sharded.in_flight[index] -= 1

    async def _read(self, url, response: httpx.Response, accept, limit, etag, last_modified) -> Fetched | tuple[str, bool]:
        status = response.status_code
        if status in _REDIRECTS:
            location = response.headers.get("location", "").strip()
            if not location:
                raise FetchError(f"HTTP {status} redirect without a Location header", status=status, short="bad redirect")
            return urljoin(url, location), _REDIRECTS[status]
        if status == 304:
            await _drain(response)  # an unread response would cost its keep-alive connection
            return Fetched(url=url, status=304, etag=response.headers.get("etag", etag),
                           last_modified=response.headers.get("last-modified", last_modified),
                           max_age=parse_max_age(response.headers))
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

"""The fetcher's HTTP/1.1 transport: httpx requests and responses over an asyncio protocol
and h11, with keep-alive connections kept per host.

httpx stays the client API (requests, responses, headers, errors; tests and the web app may
hand the fetcher any other httpx transport), but its default transport, httpcore, spent more
CPU per request than parsing a whole feed (its pool's locks and scans, its anyio network
layer), so a poll where every feed answers 304 was barely cheaper than a first poll. This one
does the same job with one `asyncio.Protocol` per connection, whose `data_received` feeds
h11's parser directly (no stream buffer, one future and one timer per wait for data): on the
ingestion benchmark a 304 poll went from 0.45 to about 0.25 ms of CPU per feed
(docs/BENCHMARKS.md).

What it does:
- one request at a time per connection; a finished connection waits, idle, for the next
  request to the same scheme, host, port and trust level, at most `keepalive_expiry` seconds,
  at most `max_idle` of them in all (the least recently used one is closed first);
- a kept connection the server has closed meanwhile is detected before use, or when the
  request gets no byte of answer, and a GET is then sent once more on a new connection;
- timeouts from the request's "timeout" extension: "connect" (for resolving the host, then
  for each of its addresses in turn: TCP and TLS), "read" (between two reads) and "write";
- reading a response pauses when data arrives that no request is waiting for: what a fast
  server sends ahead of the reader is never buffered beyond two reads (512 KiB); a kept
  connection is read while idle, to hear the server close it, and data on it closes it;
- TLS with `ssl.create_default_context()` (certificates and host names verified);
- safety: unless the request's `ALLOW_PRIVATE` extension is true, the host is resolved here,
  every address is checked (`safety.check_addresses`, raising `UnsafeURL`) and the connection
  goes to a checked address, so a DNS answer that changes after the fetcher's own checks
  cannot reach a private address.

Body limits, decompression, redirects and content types are the fetcher's job: it streams
the raw body (`Response.aiter_raw`) and stops reading when a limit is crossed; closing such a
response closes its connection.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from collections import OrderedDict

import h11
import httpx

from entrelignes.ingest.safety import check_addresses

ALLOW_PRIVATE = "entrelignes.allow_private"  # request extension: may it reach non-public addresses?

_READ_SIZE = 65_536
_DEFAULT_PORTS = {b"http": 80, b"https": 443}
_RESENDABLE = {"GET", "HEAD"}  # no body, no side effect: safe to send again on a new connection

_Key = tuple[bytes, str, int, bool]  # scheme, host, port, trusted


class _StaleConnection(Exception):
    """A kept-alive connection the server had closed: nothing of the request was answered."""


class _NoAnswer(httpx.RemoteProtocolError):
    """The server closed the connection before the first byte of its response."""


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: the event loop hands it what arrives (`data_received` feeds
    h11 directly, no stream buffer in between) and wakes the one request reading it.

    Reading is on demand: once data arrives that nothing waits for, the socket is no longer
    read until a request waits again (or the connection is kept idle), so what is buffered
    stays bounded (two reads) however fast the server sends."""

    __slots__ = ("key", "transport", "http", "idle_since", "reused", "_waiter", "_closed", "_error", "_writable")

    def __init__(self, key: _Key) -> None:
        self.key = key
        self.transport: asyncio.Transport | None = None
        self.http = h11.Connection(h11.CLIENT)
        self.idle_since = 0.0
        self.reused = False
        self._waiter: asyncio.Future | None = None  # set while a request waits to read or to write
        self._closed = False  # the server closed its side, or the connection broke
        self._error: OSError | None = None
        self._writable = True

    # --- asyncio.Protocol ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self.http.our_state is h11.IDLE:  # a kept connection talked to out of turn (a 408 before closing)
            self.close()
            return
        self.http.receive_data(data)
        if self._waiter is None:
            self.transport.pause_reading()  # resumed when the body is read on
        else:
            self._wake()

    def eof_received(self) -> bool:
        self._closed = True
        self._wake()
        return False  # close the transport

    def connection_lost(self, error: Exception | None) -> None:
        self._closed = True
        if isinstance(error, OSError):
            self._error = error
        self._wake()

    def pause_writing(self) -> None:
        self._writable = False

    def resume_writing(self) -> None:
        self._writable = True
        self._wake()

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None  # more data before the reader runs pauses reading
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # --- for the transport ---------------------------------------------------------------

    def open(self) -> bool:
        """False once the server closed its side (or the connection broke)."""
        return not (self._closed or self.transport.is_closing())

    def close(self) -> None:
        self._closed = True
        self.transport.close()

    async def _wait(self, timeout: float | None) -> bool:
        """Wait for the next thing to happen on the connection; False when `timeout` ran out."""
        loop = asyncio.get_running_loop()
        waiter = self._waiter = loop.create_future()
        timer = loop.call_later(timeout, _expire, waiter) if timeout is not None else None
        try:
            return (await waiter) is not False
        finally:
            self._waiter = None
            if timer is not None:
                timer.cancel()

    async def write(self, data: bytes, request: httpx.Request, timeout: float | None) -> None:
        if self._closed or self.transport.is_closing():
            raise httpx.WriteError(str(self._error or "the connection is closed"), request=request)
        self.transport.write(data)
        while not self._writable:  # above the transport's high-water mark: wait, bounded
            if self._closed:
                raise httpx.WriteError(str(self._error or "the connection closed while sending"), request=request) from self._error
            if not await self._wait(timeout):
                raise httpx.WriteTimeout(f"could not send the request for {timeout:g} s", request=request)

    async def next_event(self, request: httpx.Request, timeout: float | None):
        """The next h11 event from the server, reading as needed."""
        while True:
            try:
                event = self.http.next_event()
            except h11.RemoteProtocolError as error:
                raise httpx.RemoteProtocolError(f"invalid HTTP from the server: {error}", request=request) from None
            if event is not h11.NEED_DATA:
                return event
            if self._error is not None:
                raise httpx.ReadError(str(self._error) or type(self._error).__name__, request=request) from self._error
            if self._closed:
                if self.http.their_state is h11.SEND_RESPONSE:
                    if not self.http.trailing_data[0]:
                        raise _NoAnswer("the server closed the connection without sending a response", request=request)
                    raise httpx.RemoteProtocolError("incomplete response head: the server closed the connection", request=request)
                self.http.receive_data(b"")  # h11 then ends a body read to the close, or names what is missing
                continue
            self.transport.resume_reading()
            if not await self._wait(timeout):
                raise httpx.ReadTimeout(f"no data from the server for {timeout:g} s", request=request)


class _Body(httpx.AsyncByteStream):
    """A response body read from its connection; closing it returns the connection to the
    pool when the response was read to its end, and closes it otherwise."""

    def __init__(self, pool: H11Transport, connection: _Connection, request: httpx.Request, timeout: float | None) -> None:
        self._pool, self._connection, self._request, self._timeout = pool, connection, request, timeout
        self._complete = False
        self._closed = False

    async def __aiter__(self):
        while not self._complete:
            event = await self._connection.next_event(self._request, self._timeout)
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                self._complete = True
            else:  # h11 ends a body with EndOfMessage or an error: anything else is a broken stream
                raise httpx.RemoteProtocolError(f"unexpected {type(event).__name__} in a response body", request=self._request)

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            self._pool.release(self._connection, finished=self._complete or self._ends_in_buffer())

    def _ends_in_buffer(self) -> bool:
        """Whether the rest of an unread body (a 304's or a redirect's, usually empty) is
        already received: then the connection can serve again without reading anything."""
        try:
            while True:
                event = self._connection.http.next_event()
                if not isinstance(event, h11.Data):  # NEED_DATA: the rest is still on its way
                    return isinstance(event, h11.EndOfMessage)
        except h11.RemoteProtocolError:
            return False


class H11Transport(httpx.AsyncBaseTransport):
    def __init__(self, *, max_idle: int = 100, keepalive_expiry: float = 30.0, ssl_context: ssl.SSLContext | None = None) -> None:
        self.max_idle = max(0, max_idle)
        self.keepalive_expiry = keepalive_expiry
        self._ssl_context = ssl_context
        self._idle: OrderedDict[_Connection, None] = OrderedDict()  # oldest first
        self._idle_by_key: dict[_Key, list[_Connection]] = {}
        self._closed = False
        self.connections_opened = 0  # for tests and the benchmark: how often keep-alive failed us

    @property
    def idle_connections(self) -> int:
        return len(self._idle)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.raw_scheme
        if scheme not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"scheme {scheme.decode('ascii', 'replace')!r} is not http or https", request=request)
        host = url.raw_host.decode("ascii")
        key: _Key = (scheme, host, url.port or _DEFAULT_PORTS[scheme], bool(request.extensions.get(ALLOW_PRIVATE, False)))
        timeouts = request.extensions.get("timeout", {})
        connection = self._take_idle(key)
        if connection is not None:
            try:
                return await self._exchange(connection, request, timeouts)
            except _StaleConnection:
                pass  # the server dropped it while it waited: a new connection
        connection = await self._connect(key, request, timeouts.get("connect"))
        return await self._exchange(connection, request, timeouts)

    async def _exchange(self, connection: _Connection, request: httpx.Request, timeouts: dict) -> httpx.Response:
        http = connection.http
        try:
            parts = [http.send(h11.Request(method=request.method, target=request.url.raw_path, headers=request.headers.raw))]
            async for chunk in request.stream:  # the fetcher's GETs have none: one write per request
                if chunk:
                    parts.append(http.send(h11.Data(data=chunk)))
            parts.append(http.send(h11.EndOfMessage()))
            await connection.write(b"".join(parts), request, timeouts.get("write"))
            event = await connection.next_event(request, timeouts.get("read"))
            while isinstance(event, h11.InformationalResponse):  # 100 Continue and the like
                event = await connection.next_event(request, timeouts.get("read"))
        except h11.LocalProtocolError as error:  # a header value HTTP cannot carry (an odd stored ETag)
            connection.close()
            raise httpx.LocalProtocolError(f"cannot send this request: {error}", request=request) from None
        except (httpx.ReadError, httpx.WriteError, _NoAnswer) as error:
            connection.close()
            unanswered = isinstance(error, _NoAnswer) or (http.their_state is h11.SEND_RESPONSE and not http.trailing_data[0])
            if connection.reused and unanswered and request.method in _RESENDABLE:
                raise _StaleConnection from error
            raise
        except BaseException:  # timeouts, cancellation: the connection's state is unknown
            connection.close()
            raise
        return httpx.Response(
            status_code=event.status_code,
            headers=event.headers.raw_items(),
            stream=_Body(self, connection, request, timeouts.get("read")),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": event.reason},
        )

    async def _connect(self, key: _Key, request: httpx.Request, timeout: float | None) -> _Connection:
        scheme, host, port, trusted = key
        tls = self._tls() if scheme == b"https" else None
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                addresses = await _resolve(host, port)
            if not trusted:
                check_addresses(host, addresses)  # raises UnsafeURL
            last_error: OSError | None = None
            for address in addresses:  # each its own timeout: a black-holed IPv6 route still leaves IPv4
                try:
                    async with asyncio.timeout(timeout):
                        _, connection = await loop.create_connection(
                            lambda: _Connection(key), address, port, ssl=tls, server_hostname=host if tls else None
                        )
                    break
                except OSError as error:  # ssl.SSLError and timeouts included
                    last_error = error
            else:
                assert last_error is not None
                raise last_error
        except TimeoutError:
            raise httpx.ConnectTimeout(f"connection to {host} timed out after {timeout:g} s", request=request) from None
        except (socket.gaierror, UnicodeError) as error:
            raise httpx.ConnectError(f"could not resolve host {host}: {error}", request=request) from error
        except OSError as error:
            raise httpx.ConnectError(str(error) or type(error).__name__, request=request) from error
        self.connections_opened += 1
        return connection

    def _tls(self) -> ssl.SSLContext:
        if self._ssl_context is None:  # loading the CA certificates once, when first needed
            self._ssl_context = ssl.create_default_context()
            self._ssl_context.set_alpn_protocols(["http/1.1"])
        return self._ssl_context

    def _take_idle(self, key: _Key) -> _Connection | None:
        waiting = self._idle_by_key.get(key)
        now = time.monotonic()
        while waiting:
            connection = waiting.pop()  # the most recently used: the likeliest to be still open
            del self._idle[connection]
            if now - connection.idle_since < self.keepalive_expiry and connection.open():
                return connection
            connection.close()
        return None

    def release(self, connection: _Connection, *, finished: bool) -> None:
        """Keep `connection` for the next request to its host when its response was read to
        the end and both sides want to go on; close it otherwise."""
        http = connection.http
        keep = finished and http.our_state is h11.DONE and http.their_state is h11.DONE and not http.trailing_data[0]
        if not keep or self._closed or self.max_idle == 0 or not connection.open():
            connection.close()
            return
        http.start_next_cycle()
        connection.transport.resume_reading()  # an idle connection hears the server close it
        connection.reused = True
        connection.idle_since = time.monotonic()
        if len(self._idle) >= self.max_idle:
            oldest, _ = self._idle.popitem(last=False)
            self._idle_by_key[oldest.key].remove(oldest)
            oldest.close()
        self._idle[connection] = None
        self._idle_by_key.setdefault(connection.key, []).append(connection)

    async def aclose(self) -> None:
        self._closed = True
        for connection in self._idle:
            connection.close()
        self._idle.clear()
        self._idle_by_key.clear()
        await asyncio.sleep(0)  # lets the event loop finish closing the sockets


def _expire(waiter: asyncio.Future) -> None:
    if not waiter.done():
        waiter.set_result(False)


async def _resolve(host: str, port: int) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))

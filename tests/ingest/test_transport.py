"""The fetcher's own HTTP/1.1 transport (ingest/transport.py) against real servers on
127.0.0.1: keep-alive reuse, connections the server closes, bodies it cuts short, the
address check, and the fetcher's limits enforced through it."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from entrelignes.ingest.fetcher import FetchError, Fetcher
from entrelignes.ingest.safety import UnsafeURL
from entrelignes.ingest.transport import ALLOW_PRIVATE, H11Transport

from .conftest import FAST, rss
from .server import FeedServer, Handler

FEED = rss([("Budget", "http://example.org/budget.html")])


def get(url: str, *, trusted: bool = True) -> httpx.Request:
    return httpx.Request("GET", url, extensions={ALLOW_PRIVATE: trusted, "timeout": {"connect": 1.0, "read": 1.0, "write": 1.0}})


async def body_of(transport: H11Transport, request: httpx.Request) -> tuple[int, bytes]:
    response = await transport.handle_async_request(request)
    try:
        return response.status_code, b"".join([chunk async for chunk in response.aiter_raw()])
    finally:
        await response.aclose()


def test_one_connection_serves_a_host_request_after_request(server: FeedServer) -> None:
    server.static("/feed.xml", FEED, "application/rss+xml", etag='"v1"')

    async def run() -> tuple[list[int], int, int]:
        transport = H11Transport()
        statuses = []
        for _ in range(3):
            status, _ = await body_of(transport, get(server.url("/feed.xml")))
            statuses.append(status)
        not_modified = await transport.handle_async_request(
            httpx.Request("GET", server.url("/feed.xml"), headers={"If-None-Match": '"v1"'}, extensions={ALLOW_PRIVATE: True})
        )
        await not_modified.aclose()  # closed unread: its (empty) body had arrived with its head
        await body_of(transport, get(server.url("/feed.xml")))
        opened, idle = transport.connections_opened, transport.idle_connections
        await transport.aclose()
        return statuses + [not_modified.status_code], opened, idle

    statuses, opened, idle = asyncio.run(run())
    assert statuses == [200, 200, 200, 304]
    assert opened == 1 and idle == 1
    assert server.hits["/feed.xml"] == 5


def test_a_connection_the_server_closes_is_not_reused(server: FeedServer) -> None:
    def close_after(h: Handler) -> None:
        h.send(200, FEED.encode(), "application/rss+xml", {"Connection": "close"})

    server.routes["/close.xml"] = close_after

    async def run() -> tuple[int, int]:
        transport = H11Transport()
        for _ in range(3):
            assert (await body_of(transport, get(server.url("/close.xml"))))[0] == 200
        opened, idle = transport.connections_opened, transport.idle_connections
        await transport.aclose()
        return opened, idle

    assert asyncio.run(run()) == (3, 0)


@pytest.fixture()
def forgetful_server() -> Iterator[tuple[str, list[int]]]:
    """Answers the first request of each connection with keep-alive, then closes the
    connection when a second request arrives on it, unanswered: what a server does when its
    keep-alive timeout and our next request cross. Yields its URL and the requests answered
    per connection."""
    answered: list[int] = []

    def serve(connection: socket.socket) -> None:
        with connection:
            requests = 0
            buffer = b""
            while True:
                data = connection.recv(65_536)
                if not data:
                    return
                buffer += data
                while b"\r\n\r\n" in buffer:
                    _, buffer = buffer.split(b"\r\n\r\n", 1)
                    requests += 1
                    if requests > 1:
                        return  # closes without answering
                    answered.append(1)  # before sending: the client may check as soon as it reads
                    body = FEED.encode()
                    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

    listener, port = _raw_server(serve)
    try:
        yield f"http://127.0.0.1:{port}/feed.xml", answered
    finally:
        listener.close()


def test_a_kept_connection_closed_under_a_request_is_replaced_and_the_get_sent_again(forgetful_server) -> None:
    url, answered = forgetful_server

    async def run() -> tuple[list[int], int]:
        transport = H11Transport()
        statuses = [(await body_of(transport, get(url)))[0] for _ in range(3)]
        opened = transport.connections_opened
        await transport.aclose()
        return statuses, opened

    statuses, opened = asyncio.run(run())
    assert statuses == [200, 200, 200]
    assert opened == 3 and len(answered) == 3


def test_a_new_connection_closed_without_an_answer_is_an_error_not_a_retry() -> None:
    accepted: list[int] = []

    def close_unanswered(connection: socket.socket) -> None:
        accepted.append(1)
        with connection:
            connection.recv(65_536)

    listener, port = _raw_server(close_unanswered)

    async def run() -> str:
        async with Fetcher(FAST) as fetcher:
            with pytest.raises(FetchError) as error:
                await fetcher.fetch(f"http://127.0.0.1:{port}/feed.xml")
        return error.value.reason

    try:
        assert asyncio.run(run()) == "the server closed the connection before the end of the response"
        assert len(accepted) == 1
    finally:
        listener.close()


def test_body_cut_short_chunked_body_and_limits_through_the_transport(server: FeedServer) -> None:
    def short_body(h: Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("Content-Length", "5000")
        h.end_headers()
        h.wfile.write(FEED.encode()[:100])
        h.close_connection = True

    def chunked(h: Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        data = FEED.encode()
        for start in range(0, len(data), 100):
            piece = data[start : start + 100]
            h.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        h.wfile.write(b"0\r\n\r\n")

    server.routes["/short.xml"] = short_body
    server.routes["/chunked.xml"] = chunked
    server.static("/big.xml", FEED.encode() + b" " * 3000, "application/rss+xml")
    server.endless("/endless.xml")

    async def run() -> dict[str, object]:
        outcomes: dict[str, object] = {}
        async with Fetcher(FAST) as fetcher:
            for name, max_bytes in (("short", None), ("chunked", None), ("big", 2000), ("endless", 50_000), ("chunked", None)):
                try:
                    fetched = await fetcher.fetch(server.url(f"/{name}.xml"), max_bytes=max_bytes)
                    outcomes[name] = fetched.body
                except FetchError as error:
                    outcomes[name] = error.reason
        return outcomes

    outcomes = asyncio.run(run())
    assert outcomes["short"] == "the server closed the connection before the end of the response"
    assert outcomes["chunked"] == FEED.encode()  # read whole, and again after the cut-off bodies
    assert outcomes["big"] == f"body too large: Content-Length {len(FEED.encode()) + 3000} bytes > limit 2000"
    assert outcomes["endless"] == "body larger than 50000 bytes (the server kept sending)"


def test_untrusted_requests_never_reach_loopback_nor_a_trusted_connection(server: FeedServer) -> None:
    server.static("/feed.xml", FEED, "application/rss+xml")

    async def run() -> None:
        transport = H11Transport()
        try:
            assert (await body_of(transport, get(server.url("/feed.xml"))))[0] == 200  # trusted: kept alive
            with pytest.raises(UnsafeURL, match="resolves to a loopback address"):
                await transport.handle_async_request(get(server.url("/feed.xml"), trusted=False))
            with pytest.raises(UnsafeURL):
                await transport.handle_async_request(httpx.Request("GET", server.url("/feed.xml")))  # untrusted by default
        finally:
            await transport.aclose()

    asyncio.run(run())
    assert server.hits["/feed.xml"] == 1


def test_idle_connections_are_bounded_least_recently_used_first(server: FeedServer) -> None:
    other = FeedServer().start()
    for each in (server, other):
        each.static("/feed.xml", FEED, "application/rss+xml")
    a, b, c = server.url("/feed.xml"), server.url("/feed.xml").replace("127.0.0.1", "localhost"), other.url("/feed.xml")

    async def run() -> tuple[int, int]:
        transport = H11Transport(max_idle=2)
        for url in (a, b, a, c, a):  # c's connection evicts b's, the least recently used
            await body_of(transport, get(url))
        idle, opened = transport.idle_connections, transport.connections_opened
        await transport.aclose()
        return idle, opened

    try:
        assert asyncio.run(run()) == (2, 3)
    finally:
        other.stop()


def test_a_header_http_cannot_carry_is_a_clear_error_and_the_next_request_goes_through(server: FeedServer) -> None:
    server.static("/feed.xml", FEED, "application/rss+xml")

    async def run() -> tuple[str, int]:
        async with Fetcher(FAST) as fetcher:
            with pytest.raises(FetchError) as error:
                await fetcher.fetch(server.url("/feed.xml"), etag='"v1\x00"')  # a corrupt stored ETag
            fetched = await fetcher.fetch(server.url("/feed.xml"))
        return error.value.reason, fetched.status

    reason, status = asyncio.run(run())
    assert reason.startswith("LocalProtocolError: cannot send this request: Illegal header value") and status == 200


TLS = Path(__file__).parent / "tls"  # a self-signed certificate for localhost and 127.0.0.1, for these tests only


def test_tls_is_verified_and_its_connections_kept_alive() -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                body = FEED.encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def run() -> tuple[str, list[int], int]:
        server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_tls.load_cert_chain(TLS / "localhost.pem", TLS / "localhost-key.pem")
        listener = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=server_tls)
        url = f"https://localhost:{listener.sockets[0].getsockname()[1]}/feed.xml"
        try:
            async with Fetcher(FAST) as fetcher:  # the system's certificate store: not this one
                with pytest.raises(FetchError) as refused:
                    await fetcher.fetch(url)
            trusting = H11Transport(ssl_context=ssl.create_default_context(cafile=str(TLS / "localhost.pem")))
            async with Fetcher(FAST, transport=trusting) as fetcher:
                statuses = [(await fetcher.fetch(url)).status for _ in range(2)]
            return refused.value.reason, statuses, trusting.connections_opened
        finally:
            listener.close()

    reason, statuses, opened = asyncio.run(run())
    assert reason.startswith("TLS error: ") and "certificate verify failed" in reason
    assert statuses == [200, 200] and opened == 1


def test_an_address_that_never_answers_leaves_the_next_one_its_own_timeout(server: FeedServer, monkeypatch) -> None:
    """A host with two addresses, the first black-holed (its SYNs dropped, as on a broken IPv6
    route): the connection goes to the second once the first's connect timeout is spent."""
    from entrelignes.ingest import transport as transport_module

    server.static("/feed.xml", FEED, "application/rss+xml")
    port = server.server_address[1]
    black_hole = socket.socket()
    black_hole.bind(("127.0.0.2", port))
    black_hole.listen(0)  # never accepted: once its queue is full, new SYNs are dropped
    queued = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.2", port))
        queued.append(filler)

    async def both_addresses(host: str, port: int) -> list[str]:
        return ["127.0.0.2", "127.0.0.1"]

    monkeypatch.setattr(transport_module, "_resolve", both_addresses)

    async def run() -> int:
        async with Fetcher(FAST) as fetcher:  # connect timeout 1 s, whole response 4 s
            return (await fetcher.fetch(f"http://feeds.test:{port}/feed.xml")).status

    try:
        assert asyncio.run(run()) == 200
    finally:
        for each in queued + [black_hole]:
            each.close()


def _raw_server(serve) -> tuple[socket.socket, int]:
    """A listening socket on 127.0.0.1 whose connections are each handed to `serve` in a thread."""
    listener = socket.create_server(("127.0.0.1", 0))

    def accept() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return listener, listener.getsockname()[1]


def test_a_kept_connection_the_server_talks_on_out_of_turn_is_not_reused() -> None:
    """A server that, after answering, sends a 408 on the idle connection (as some do before
    closing it): the next request must not take that 408 for its answer."""
    body = FEED.encode()

    def serve(connection: socket.socket) -> None:
        with connection:
            while connection.recv(65_536):
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                connection.sendall(b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n")

    listener, port = _raw_server(serve)

    async def run() -> tuple[list[int], int]:
        transport = H11Transport()
        statuses = []
        for _ in range(2):
            statuses.append((await body_of(transport, get(f"http://127.0.0.1:{port}/feed.xml")))[0])
            await asyncio.sleep(0.2)  # the 408 arrives while the connection waits, idle
        opened = transport.connections_opened
        await transport.aclose()
        return statuses, opened

    try:
        assert asyncio.run(run()) == ([200, 200], 2)
    finally:
        listener.close()


def test_a_body_not_read_on_is_not_buffered_beyond_two_reads() -> None:
    """The socket is read only for a reader: a server sending 20 MB as fast as it can while
    nobody reads the body leaves at most two reads' worth in the client's memory."""
    sent: list[int] = []

    def serve(connection: socket.socket) -> None:
        with connection:
            connection.recv(65_536)
            connection.setblocking(False)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 20000000\r\n\r\n")
            total = 0
            while total < 20_000_000:
                try:
                    total += connection.send(b"x" * 65_536)
                except BlockingIOError:
                    break  # the client stopped reading: the kernel buffers are full
            sent.append(total)

    listener, port = _raw_server(serve)

    async def run() -> tuple[int, int]:
        transport = H11Transport()
        response = await transport.handle_async_request(get(f"http://127.0.0.1:{port}/big"))
        await asyncio.sleep(0.5)  # the server sends all it can meanwhile
        buffered = len(response.stream._connection.http.trailing_data[0])
        first = len(await response.aiter_raw().__anext__())
        await response.aclose()
        await transport.aclose()
        return buffered, first

    try:
        buffered, first = asyncio.run(run())
        assert buffered <= 2 * 262_144 and first > 0  # one read of the event loop is at most 256 KiB
        assert sent and sent[0] < 20_000_000
    finally:
        listener.close()


def test_a_request_the_server_does_not_read_times_out_on_writing() -> None:
    """A request body larger than the socket buffers, to a server that never reads: the write
    waits at most the write timeout, then fails clearly."""
    connections: list[socket.socket] = []
    listener, port = _raw_server(connections.append)  # accepted, never read

    async def run() -> None:
        transport = H11Transport()
        request = httpx.Request("POST", f"http://127.0.0.1:{port}/upload", content=b"x" * 50_000_000,
                                extensions={ALLOW_PRIVATE: True, "timeout": {"connect": 1.0, "read": 1.0, "write": 0.5}})
        try:
            with pytest.raises(httpx.WriteTimeout):
                await transport.handle_async_request(request)
        finally:
            await transport.aclose()

    try:
        asyncio.run(asyncio.wait_for(run(), 10))  # not the 10 s: the write timeout
    finally:
        listener.close()
        for each in connections:
            each.close()

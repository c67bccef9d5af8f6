"""A real HTTP server on 127.0.0.1 for the ingestion tests: feed files, article pages, and
faults (slow first byte, slow drip, 5xx with Retry-After, 429, redirect loops, moves, 410,
wrong charsets, truncated gzip, decompression bombs, endless bodies, malformed XML, entity
bombs, HTML served as a feed).

Routes are plain functions of the request handler, registered by path; `hits` counts
requests per path and `requests` keeps the headers seen, so tests can check what was asked.
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Route = Callable[["Handler"], None]


class Handler(BaseHTTPRequestHandler):
    server: "FeedServer"
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        self.server.hits[path] += 1
        self.server.requests.append((path, dict(self.headers.items())))
        route = self.server.routes.get(path)
        try:
            if route is None:
                self.send(404, b"not found", "text/plain")
            else:
                route(self)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            pass

    def send(self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class FeedServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def start(self) -> "FeedServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    # --- registering routes ---------------------------------------------------------------

    def static(self, path: str, body: bytes | str, content_type: str = "text/html; charset=utf-8", *, status: int = 200,
               headers: dict[str, str] | None = None, etag: str = "", last_modified: str = "") -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body

        def route(h: Handler) -> None:
            if etag and h.headers.get("If-None-Match") == etag:
                h.send_response(304)
                h.send_header("ETag", etag)
                h.send_header("Content-Length", "0")
                h.end_headers()
                return
            if last_modified and h.headers.get("If-Modified-Since") == last_modified:
                h.send_response(304)
                h.send_header("Content-Length", "0")
                h.end_headers()
                return
            extra = dict(headers or {})
            if etag:
                extra["ETag"] = etag
            if last_modified:
                extra["Last-Modified"] = last_modified
            h.send(status, data, content_type, extra)

        self.routes[path] = route

    def redirect(self, path: str, to: str, status: int = 301) -> None:
        def route(h: Handler) -> None:
            h.send(status, b"", "text/plain", {"Location": to})

        self.routes[path] = route

    def status(self, path: str, status: int, headers: dict[str, str] | None = None) -> None:
        self.routes[path] = lambda h: h.send(status, f"error {status}".encode(), "text/plain", headers)

    def slow_first_byte(self, path: str, delay: float, body: bytes = b"<rss/>") -> None:
        def route(h: Handler) -> None:
            time.sleep(delay)
            h.send(200, body, "application/rss+xml")

        self.routes[path] = route

    def drip(self, path: str, interval: float, total: int = 10_000) -> None:
        def route(h: Handler) -> None:
            h.send_response(200)
            h.send_header("Content-Type", "application/rss+xml")
            h.send_header("Content-Length", str(total))
            h.end_headers()
            for _ in range(total):
                h.wfile.write(b" ")
                h.wfile.flush()
                time.sleep(interval)

        self.routes[path] = route

    def endless(self, path: str) -> None:
        def route(h: Handler) -> None:
            h.send_response(200)
            h.send_header("Content-Type", "application/rss+xml")
            h.send_header("Connection", "close")
            h.end_headers()
            h.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
            chunk = b"<item><title>again</title><link>http://example.org/</link></item>" * 1000
            while True:
                h.wfile.write(chunk)

        self.routes[path] = route

    def encoded(self, path: str, body: bytes, encoding: str, content_type: str = "application/rss+xml") -> None:
        """Serve `body` (already compressed) with a Content-Encoding header."""

        def route(h: Handler) -> None:
            h.send(200, body, content_type, {"Content-Encoding": encoding})

        self.routes[path] = route


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6)


def gzip_bomb(size: int) -> bytes:
    """A gzip stream of `size` zero bytes, compressed about 1000:1."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    parts = [compressor.compress(block) for _ in range(size >> 20)]
    parts.append(compressor.flush())
    return b"".join(parts)


def closed_port() -> int:
    """A port nothing listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

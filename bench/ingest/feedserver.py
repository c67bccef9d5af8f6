"""The benchmark's loopback feed server: N RSS feeds of 20 items, a fixed added latency per
response, ETag/If-None-Match, keep-alive. Runs in its own process (so it does not share a
CPU or the GIL with the client being measured).

It answers on H loopback addresses (all of 127.0.0.0/8 is loopback on Linux), the same port on
each, so that a client sees H distinct hosts, as real feeds live on many sites: `host_address(j)`
is the j-th. Every address serves every feed; the client decides which feed lives where.

    feedserver.py PORT LATENCY HOSTS    (prints the port, 0 = any free one)

    GET /feed/<i>.xml       the feed (or 304 when If-None-Match matches its current ETag)
    GET /control/change?every=<k>   bump the version of every k-th feed (10: 10% changed)
"""

from __future__ import annotations

import asyncio
import sys
from email.utils import formatdate

ITEMS = 20
WORDS = ("conseil municipal budget écoles transports rivière crue préfecture élection maire port dockers grève "
         "hôpital urgences musée tableaux enquête gendarmerie tribunal").split()


def feed_body(index: int, version: int) -> bytes:
    items = []
    for j in range(ITEMS):
        n = version * 1000 + j
        words = " ".join(WORDS[(index + j + k) % len(WORDS)] for k in range(12))
        items.append(
            f"<item><title>Article {index}-{n} : {words[:60]}</title>"
            f"<link>https://outlet{index}.example/{2026}/11/{n}/article-{index}-{n}.html?utm_source=rss</link>"
            f"<description>{words} {words}</description>"
            f"<pubDate>{formatdate(1_764_000_000 + n * 60, usegmt=True)}</pubDate>"
            f"<guid isPermaLink='false'>urn:outlet{index}:{n}</guid></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Outlet {index}</title>'
        f"<link>https://outlet{index}.example/</link><description>Feed {index}</description>{''.join(items)}</channel></rss>"
    ).encode()


class Server:
    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.versions: dict[int, int] = {}
        self.requests = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                close = headers.get("connection", "").lower() == "close" or "HTTP/1.0" in lines[0]
                self.requests += 1
                status, body, extra = self.route(target, headers)
                await asyncio.sleep(self.latency)
                reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}[status]
                response = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}", "Content-Type: application/rss+xml; charset=utf-8"]
                response += [f"{k}: {v}" for k, v in extra.items()]
                if close:
                    response.append("Connection: close")
                writer.write(("\r\n".join(response) + "\r\n\r\n").encode() + body)
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    def route(self, target: str, headers: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        path, _, query = target.partition("?")
        if path.startswith("/feed/") and path.endswith(".xml"):
            index = int(path[6:-4])
            version = self.versions.get(index, 0)
            etag = f'"{index}-{version}"'
            if headers.get("if-none-match") == etag:
                return 304, b"", {"ETag": etag}
            return 200, feed_body(index, version), {"ETag": etag}
        if path == "/control/change":
            every = int(query.split("=", 1)[1])
            changed = 0
            for index in range(0, 1_000_000, every):
                if index > 200_000:
                    break
                self.versions[index] = self.versions.get(index, 0) + 1
                changed += 1
            return 200, str(changed).encode(), {}
        if path == "/control/requests":
            return 200, str(self.requests).encode(), {}
        return 404, b"", {}


def host_address(j: int) -> str:
    """The j-th host's loopback address: 127.1.0.1, 127.1.0.2, ... 127.1.0.250, 127.1.1.1, ..."""
    return f"127.1.{j // 250}.{j % 250 + 1}"


async def main(port: int, latency: float, hosts: int) -> None:
    server = Server(latency)
    first = await asyncio.start_server(server.handle, host_address(0), port, backlog=4096)
    port = first.sockets[0].getsockname()[1]
    listeners = [first]
    if hosts > 1:  # the others on the same port
        listeners.append(await asyncio.start_server(server.handle, [host_address(j) for j in range(1, hosts)], port, backlog=4096))
    print(port, flush=True)
    await asyncio.gather(*(listener.serve_forever() for listener in listeners))


if __name__ == "__main__":
    arguments = sys.argv[1:] + ["0", "0.05", "1"][len(sys.argv) - 1:]
    asyncio.run(main(int(arguments[0]), float(arguments[1]), int(arguments[2])))

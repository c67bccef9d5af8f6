"""A stand-in for the network when the desk discovers feeds: public-looking addresses (IP
literals from documentation-free public ranges, so no DNS is needed) answered by an httpx
MockTransport. The fetcher's safety checks still run on every URL."""

from __future__ import annotations

import httpx

SITE = "http://93.184.216.34/"  # a page announcing two feeds
SINGLE = "http://93.184.216.35/"  # a page announcing one feed
FEED = "http://93.184.216.34/rss.xml"

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>L'Écho <script>alert(9)</script></title><link>http://93.184.216.34/</link>
<item><title>Premier article</title><link>http://93.184.216.34/a1</link></item></channel></rss>"""


def _page(feeds: list[str]) -> str:
    links = "".join(f'<link rel="alternate" type="application/rss+xml" href="{f}">' for f in feeds)
    return f"<html><head><title>L'Écho</title>{links}</head><body><p>Bonjour</p></body></html>"


def _response(status: int, body: str, content_type: str) -> httpx.Response:
    # a stream, as from the network: the fetcher reads the raw body itself
    return httpx.Response(status, stream=httpx.ByteStream(body.encode("utf-8")), headers={"content-type": content_type})


def handler(request: httpx.Request) -> httpx.Response:
    url = str(request.url)
    if url.endswith(".xml"):
        return _response(200, RSS, "application/rss+xml")
    if url.startswith(SITE):
        return _response(200, _page(["/rss.xml", "/sport.xml"]), "text/html")
    if url.startswith(SINGLE):
        return _response(200, _page(["/rss.xml"]), "text/html")
    return _response(404, "not found", "text/plain")


def transport() -> httpx.MockTransport:
    return httpx.MockTransport(handler)

"""Feed auto-discovery and the few facts read from an HTML page's head.

`discover_feeds(html, base_url)` lists the feeds a page announces with
`<link rel="alternate" type="application/rss+xml" href="...">` (RSS, Atom, JSON Feed), in page
order, absolute, without duplicates. `page_canonical` reads `<link rel="canonical">`.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from entrelignes.ingest.urls import resolve

FEED_TYPES = {
    "application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json",
    "application/json", "application/x.atom+xml", "application/x-atom+xml", "text/xml", "application/xml",
}


class _HeadLinks(HTMLParser):
    """Collects <link>, <meta> and <base> attributes, stopping at <body> when it can."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[dict[str, str]] = []
        self.metas: list[dict[str, str]] = []
        self.base = ""
        self.article = False

    def handle_starttag(self, tag: str, attrs) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "link":
            self.links.append(values)
        elif tag == "meta":
            self.metas.append(values)
        elif tag == "base" and not self.base:
            self.base = values.get("href", "")
        elif tag == "article":
            self.article = True

    handle_startendtag = handle_starttag


def _scan(html: str, limit: int = 400_000) -> _HeadLinks:
    parser = _HeadLinks()
    try:
        parser.feed(html[:limit])
        parser.close()
    except (AssertionError, ValueError):  # HTMLParser on broken markup
        pass
    return parser


def discover_feeds(html: str, base_url: str) -> list[str]:
    """Feeds announced by the page, absolute URLs, in order, without duplicates."""
    scan = _scan(html)
    base = resolve(base_url, scan.base) if scan.base else base_url
    found: list[str] = []
    for link in scan.links:
        rels = link.get("rel", "").lower().split()
        kind = link.get("type", "").lower().split(";")[0].strip()
        if "alternate" not in rels or kind not in FEED_TYPES or "stylesheet" in rels:
            continue
        href = resolve(base, link.get("href", ""))
        if href.startswith(("http://", "https://", "file:")) and href not in found:
            found.append(href)
    return found


def page_canonical(html: str) -> str:
    """The page's `<link rel=canonical href>` (as written, maybe relative), or ""."""
    for link in _scan(html, 200_000).links:
        if "canonical" in link.get("rel", "").lower().split() and link.get("href", "").strip():
            return link["href"].strip()
    return ""


_ARTICLE_LD = re.compile(r'"@type"\s*:\s*"(?:News|Blog|Report|Scholarly|Tech)?Article"|"@type"\s*:\s*\[[^\]]*"(?:News)?Article"')


def looks_like_article(html: str) -> bool:
    """True for pages that say they are an article (og:type, JSON-LD, <article>)."""
    scan = _scan(html)
    for meta in scan.metas:
        if meta.get("property", meta.get("name", "")).lower() == "og:type" and meta.get("content", "").lower() == "article":
            return True
    return scan.article or bool(_ARTICLE_LD.search(html[:400_000]))


def page_title(html: str) -> str:
    match = re.search(r"<title[^>]*>(.*?)</title>", html[:200_000], re.IGNORECASE | re.DOTALL)
    if not match:
        return ""
    import html as html_lib

    return re.sub(r"\s+", " ", html_lib.unescape(match.group(1))).strip()


_SIMPLE_SELECTOR = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9-]*)?((?:[.#][A-Za-z0-9_-]+)*)\s*$")


def select_body(html: str, selector: str) -> str:
    """The page cut down to what `selector` matches (its <head> kept, for the metadata), so
    extraction reads only the article body. Supports full CSS when the cssselect package is
    installed, else simple selectors: `tag`, `.class`, `#id`, `tag.class#id`, and lists of
    them separated by commas. Returns `html` unchanged when nothing matches."""
    if not selector.strip():
        return html
    from lxml import etree
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(html)
    except (ValueError, etree.ParserError):
        return html
    try:
        from lxml.cssselect import CSSSelector

        matches = CSSSelector(selector)(tree)
    except ImportError:
        matches = []
        for part in selector.split(","):
            xpath = _simple_xpath(part)
            if xpath:
                matches.extend(tree.xpath(xpath))
    except Exception:  # an invalid selector: the whole page it is
        return html
    if not matches:
        return html
    head = tree.find("head")
    head_html = lxml_html.tostring(head, encoding="unicode") if head is not None else ""
    body = "".join(lxml_html.tostring(m, encoding="unicode") for m in matches)
    return f"<!DOCTYPE html><html>{head_html}<body><article>{body}</article></body></html>"


def _simple_xpath(selector: str) -> str:
    match = _SIMPLE_SELECTOR.match(selector)
    if not match:
        return ""
    tag, rest = match.group(1) or "*", match.group(2) or ""
    conditions = []
    for kind, name in re.findall(r"([.#])([A-Za-z0-9_-]+)", rest):
        if kind == "#":
            conditions.append(f"@id='{name}'")
        else:
            conditions.append(f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')")
    return f"//{tag}" + "".join(f"[{c}]" for c in conditions)

"""Feed parsing: RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed 1.x, sitemaps (Google News, plain,
index files), and HTML recognised as HTML (the caller decides: single article or an error).

XML is parsed by defusedxml (expat without entity expansion, no external entities, no
network): a document that declares entities is refused outright, which stops "billion
laughs" and external-entity attacks before anything expands. Well-formed feeds are read by
our own small readers over that tree (fast: a 20-item feed takes a fraction of a
millisecond). A feed that is not well-formed XML goes to feedparser's lenient parser, which
recovers what it can; when nothing is recovered the error says where the XML broke.

`parse_feed` never raises anything but `FeedError` (and `NotAFeed` for HTML), whatever the
input: that is pinned by a property-based test.
"""

from __future__ import annotations

import html as html_lib
import io
import json
import re
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from xml.etree.ElementTree import Element, ParseError, XMLParser

import defusedxml.ElementTree as DefusedET
from defusedxml import DefusedXmlException

from entrelignes.encoding import decode
from entrelignes.ingest.urls import resolve
from entrelignes.records import FeedItem

ATOM10 = "{http://www.w3.org/2005/Atom}"
ATOM03 = "{http://purl.org/atom/ns#}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
RSS10 = "{http://purl.org/rss/1.0/}"
RSS090 = "{http://my.netscape.com/rdf/simple/0.9/}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
SITEMAP_NAMESPACES = (
    "{http://www.sitemaps.org/schemas/sitemap/0.9}", "{http://www.google.com/schemas/sitemap/0.84}",
    "{http://www.google.com/schemas/sitemap/0.9}", "",
)
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"

MAX_GUNZIPPED = 50_000_000  # a gzipped sitemap may not inflate beyond this


class FeedError(ValueError):
    """Not a usable feed; the message says why ("malformed feed: ...")."""


class NotAFeed(FeedError):
    """The document is an HTML page, not a feed; `text` holds it, decoded."""

    def __init__(self, message: str, text: str) -> None:
        super().__init__(message)
        self.text = text


@dataclass
class ParsedFeed:
    kind: str  # rss, rdf, atom, json, sitemap, sitemap-index
    title: str = ""
    site_url: str = ""
    items: list[FeedItem] = field(default_factory=list)
    children: list[str] = field(default_factory=list)  # sitemap index: the sitemaps it lists
    notes: list[str] = field(default_factory=list)  # e.g. "malformed XML, 12 items recovered"


# --- dates and text -----------------------------------------------------------------------


def parse_date(value: str | None) -> datetime | None:
    """RFC 822 or ISO 8601 (and the many variants feedparser knows), always time-zone aware."""
    value = (value or "").strip()
    if not value:
        return None
    parsed: datetime | None = None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        parsed = None
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(value.replace("z", "Z"))
        except ValueError:
            parsed = None
    if parsed is None:
        try:
            from feedparser.datetimes import _parse_date

            struct = _parse_date(value)
            if struct is not None:
                parsed = datetime(*struct[:6], tzinfo=timezone.utc)
        except Exception:  # feedparser's date parsers are many and not all are careful
            parsed = None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        parsed.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return None
    return parsed


_TAGS = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"\s+")


def html_to_text(value: str) -> str:
    """Plain text of a short HTML fragment (titles, summaries)."""
    if not value:
        return ""
    if "<" in value:
        value = _TAGS.sub(" ", value)
    if "&" in value:
        value = html_lib.unescape(value)
    return " ".join(value.split())


def plain_text(value: str) -> str:
    """A field that feeds define as plain text (RSS and JSON Feed titles): entities decoded,
    whitespace collapsed, and markup kept as the characters it is, so that a title which says
    `<script>` is shown as those characters, never run and never silently dropped."""
    return " ".join(html_lib.unescape(value).split()) if value else ""


def _text(element: Element | None) -> str:
    if element is None:
        return ""
    return "".join(element.itertext()).strip()


def _inner_xml(element: Element) -> str:
    """An Atom type="xhtml" content: its children back to HTML markup, namespaces dropped."""
    parts = [html_lib.escape(element.text or "", quote=False)]
    for child in element:
        _serialise(child, parts)
    return "".join(parts)


def _serialise(element: Element, parts: list[str]) -> None:
    tag = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
    if tag:
        attrs = "".join(f' {k.rsplit("}", 1)[-1]}="{html_lib.escape(v)}"' for k, v in element.attrib.items())
        parts.append(f"<{tag}{attrs}>")
    parts.append(html_lib.escape(element.text or "", quote=False))
    for child in element:
        _serialise(child, parts)
    if tag:
        parts.append(f"</{tag}>")
    parts.append(html_lib.escape(element.tail or "", quote=False))


def _first(element: Element, *tags: str) -> Element | None:
    for tag in tags:
        found = element.find(tag)
        if found is not None:
            return found
    return None


# --- sniffing ------------------------------------------------------------------------------

_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])", re.IGNORECASE | re.DOTALL)
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)


def looks_like_html(body: bytes) -> bool:
    head = body[:4096].lstrip(b"\xef\xbb\xbf")
    head = _XML_DECL.sub(b"", head, count=1)
    return bool(_HTML_START.match(head))


def _maybe_gunzip(body: bytes) -> bytes:
    """Sitemaps are often served as .xml.gz files (the gzip is the file, not the transfer)."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(body, MAX_GUNZIPPED + 1)
    except zlib.error as error:
        raise FeedError(f"malformed feed: corrupt gzip file ({error})") from None
    if len(out) > MAX_GUNZIPPED:
        raise FeedError(f"gzipped document inflates beyond {MAX_GUNZIPPED} bytes")
    if not inflater.eof:
        raise FeedError("malformed feed: truncated gzip file")
    return out


def parse_feed(body: bytes, *, url: str, content_type: str = "") -> ParsedFeed:
    """Parse a fetched feed document. Relative links are resolved against `url`."""
    try:
        return _parse(body, url, content_type)
    except FeedError:
        raise
    except RecursionError:
        raise FeedError("malformed feed: nested too deeply") from None
    except (ValueError, TypeError, AttributeError, LookupError, OverflowError, MemoryError) as error:
        raise FeedError(f"malformed feed: {type(error).__name__}: {error}") from None


def _parse(body: bytes, url: str, content_type: str) -> ParsedFeed:
    body = _maybe_gunzip(body)
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise FeedError("empty document: no feed")
    mime = content_type.split(";", 1)[0].strip().lower()
    if stripped[:1] in (b"{", b"[") or (mime.endswith("json") and not stripped.startswith(b"<")):
        return _parse_json_feed(body, url, content_type)
    if looks_like_html(stripped):
        text, _ = decode(body, content_type)
        raise NotAFeed("an HTML page, not a feed", text)
    if _ENTITY_DECL.search(body):
        raise FeedError("refused: the XML declares entities (entity-expansion bomb or external entity protection)")
    text, _ = decode(body, content_type)
    if not text.lstrip().startswith("<"):
        raise FeedError(f"not a feed: the document does not start with XML markup ({text.strip()[:40]!r})")
    # the text is decoded: drop its declaration so expat does not re-decode it
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text.lstrip("\ufeff"), count=1)
    try:
        if "<!DOCTYPE" in text or "<!doctype" in text:
            root = DefusedET.fromstring(text, forbid_dtd=False, forbid_entities=True, forbid_external=True)
        else:
            # Without a DTD a document cannot declare an entity, so there is nothing for
            # defusedxml to forbid: expat's C tree builder is as safe here, and 3x faster.
            parser = XMLParser()
            parser.feed(text)
            root = parser.close()
    except DefusedXmlException as error:
        raise FeedError(f"refused: {error} (XML entity protection)") from None
    except ParseError as error:
        return _parse_lenient(text, url, str(error))
    return _dispatch(root, url)


def _dispatch(root: Element, url: str) -> ParsedFeed:
    tag = root.tag
    if tag == "rss" or tag.endswith("}rss"):
        return _parse_rss(root, url)
    if tag == f"{RDF}RDF":
        return _parse_rdf(root, url)
    if tag in (f"{ATOM10}feed", f"{ATOM03}feed", "feed"):
        return _parse_atom(root, url)
    for ns in SITEMAP_NAMESPACES:
        if tag == f"{ns}urlset":
            return _parse_urlset(root, url, ns)
        if tag == f"{ns}sitemapindex":
            return _parse_sitemap_index(root, url, ns)
    if tag.lower() in ("html", "{http://www.w3.org/1999/xhtml}html"):
        from xml.etree.ElementTree import tostring

        raise NotAFeed("an HTML page, not a feed", tostring(root, encoding="unicode"))
    name = tag.split("}")[-1]
    raise FeedError(f"not a feed: XML document with root element <{name}>")


# --- RSS 0.9x / 2.0 -----------------------------------------------------------------------


def _parse_rss(root: Element, url: str) -> ParsedFeed:
    channel = root.find("channel")
    if channel is None:
        channel = root
    feed = ParsedFeed(kind="rss", title=html_to_text(_text(channel.find("title"))))
    feed.site_url = resolve(url, _text(channel.find("link")))
    items = channel.findall("item") or root.findall("item")
    for item in items:
        link = _text(item.find("link"))
        guid = item.find("guid")
        if not link and guid is not None and guid.get("isPermaLink", "true").lower() != "false":
            link = _text(guid)
        if not link:
            enclosure = item.find("enclosure")
            link = enclosure.get("url", "") if enclosure is not None and "html" in enclosure.get("type", "") else ""
        link = resolve(url, link)
        if not link:
            continue
        description = _text(item.find("description"))
        content = _text(item.find(f"{CONTENT}encoded"))
        feed.items.append(
            FeedItem(
                url=link,
                title=plain_text(_text(item.find("title"))),
                published=parse_date(_text(_first(item, "pubDate", f"{DC}date", "date"))),
                summary=html_to_text(description)[:2000],
                content_html=content or description,
                author=html_to_text(_text(_first(item, f"{DC}creator", "author"))),
            )
        )
    return feed


# --- RSS 0.90 / 1.0 (RDF) ------------------------------------------------------------------


def _parse_rdf(root: Element, url: str) -> ParsedFeed:
    feed = ParsedFeed(kind="rdf")
    for ns in (RSS10, RSS090, ""):
        channel = root.find(f"{ns}channel")
        if channel is not None:
            feed.title = html_to_text(_text(channel.find(f"{ns}title")))
            feed.site_url = resolve(url, _text(channel.find(f"{ns}link")))
            break
    for ns in (RSS10, RSS090, ""):
        for item in root.findall(f"{ns}item"):
            link = resolve(url, _text(item.find(f"{ns}link")) or item.get(f"{RDF}about", ""))
            if not link:
                continue
            description = _text(item.find(f"{ns}description"))
            feed.items.append(
                FeedItem(
                    url=link,
                    title=plain_text(_text(item.find(f"{ns}title"))),
                    published=parse_date(_text(item.find(f"{DC}date"))),
                    summary=html_to_text(description)[:2000],
                    content_html=_text(item.find(f"{CONTENT}encoded")) or description,
                    author=html_to_text(_text(item.find(f"{DC}creator"))),
                )
            )
    return feed


# --- Atom 0.3 / 1.0 ------------------------------------------------------------------------


def _atom_content(element: Element | None) -> str:
    """An Atom text construct as HTML (or plain text) — type text, html or xhtml; 0.3's
    mode="escaped" is html, mode="base64" is skipped."""
    if element is None:
        return ""
    kind = (element.get("type") or "text").lower()
    if element.get("mode", "").lower() == "base64":
        return ""
    if kind in ("xhtml", "application/xhtml+xml") or len(element):
        return _inner_xml(element).strip()
    if kind in ("text", "text/plain"):
        return html_lib.escape(_text(element), quote=False)
    return _text(element)


def _atom_link(entry: Element, ns: str, base: str) -> str:
    fallback = ""
    for link in entry.findall(f"{ns}link"):
        rel = (link.get("rel") or "alternate").lower()
        href = link.get("href", "")
        if not href:
            continue
        if rel == "alternate" and (link.get("type") or "text/html").lower() in ("text/html", "application/xhtml+xml"):
            return resolve(base, href)
        if rel == "alternate" and not fallback:
            fallback = resolve(base, href)
    if fallback:
        return fallback
    identifier = _text(entry.find(f"{ns}id"))
    return identifier if identifier.startswith(("http://", "https://")) else ""


def _parse_atom(root: Element, url: str) -> ParsedFeed:
    ns = ATOM10 if root.tag.startswith(ATOM10) else ATOM03 if root.tag.startswith(ATOM03) else ""
    base = resolve(url, root.get(XML_BASE, "")) or url
    feed = ParsedFeed(kind="atom", title=html_to_text(_atom_content(root.find(f"{ns}title"))))
    feed.site_url = _atom_link(root, ns, base)
    for entry in root.findall(f"{ns}entry"):
        entry_base = resolve(base, entry.get(XML_BASE, "")) or base
        link = _atom_link(entry, ns, entry_base)
        if not link:
            continue
        author = _first(entry, f"{ns}author")
        if author is None:
            author = root.find(f"{ns}author")
        summary = _atom_content(entry.find(f"{ns}summary"))
        content = _atom_content(entry.find(f"{ns}content"))
        feed.items.append(
            FeedItem(
                url=link,
                title=html_to_text(_atom_content(entry.find(f"{ns}title"))),
                published=parse_date(_text(_first(entry, f"{ns}published", f"{ns}issued", f"{ns}updated", f"{ns}modified", f"{DC}date"))),
                summary=html_to_text(summary)[:2000],
                content_html=content or summary,
                author=html_to_text(_text(author.find(f"{ns}name"))) if author is not None else "",
            )
        )
    return feed


# --- sitemaps -----------------------------------------------------------------------------


def _parse_urlset(root: Element, url: str, ns: str) -> ParsedFeed:
    feed = ParsedFeed(kind="sitemap")
    for entry in root.findall(f"{ns}url"):
        loc = resolve(url, _text(entry.find(f"{ns}loc")))
        if not loc:
            continue
        news = entry.find(f"{NEWS}news")
        title, published = "", None
        if news is not None:
            title = html_to_text(_text(news.find(f"{NEWS}title")))
            published = parse_date(_text(news.find(f"{NEWS}publication_date")))
        published = published or parse_date(_text(entry.find(f"{ns}lastmod")))
        feed.items.append(FeedItem(url=loc, title=title, published=published))
    if any(i.published for i in feed.items):  # newest first, so limits keep the fresh ones
        epoch = datetime.min.replace(tzinfo=timezone.utc)
        feed.items.sort(key=lambda i: i.published or epoch, reverse=True)
    return feed


def _parse_sitemap_index(root: Element, url: str, ns: str) -> ParsedFeed:
    feed = ParsedFeed(kind="sitemap-index")
    children = []
    for entry in root.findall(f"{ns}sitemap"):
        loc = resolve(url, _text(entry.find(f"{ns}loc")))
        if loc:
            children.append((parse_date(_text(entry.find(f"{ns}lastmod"))), loc))
    epoch = datetime.min.replace(tzinfo=timezone.utc)
    children.sort(key=lambda pair: pair[0] or epoch, reverse=True)
    feed.children = [loc for _, loc in children]
    return feed


# --- JSON Feed 1.x ------------------------------------------------------------------------


def _str(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def _parse_json_feed(body: bytes, url: str, content_type: str) -> ParsedFeed:
    text, _ = decode(body, content_type)
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        raise FeedError(f"malformed feed: invalid JSON ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise FeedError("not a feed: a JSON document without an \"items\" list (not a JSON Feed)")
    version = _str(data.get("version"))
    if version and "jsonfeed.org" not in version:
        raise FeedError(f"not a feed: unknown JSON feed version {version[:60]!r}")
    feed = ParsedFeed(kind="json", title=html_to_text(_str(data.get("title"))))
    feed.site_url = resolve(url, _str(data.get("home_page_url")))
    default_author = _json_author(data)
    for item in data["items"]:
        if not isinstance(item, dict):
            continue
        link = _str(item.get("url")) or _str(item.get("external_url"))
        if not link and _str(item.get("id")).startswith(("http://", "https://")):
            link = _str(item.get("id"))
        link = resolve(url, link)
        if not link:
            continue
        content = _str(item.get("content_html")) or html_lib.escape(_str(item.get("content_text")), quote=False)
        summary = _str(item.get("summary"))
        feed.items.append(
            FeedItem(
                url=link,
                title=plain_text(_str(item.get("title"))),
                published=parse_date(_str(item.get("date_published")) or _str(item.get("date_modified"))),
                summary=html_to_text(summary or content)[:2000],
                content_html=content or html_lib.escape(summary, quote=False),
                author=_json_author(item) or default_author,
            )
        )
    return feed


def _json_author(data: dict) -> str:
    authors = data.get("authors")
    if isinstance(authors, list):
        for author in authors:
            if isinstance(author, dict) and _str(author.get("name")):
                return _str(author.get("name"))
    author = data.get("author")
    return _str(author.get("name")) if isinstance(author, dict) else ""


# --- the lenient path ---------------------------------------------------------------------


def _parse_lenient(text: str, url: str, problem: str) -> ParsedFeed:
    """Not well-formed XML: let feedparser's lenient parser recover what it can. Its input
    has already been checked for entity declarations; it never fetches anything (we hand it a
    string, not a URL)."""
    import feedparser

    try:
        parsed = feedparser.parse(io.BytesIO(text.encode("utf-8")), response_headers={"content-type": "application/xml; charset=utf-8", "content-location": url})
    except Exception as error:  # feedparser on hostile input: anything may come out
        raise FeedError(f"malformed feed: {problem} ({type(error).__name__})") from None
    version = parsed.get("version", "")
    feed = ParsedFeed(kind=("atom" if version.startswith("atom") else "rss"), title=html_to_text(parsed.feed.get("title", "")))
    feed.site_url = resolve(url, parsed.feed.get("link", ""))
    for entry in parsed.entries:
        link = resolve(url, entry.get("link", "") or "")
        if not link.startswith(("http://", "https://", "file:")):
            continue
        content = ""
        for part in entry.get("content", []) or []:
            if isinstance(part, dict) and part.get("value"):
                content = part["value"]
                break
        summary = entry.get("summary", "") or ""
        published = None
        for key in ("published_parsed", "updated_parsed"):
            struct = entry.get(key)
            if struct:
                try:
                    published = datetime(*struct[:6], tzinfo=timezone.utc)
                except (TypeError, ValueError):
                    published = None
                break
        feed.items.append(
            FeedItem(
                url=link, title=html_to_text(entry.get("title", "") or ""), published=published,
                summary=html_to_text(summary)[:2000], content_html=content or summary, author=html_to_text(entry.get("author", "") or ""),
            )
        )
    if not feed.items:
        raise FeedError(f"malformed feed: {problem}")
    feed.notes.append(f"malformed XML ({problem}): {len(feed.items)} items recovered by the lenient parser")
    return feed


def gunzip_limited(body: bytes) -> bytes:
    """Exposed for local .gz files."""
    return _maybe_gunzip(body)


__all__ = ["FeedError", "NotAFeed", "ParsedFeed", "looks_like_html", "parse_date", "parse_feed"]

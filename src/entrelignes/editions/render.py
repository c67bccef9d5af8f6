"""Renderers: one frozen edition as an HTML page, Markdown, Telegram messages; editions as Atom.

Everything in an edition came from feeds and pages, so everything is untrusted: the HTML and
Atom templates autoescape, Markdown escapes its own syntax and HTML, and Telegram messages
escape every string before the few tags its HTML parse mode allows.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape

TELEGRAM_LIMIT = 4096  # characters per message, after entity parsing

_SLOT_NAMES = {"fr": {"morning": "matin", "evening": "soir"}}
_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html", "xml"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _local_time(value: str, fmt: str = "%H:%M") -> str:
    return datetime.fromisoformat(value).strftime(fmt)


_ENV.filters["local_time"] = _local_time
_ENV.filters["percent"] = lambda share: f"{round(100 * share)} %"


def edition_title(edition: dict[str, Any]) -> str:
    slot = {"morning": "Morning", "evening": "Evening"}[edition["slot"]]
    return f"{edition['title']} — {slot} edition, {edition['date']}"


def render_html(edition: dict[str, Any], *, join_link: str = "", feed_url: str = "atom.xml") -> str:
    return _ENV.get_template("edition.html").render(edition=edition, title=edition_title(edition), join_link=join_link, feed_url=feed_url)


def render_atom(editions: Sequence[dict[str, Any]], *, base_url: str, feed_id: str) -> str:
    """A valid Atom 1.0 feed, one entry per edition, newest first, ids stable across rebuilds."""
    ordered = sorted(editions, key=lambda e: e["at"], reverse=True)
    entries = [{"edition": e, "title": edition_title(e), "content": render_html_fragment(e)} for e in ordered]
    updated = ordered[0]["at"] if ordered else "1970-01-01T00:00:00+00:00"
    return _ENV.get_template("editions.atom.xml").render(entries=entries, base_url=base_url.rstrip("/"), feed_id=feed_id, updated=updated)


def render_html_fragment(edition: dict[str, Any]) -> str:
    return _ENV.get_template("stories.html").render(edition=edition)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~])")


def markdown_escape(text: str) -> str:
    """Plain text made inert in Markdown: HTML escaped, Markdown punctuation backslashed."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def render_markdown(edition: dict[str, Any]) -> str:
    lines = [f"# {markdown_escape(edition_title(edition))}", ""]
    for story in edition["stories"]:
        update = " *(update)*" if story["is_update"] else ""
        lines.append(f"## {story['rank']}\\. {markdown_escape(story['headline'])}{update}")
        lines.append(f"*{markdown_escape(story['reason'])}*")
        lines.append("")
        for item in story["summary"]:
            lines.append(f"> {markdown_escape(item['sentence'])} — {markdown_escape(item['outlet'])}")
        lines.append("")
        for article in story["articles"]:
            lines.append(f"- [{markdown_escape(article['title'])}](<{_safe_url(article['url'])}>) — {markdown_escape(article['outlet'])}, {_local_time(article['published'])}")
        lines.append("")
    return "\n".join(lines)


def _safe_url(url: str) -> str:
    """Only http(s) links leave the desk; anything else (javascript:, data:) becomes inert.
    Control characters and spaces are dropped and every character that could end a link in
    Markdown, HTML or plain text (brackets, parentheses, quotes, backslash) is percent-encoded,
    so a URL can never start a new line or a link of its own."""
    url = re.sub(r"[\x00-\x20\x7f]", "", str(url or ""))
    try:
        if urlsplit(url).scheme.lower() not in ("http", "https"):
            return "#"
    except ValueError:
        return "#"
    return quote(url, safe="/:?#@!$&'*+,;=%~-._")


_ENV.filters["safe_url"] = _safe_url


# Telegram: HTML parse mode allows a handful of tags and four named entities. A message is
# built from lines of segments (text + optional tag), so it can be split or shortened only
# between segments or inside a segment's text, never inside a tag or an entity.

_Segment = tuple[str, str, str]  # (text, tag: "" | "b" | "i" | "a", href)
_Line = list[_Segment]


def telegram_escape(text: str) -> str:
    """Text made inert in Telegram's HTML parse mode (it knows &lt; &gt; &amp; &quot;)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units of the text after entity parsing."""
    return len(text.encode("utf-16-le")) // 2


def _segment_html(segment: _Segment) -> str:
    text, tag, href = segment
    body = telegram_escape(text)
    if tag == "a":
        return f'<a href="{telegram_escape(_safe_url(href)).replace(chr(34), "&quot;")}">{body}</a>'
    return f"<{tag}>{body}</{tag}>" if tag else body


def _line_html(line: _Line) -> str:
    return "".join(_segment_html(s) for s in line)


def _line_length(line: _Line) -> int:
    return sum(telegram_length(text) for text, _, _ in line)


def _shorten(line: _Line, limit: int) -> _Line:
    """The line cut to `limit` visible characters, ending with an ellipsis; tags stay whole."""
    kept: _Line = []
    room = limit - 1  # for the ellipsis
    for text, tag, href in line:
        size = telegram_length(text)
        if size <= room:
            kept.append((text, tag, href))
            room -= size
            continue
        cut = text[:room]  # `room` characters are at least `room` UTF-16 units: trim from there
        while telegram_length(cut) > room:
            cut = cut[:-1]
        if cut:
            kept.append((cut, tag, href))
        break
    kept.append(("…", "", ""))
    return kept


def _telegram_story(story: dict[str, Any]) -> list[_Line]:
    head: _Line = [(f"{story['rank']}. {story['headline']}", "b", "")]
    if story["is_update"]:
        head += [(" ", "", ""), ("(update)", "i", "")]
    lines = [head, [(story["reason"], "i", "")]]
    lines += [[(f"{item['sentence']} — {item['outlet']}", "", "")] for item in story["summary"][:2]]
    first_by_outlet = {}
    for article in story["articles"]:  # in publication order: each outlet's first report
        first_by_outlet.setdefault(article["outlet"], article)
    lines += [[(f"{outlet} : ", "", ""), (article["title"], "a", article["url"])] for outlet, article in first_by_outlet.items()]
    return lines


def _lines_length(lines: list[_Line]) -> int:
    return sum(_line_length(line) for line in lines) + len(lines) - 1  # newlines between lines


def render_telegram(edition: dict[str, Any], *, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Messages for a Telegram channel in HTML parse mode, each at most `limit` characters as
    Telegram counts them (after entity parsing). Messages are split between stories; a story too
    long for one message continues in the next at a line boundary, and a line too long on its
    own is shortened with an ellipsis. Tags and entities are never cut."""
    header: list[_Line] = [[(edition_title(edition), "b", "")]]
    blocks = [header] + [_telegram_story(s) for s in edition["stories"]]
    messages: list[list[list[_Line]]] = []  # message -> blocks -> lines
    current: list[list[_Line]] = []
    size = 0
    for block in blocks:
        pieces = [block]
        if _lines_length(block) > limit:  # split the story itself, line by line
            pieces, piece = [], []
            for line in block:
                if _line_length(line) > limit:
                    line = _shorten(line, limit)
                if piece and _lines_length(piece + [line]) > limit:
                    pieces.append(piece)
                    piece = []
                piece.append(line)
            pieces.append(piece)
        for piece in pieces:
            piece_size = _lines_length(piece)
            if current and size + 2 + piece_size <= limit:
                current.append(piece)
                size += 2 + piece_size
            else:
                if current:
                    messages.append(current)
                current, size = [piece], piece_size
    if current:
        messages.append(current)
    return ["\n\n".join("\n".join(_line_html(line) for line in piece) for piece in message) for message in messages]


# Email: one message per subscriber, HTML and plain text, both with the unsubscribe link.


def render_email_html(edition: dict[str, Any], *, unsubscribe_url: str, web_url: str = "") -> str:
    return _ENV.get_template("email.html").render(
        edition=edition, title=edition_title(edition), unsubscribe_url=unsubscribe_url, web_url=web_url
    )


def render_email_text(edition: dict[str, Any], *, unsubscribe_url: str, web_url: str = "") -> str:
    title = edition_title(edition)
    lines = [title, "=" * len(title), ""]
    for story in edition["stories"]:
        update = " (update)" if story["is_update"] else ""
        lines.append(f"{story['rank']}. {story['headline']}{update}")
        lines.append(f"   {story['reason']}")
        lines += [f"   {item['sentence']} — {item['outlet']}" for item in story["summary"]]
        for article in story["articles"]:
            lines.append(f"   - {article['outlet']}: {article['title']}")
            lines.append(f"     {_safe_url(article['url'])}")
        lines.append("")
    lines.append("-- ")
    if web_url:
        lines.append(f"On the web: {web_url}")
    lines.append(f"Unsubscribe: {unsubscribe_url}")
    return "\n".join(lines) + "\n"

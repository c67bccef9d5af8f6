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
    """Only http(s) links leave the desk; anything else (javascript:, data:) becomes inert."""
    if not re.match(r"https?://", url, re.IGNORECASE):
        return "#"
    return url.replace("<", "%3C").replace(">", "%3E").replace(" ", "%20")


_ENV.filters["safe_url"] = _safe_url


def _telegram_story(story: dict[str, Any]) -> str:
    e = html.escape
    head = f"<b>{story['rank']}. {e(story['headline'])}</b>"
    if story["is_update"]:
        head += " <i>(mise à jour)</i>"
    lines = [head, f"<i>{e(story['reason'])}</i>"]
    lines += [f"{e(item['sentence'])} — {e(item['outlet'])}" for item in story["summary"][:2]]
    links = [f'<a href="{e(_safe_url(a["url"]))}">{e(a["outlet"])}</a>' for a in story["articles"]]
    lines.append(" · ".join(dict.fromkeys(links)))
    return "\n".join(lines)


def render_telegram(edition: dict[str, Any], *, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Messages for a Telegram channel in HTML parse mode, split only between stories, each
    under `limit` characters. A story too long on its own is cut to plain text at the limit."""
    header = f"<b>{html.escape(edition_title(edition))}</b>"
    blocks = [header] + [_telegram_story(s) for s in edition["stories"]]
    messages: list[str] = []
    current = ""
    for block in blocks:
        if len(block) > limit:
            block = html.escape(html.unescape(re.sub(r"<[^>]+>", "", block)))[: limit - 1]
            block = block[: block.rfind("&")] if block.rfind("&") > block.rfind(";") else block
        candidate = f"{current}\n\n{block}" if current else block
        if len(candidate) <= limit:
            current = candidate
        else:
            messages.append(current)
            current = block
    if current:
        messages.append(current)
    return messages

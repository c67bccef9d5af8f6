"""Main text and metadata of one article page, with trafilatura.

The page is untrusted: whatever it holds, we keep only plain text and a few metadata
strings, and say clearly when there is nothing to keep.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import trafilatura
from trafilatura.settings import use_config

from entrelignes.extract.language import detect_language
from entrelignes.records import Extracted

MIN_TEXT_CHARS = 200  # below this, a "main text" is navigation or a caption, not an article
LABEL_MAX_CHARS, LABEL_MAX_WORDS = 40, 5  # a leading line this short and without an end mark is a label
SENTENCE_ENDS = (".", "!", "?", "…", "»", '"', "”", ":")

_CONFIG = use_config()
_CONFIG.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")  # trafilatura's timeout uses signals: not in threads


class ExtractionError(ValueError):
    """The page gave no article text; the message says why."""


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def extract_page(
    html: str,
    url: str,
    *,
    title: str = "",
    published: datetime | None = None,
    language: str = "",
) -> Extracted:
    """Extract `html` fetched from `url`. `title`, `published` and `language` are what the feed
    said; the page's own metadata wins for the date (it carries a time zone) and the feed's
    title wins (it is what the outlet chose to announce)."""
    if not html or not html.strip():
        raise ExtractionError("empty page")
    document = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        favor_precision=True,
        config=_CONFIG,
    )
    text = (document.text or "").strip() if document else ""
    text = _without_leading_furniture(text, (title, document.title or "") if document else (title,))
    if len(text) < MIN_TEXT_CHARS:
        raise ExtractionError(f"no extractable text ({len(text)} characters of main text)")
    page_date = _page_published_time(html)
    return Extracted(
        url=(document.url or url) if document else url,
        title=title or (document.title or "").strip(),
        text=text,
        language=language or detect_language(text),
        published=page_date or published,
        author=(document.author or "").strip() if document else "",
    )


def _without_leading_furniture(text: str, titles: tuple[str, ...]) -> str:
    """The text without what page templates put above the first paragraph and trafilatura keeps:
    the headline again, a section label ("Local", "· France"), a byline line. Only leading lines
    go: the same short line further down is the article's own."""
    known_titles = {_comparable(t) for t in titles if t.strip()}
    lines = text.split("\n")
    while len(lines) > 1 and (_comparable(lines[0]) in known_titles or _is_label(lines[0])):
        lines.pop(0)
    return "\n".join(lines).strip()


def _comparable(line: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", line.casefold()).split())


def _is_label(line: str) -> bool:
    """A short line that does not end a sentence: a section name or a byline, not prose."""
    stripped = line.strip()
    return len(stripped) <= LABEL_MAX_CHARS and len(stripped.split()) <= LABEL_MAX_WORDS and not stripped.endswith(SENTENCE_ENDS)


def _page_published_time(html: str) -> datetime | None:
    """The page's article:published_time, with its time zone (trafilatura keeps only the day)."""
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(html)
    except (ValueError, lxml_html.etree.ParserError):
        return None
    for xpath in (
        '//meta[@property="article:published_time"]/@content',
        '//meta[@name="article:published_time"]/@content',
        "//time[@datetime]/@datetime",
    ):
        values = tree.xpath(xpath)
        if values:
            found = _parse_date(str(values[0]).strip())
            if found:
                return found
    return None

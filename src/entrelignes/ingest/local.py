"""Local sources for archives: a file or a directory of HTML pages, text files, JSONL records,
WARC files (via warcio) and feed files.

- `.html`/`.htm`: one article page (its `<link rel=canonical>` gives the article's URL);
- `.txt`: one article, the first non-empty line is the title;
- `.jsonl`: one article per line: {"url", "title", "text" or "html", "published", "language", "author"};
- `.warc`, `.warc.gz`: every 200 HTML response record is an article page;
- `.xml`, `.rss`, `.atom`, `.json`, `.xml.gz`: a feed whose items may be local files.

Everything is streamed: a directory of 100,000 files or a 10 GB WARC never sits in memory.
A file source "has not changed" (like an HTTP 304) when its signature — modification times
and sizes — is the one stored at the previous poll.
"""

from __future__ import annotations

import html as html_lib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from entrelignes.ingest.encoding import decode, header_charset
from entrelignes.ingest.feeds import parse_date
from entrelignes.records import FeedItem

PAGE_SUFFIXES = (".html", ".htm", ".xhtml")
TEXT_SUFFIXES = (".txt", ".text", ".md")
JSONL_SUFFIXES = (".jsonl", ".ndjson")
WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf", ".json", ".xml.gz", ".feed")


@dataclass
class Candidate:
    """A feed item on its way to the store; `html` is set when the page is already in hand."""

    item: FeedItem
    html: str | None = None
    error: str = ""  # set when the record itself was unusable (bad JSON line, ...)


def kind_of(path: Path) -> str:
    if path.is_dir():
        return "directory"
    name = path.name.lower()
    for kind, suffixes in (("warc", WARC_SUFFIXES), ("page", PAGE_SUFFIXES), ("text", TEXT_SUFFIXES), ("jsonl", JSONL_SUFFIXES), ("feed", FEED_SUFFIXES)):
        if name.endswith(suffixes):
            return kind
    return "unknown"


def _files(path: Path) -> Iterator[Path]:
    if not path.is_dir():
        yield path
        return
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(root) / name


def signature(path: Path) -> str:
    """Changes whenever a file is added, removed or modified."""
    count, newest, total = 0, 0, 0
    for file in _files(path):
        try:
            stat = file.stat()
        except OSError:
            continue
        count, newest, total = count + 1, max(newest, stat.st_mtime_ns), total + stat.st_size
    return f"{count}:{newest}:{total}"


def text_to_html(title: str, text: str) -> str:
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    if len(paragraphs) <= 1:
        paragraphs = [p.strip() for p in text.splitlines() if p.strip()]
    body = "".join(f"<p>{html_lib.escape(p)}</p>" for p in paragraphs)
    escaped = html_lib.escape(title)
    return f"<!DOCTYPE html><html><head><title>{escaped}</title></head><body><article><h1>{escaped}</h1>{body}</article></body></html>"


def iter_candidates(path: Path, max_bytes: int) -> Iterator[Candidate | Path]:
    """Article candidates in `path` (a file or a directory), in a stable order. Feed files are
    yielded as their Path: the caller parses them like any feed."""
    for file in _files(path):
        kind = kind_of(file)
        try:
            if kind == "page":
                yield from _page(file, max_bytes)
            elif kind == "text":
                yield from _text(file, max_bytes)
            elif kind == "jsonl":
                yield from _jsonl(file, max_bytes)
            elif kind == "warc":
                yield from _warc(file, max_bytes)
            elif kind == "feed":
                yield file
        except OSError as error:
            yield Candidate(FeedItem(url=file.as_uri(), title=file.name), error=f"cannot read {file}: {error.strerror or error}")


def _too_large(file: Path, max_bytes: int) -> Candidate | None:
    size = file.stat().st_size
    if size > max_bytes:
        return Candidate(FeedItem(url=file.as_uri(), title=file.name), error=f"file too large: {size} bytes > limit {max_bytes}")
    return None


def _page(file: Path, max_bytes: int) -> Iterator[Candidate]:
    refused = _too_large(file, max_bytes)
    if refused:
        yield refused
        return
    text, _ = decode(file.read_bytes())
    yield Candidate(FeedItem(url=file.as_uri(), title=""), html=text)


def _text(file: Path, max_bytes: int) -> Iterator[Candidate]:
    refused = _too_large(file, max_bytes)
    if refused:
        yield refused
        return
    text, _ = decode(file.read_bytes())
    lines = text.strip().splitlines()
    title = lines[0].strip().lstrip("# ").strip() if lines else file.stem
    body = "\n".join(lines[1:]).strip()
    yield Candidate(FeedItem(url=file.as_uri(), title=title), html=text_to_html(title, body))


def _jsonl(file: Path, max_bytes: int) -> Iterator[Candidate]:
    with file.open("rb") as stream:
        for number, raw in enumerate(stream, start=1):
            if not raw.strip():
                continue
            fallback = f"{file.as_uri()}#line-{number}"
            if len(raw) > max_bytes:
                yield Candidate(FeedItem(url=fallback, title=""), error=f"{file.name} line {number}: record larger than {max_bytes} bytes")
                continue
            try:
                record = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
                yield Candidate(FeedItem(url=fallback, title=""), error=f"{file.name} line {number}: invalid JSON ({error})")
                continue
            if not isinstance(record, dict):
                yield Candidate(FeedItem(url=fallback, title=""), error=f"{file.name} line {number}: expected a JSON object")
                continue

            def field(name: str) -> str:
                value = record.get(name)
                return value.strip() if isinstance(value, str) else ""

            url = field("url") or fallback
            title = field("title")
            item = FeedItem(url=url, title=title, published=parse_date(field("published") or field("date")), author=field("author"))
            html = field("html") or field("content_html")
            if not html:
                text = field("text") or field("content")
                if not text:
                    yield Candidate(item, error=f"{file.name} line {number}: no text or html")
                    continue
                html = text_to_html(title, text)
            yield Candidate(item, html=html)


def _warc(file: Path, max_bytes: int) -> Iterator[Candidate]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    with file.open("rb") as stream:
        try:
            for record in ArchiveIterator(stream):
                if record.rec_type not in ("response", "resource"):
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI") or ""
                if not url.startswith(("http://", "https://")):
                    continue
                content_type = ""
                if record.http_headers is not None:
                    status = record.http_headers.get_statuscode() or ""
                    if not status.startswith("2"):
                        continue
                    content_type = record.http_headers.get_header("Content-Type") or ""
                else:
                    content_type = record.rec_headers.get_header("Content-Type") or ""
                if "html" not in content_type.lower():
                    continue
                body = record.content_stream().read(max_bytes + 1)
                published = parse_date(record.rec_headers.get_header("WARC-Date") or "")
                if len(body) > max_bytes:
                    yield Candidate(FeedItem(url=url, title=""), error=f"WARC record larger than {max_bytes} bytes")
                    continue
                text, _ = decode(body, content_type if header_charset(content_type) else "")
                yield Candidate(FeedItem(url=url, title="", published=published), html=text)
        except ArchiveLoadFailed as error:
            yield Candidate(FeedItem(url=file.as_uri(), title=file.name), error=f"not a readable WARC file: {error}")

"""Local sources for archives: a file or a directory of HTML pages, text files, JSONL records,
WARC files and feed files. The documents are read by `entrelignes.documents.read_records`, the
reader of the file commands and of `entrelignes backfill`, so a file one takes the others take:

- `.html`/`.htm`/`.xhtml`: one article page (its `<link rel=canonical>` gives the article's URL);
- `.txt`/`.md`: one article, the first non-empty line is the title;
- `.jsonl`: one article per line: {"url", "title", "text" or "html", "published", "author", ...};
- `.warc`, `.warc.gz`: every 2xx HTML response (or HTML resource record) is an article page;
- `.xml`, `.rss`, `.atom`, `.json`, `.xml.gz`: a feed whose items may be local files.

Everything is streamed: a directory of 100,000 files or a 10 GB WARC never sits in memory.
A file source "has not changed" (like an HTTP 304) when its signature — modification times
and sizes — is the one stored at the previous poll.
"""

from __future__ import annotations

import html as html_lib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from entrelignes.documents import HTML_SUFFIXES, JSONL_SUFFIXES, TEXT_SUFFIXES, WARC_SUFFIXES, Record, document_files, read_records
from entrelignes.ingest.feeds import parse_date
from entrelignes.records import FeedItem

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
    for kind, suffixes in (("warc", WARC_SUFFIXES), ("page", HTML_SUFFIXES), ("text", TEXT_SUFFIXES), ("jsonl", JSONL_SUFFIXES), ("feed", FEED_SUFFIXES)):
        if name.endswith(suffixes):
            return kind
    return "unknown"


def _files(path: Path) -> Iterator[Path]:
    if path.is_dir():
        yield from document_files(path)
    else:
        yield path


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
        if kind == "feed":
            yield file
        elif kind in ("page", "text", "jsonl", "warc"):
            try:
                with file.open("rb") as stream:
                    for record in read_records(stream, file.name, max_bytes):
                        yield _candidate(file, kind, record)
            except OSError as error:
                yield Candidate(FeedItem(url=file.as_uri(), title=file.name), error=f"cannot read {file}: {error.strerror or error}")


def _candidate(file: Path, kind: str, record: Record) -> Candidate:
    """The candidate for one record of `file`; errors name the file (and the JSONL line)."""
    if not record.position:  # the file as a whole: a page, a text, or a file that cannot be read
        title = file.name if record.error else record.title or (file.stem if kind == "text" else "")
        item = FeedItem(url=file.as_uri(), title=title)
        where = ""
    elif kind == "jsonl":
        item = FeedItem(url=record.url or f"{file.as_uri()}#line-{record.position}", title=record.title,
                        published=parse_date(record.published), author=record.author)
        where = f" line {record.position}"
    else:  # a WARC page, or the broken record where a WARC file stops being readable
        item = FeedItem(url=record.url or file.as_uri(), title="" if record.url else file.name, published=parse_date(record.published))
        where = ""
    if record.error:
        return Candidate(item, error=f"{file.name}{where}: {record.error}")
    if record.html:  # preferred to a record's text: a page keeps its metadata and links
        return Candidate(item, html=record.html)
    body = record.text if record.position else record.text.strip().partition("\n")[2].strip()  # a text file's first line is its title
    return Candidate(item, html=text_to_html(item.title, body))

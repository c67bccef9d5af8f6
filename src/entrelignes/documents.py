"""Documents in files, read one way for every command: plain text, HTML, JSONL records, CSV
rows and WARC pages.

`read_records(stream, name)` is the one reader, for the file commands and for the desk's local
sources (entrelignes.ingest.local): it gives the documents a file holds, by its name's suffix, as
`Record`s (title, text or raw HTML, URL, date, ...), a bad one as a Record with an `error`, and
never extracts or analyses. Text and HTML are decoded as fetched pages are (declared charset,
else detection), so a Latin-1 file keeps its accents. `read_documents(path)` builds on it for
`entrelignes analyze FILE...` (HTML extracted, ids required of records); `entrelignes backfill`
(entrelignes.scale.archives) builds on it for archives, adding zip files, directories and
stable ids. `document_files(directory)` is the one walk over a directory of documents. Each
input gives documents or a clear error, and one bad input never stops the others. Extraction
is imported only when needed: reading is cheap I/O (in a Ray reading task, say) and stays so.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, TYPE_CHECKING
from urllib.parse import urlsplit

from entrelignes.encoding import decode

if TYPE_CHECKING:
    from entrelignes.stories import StoryInput

TEXT_SUFFIXES = (".txt", ".text", ".md")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
JSONL_SUFFIXES = (".jsonl", ".ndjson")
WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
RECORD_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + JSONL_SUFFIXES + WARC_SUFFIXES + (".csv",)
MAX_DOCUMENT_BYTES = 20_000_000  # one text or page larger than this is not an article

# fields accepted in JSONL records and CSV columns, first match wins
ID_FIELDS = ("id", "article_id", "doc_id")
TITLE_FIELDS = ("title", "headline")
TEXT_FIELDS = ("text", "body", "content")
HTML_FIELDS = ("html", "content_html")
URL_FIELDS = ("url", "article_source_link", "link", "source_url")
DATE_FIELDS = ("published", "publish_date", "date", "published_at")
OUTLET_FIELDS = ("outlet", "source", "site")
AUTHOR_FIELDS = ("author",)


@dataclass(frozen=True)
class Record:
    """One document as a file holds it, before extraction.

    `position`: 0 for a file that is one document, else the line, row or WARC record number.
    `id`: the id the record gives (a WARC response: its URL), "" when none.
    `where`: the record's place in the file ("line:3", "row:2", the WARC record number), ""
    for a file that is one document. A page to extract has `html` and no `text`; a record
    may give both, and each reader picks the one it prefers."""

    position: int
    id: str = ""
    where: str = ""
    title: str = ""
    text: str = ""
    html: str = ""
    url: str = ""
    published: str = ""
    language: str = ""
    outlet: str = ""
    author: str = ""
    error: str = ""


# What a folder of documents holds beside them about itself: never a document, whatever its suffix
FOLDER_NOTES = frozenset({"readme", "license", "licence", "copying", "notice", "authors", "changelog", "changes", "contributing"})


def document_files(directory: Path) -> Iterator[Path]:
    """Every file under `directory` that may hold documents, in a stable order (a folder's files,
    then its sub-folders', each sorted), streamed: hidden files and folders (".git") and the
    folder's own notes (README.md, LICENSE, ...) are passed over."""
    for root, folders, files in os.walk(directory):
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and name.split(".", 1)[0].lower() not in FOLDER_NOTES:
                yield Path(root) / name


def suffix_of(name: str) -> str:
    """The suffix that says how a file is read (".warc.gz" whole), lower case."""
    lower = name.lower()
    for suffix in sorted(RECORD_SUFFIXES, key=len, reverse=True):
        if lower.endswith(suffix):
            return suffix
    return Path(lower).suffix


def decode_document(raw: bytes, content_type: str = "") -> str:
    """Bytes of a text or HTML document as str, the way fetched pages are decoded (BOM, declared
    charset, detection: a Latin-1 file keeps its accents), or a ValueError for binary data."""
    text, _ = decode(raw, content_type)
    if "\x00" in text[:4096]:  # after decoding, so that UTF-16 with a BOM is still text
        raise ValueError("binary data, not text")
    return text


def read_records(stream: IO[bytes], name: str, max_bytes: int = MAX_DOCUMENT_BYTES) -> Iterator[Record]:
    """The documents in one open file named `name`, in order: a JSONL file gives one per line,
    a CSV one per row, a WARC one per HTML page, any other file one (HTML for .html/.htm/.xhtml,
    text otherwise). A document (page, text, JSONL line, WARC record) larger than `max_bytes` is
    an error. Streamed: a file may be as large as you like."""
    suffix = suffix_of(name)
    try:
        if suffix in JSONL_SUFFIXES:
            yield from _jsonl(stream, max_bytes)
        elif suffix == ".csv":
            yield from _csv(stream)
        elif suffix in WARC_SUFFIXES:
            yield from _warc(stream, max_bytes)
        else:
            yield _single(stream, max_bytes, html=suffix in HTML_SUFFIXES)
    except (OSError, csv.Error, UnicodeDecodeError) as error:
        yield Record(0, error=f"unreadable: {error}")


def _too_large(max_bytes: int) -> str:
    return f"larger than {max_bytes} bytes"


def _single(stream: IO[bytes], max_bytes: int, *, html: bool) -> Record:
    raw = stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        return Record(0, error=_too_large(max_bytes))
    try:
        content = decode_document(raw)
    except ValueError as error:
        return Record(0, error=str(error))
    if html:
        return Record(0, html=content)
    first_line = content.strip().partition("\n")[0]
    return Record(0, title=first_line.lstrip("# ").strip(), text=content)  # the first line (a Markdown heading too) is the title


def _first(record: dict, fields: Sequence[str]) -> str:
    for name in fields:
        value = record.get(name)
        if value not in (None, ""):
            return str(value)
    return ""


def _from_fields(position: int, where: str, record: dict) -> Record:
    url = _first(record, URL_FIELDS)
    fields = dict(
        id=_first(record, ID_FIELDS), where=where, title=_first(record, TITLE_FIELDS), url=url,
        published=_first(record, DATE_FIELDS)[:40], language=str(record.get("language") or ""),
        outlet=_first(record, OUTLET_FIELDS) or (urlsplit(url).hostname or "" if url else ""),
        author=_first(record, AUTHOR_FIELDS),
    )
    text, html = _first(record, TEXT_FIELDS), _first(record, HTML_FIELDS)
    if not text and not html:
        return Record(position, error='missing "text" or "html"', **fields)
    return Record(position, text=text, html=html, **fields)


def _jsonl(stream: IO[bytes], max_bytes: int) -> Iterator[Record]:
    """{"id", "title", "text" or "html", "url", "published", "language", "outlet", "author"} per
    line (JSON is UTF-8)."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        where = f"line:{number}"
        if len(line) > max_bytes:
            yield Record(number, where=where, error=_too_large(max_bytes))
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
            yield Record(number, where=where, error=f"invalid JSON ({error})")
            continue
        if not isinstance(record, dict):
            yield Record(number, where=where, error="expected a JSON object")
            continue
        yield _from_fields(number, where, record)


def _csv(stream: IO[bytes]) -> Iterator[Record]:
    """A header row, then id, title, text (or body), url, published, language, outlet."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    reader = csv.DictReader(io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict", newline=""))
    for number, record in enumerate(reader, start=1):
        yield _from_fields(number, f"row:{number}", {k.strip().lower(): v for k, v in record.items() if k})


def _warc(stream: IO[bytes], max_bytes: int) -> Iterator[Record]:
    """Each web page of a WARC (or ARC) file, with its target URI and capture date: an HTML
    response with status 2xx, or an HTML resource record (a page stored without HTTP headers,
    its content type in the WARC header)."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    position = 0
    try:
        for record in ArchiveIterator(stream, arc2warc=True):
            if record.rec_type not in ("response", "resource"):
                continue
            position += 1
            url = record.rec_headers.get_header("WARC-Target-URI") or ""
            if not url.startswith(("http://", "https://")):
                continue  # dns:, urn: ... records are not pages
            http = record.http_headers
            content_type = (http if http is not None else record.rec_headers).get_header("Content-Type") or ""
            status = http.get_statuscode() if http is not None else "200"
            if "html" not in content_type.lower() or not str(status).startswith("2"):
                continue
            fields = dict(id=url, where=str(position), url=url, outlet=urlsplit(url).hostname or "",
                          published=record.rec_headers.get_header("WARC-Date") or "")
            body = record.content_stream().read(max_bytes + 1)
            if len(body) > max_bytes:
                yield Record(position, error=_too_large(max_bytes), **fields)
                continue
            try:
                yield Record(position, html=decode_document(body, content_type), **fields)
            except ValueError as error:
                yield Record(position, error=str(error), **fields)
    except ArchiveLoadFailed as error:
        yield Record(position + 1, where=str(position + 1), error=f"broken WARC record: {error}")


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    text: str
    language: str = ""


@dataclass(frozen=True)
class DocumentError:
    id: str  # the file, or file:line for a JSONL record
    reason: str


def read_documents(path: Path) -> Iterator[Document | DocumentError]:
    """The documents in one file, ready to analyse: HTML extracted; a record (JSONL line, CSV
    row) must give its id, a file that is one document is named by its file name."""
    from entrelignes.extract import ExtractionError, extract_page

    try:
        stream = path.open("rb")
    except OSError as error:
        yield DocumentError(str(path), str(error))
        return
    with stream:
        for record in read_records(stream, path.name):
            where = f"{path}:{record.position}" if record.position else str(path)
            id_ = record.id if record.position else path.stem
            if record.error:
                yield DocumentError(where, record.error)
            elif not id_:
                yield DocumentError(where, 'missing "id" (a string or a number)')
            elif record.html and not record.text:
                try:
                    page = extract_page(record.html, record.url or f"file:{id_}")
                except ExtractionError as error:
                    yield DocumentError(where, str(error))
                    continue
                yield Document(id_, record.title or page.title, page.text, record.language or page.language)
            else:
                yield Document(id_, record.title, record.text, record.language)


def read_story_inputs(path: Path) -> list[StoryInput]:
    """Records for `entrelignes cluster`: JSONL with id, title, text, published (ISO 8601), source."""
    from entrelignes.stories import StoryInput  # the stories stage's numerical imports, only when clustering

    inputs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            published = datetime.fromisoformat(str(record["published"]))
            inputs.append(
                StoryInput(
                    id=str(record["id"]),
                    title=str(record.get("title") or ""),
                    text=str(record.get("text") or ""),
                    published=published if published.tzinfo else published.replace(tzinfo=timezone.utc),
                    source=str(record.get("source") or ""),
                    language=str(record.get("language") or ""),
                )
            )
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"line {number}: {error!s} (expected id, title, text, published, source)") from None
    return inputs

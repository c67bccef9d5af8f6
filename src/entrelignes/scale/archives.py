"""Archives as streams of documents: JSONL, WARC, CSV, zip files and directories of HTML/text.

An archive argument is split into *units* (one file, or one member of a zip), listed in a fixed
order; each unit is read into *raw documents* (plain dicts, so they travel between processes
and into Ray as they are). Reading is cheap I/O: HTML is carried raw and extracted by the
workers, beside the analysis, so the expensive steps are the parallel ones.

Text files, JSONL records and their fields follow `entrelignes.documents` (what `entrelignes
analyze FILE` reads), so a file that command takes is an archive this one takes.

Every raw document has a stable `article_id`: the hash of its URL when it has one (as the live
desk keys articles), else of its place in the archive (`source#doc_id`). The same archive read
twice gives the same ids in the same order, which is what lets a rerun skip what is stored and
any engine give the same output. A document that cannot be read is a raw document with an
`error`: it is reported, never fatal.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import json
import re
import sys
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

from entrelignes.documents import decode_text
from entrelignes.records import article_id

TEXT_SUFFIXES = (".txt", ".text")
HTML_SUFFIXES = (".html", ".htm")
WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
SUPPORTED = TEXT_SUFFIXES + HTML_SUFFIXES + WARC_SUFFIXES + (".jsonl", ".csv", ".zip")
MAX_DOCUMENT_BYTES = 20_000_000  # one text or page larger than this is not an article

# columns accepted in CSV files and JSONL records, first match wins
ID_FIELDS = ("id", "article_id", "doc_id")
TITLE_FIELDS = ("title", "headline")
TEXT_FIELDS = ("text", "body", "content")
URL_FIELDS = ("url", "article_source_link", "link", "source_url")
DATE_FIELDS = ("published", "publish_date", "date", "published_at")
OUTLET_FIELDS = ("outlet", "source", "site")

_DATE_IN_NAME = re.compile(r"(?<!\d)(19\d\d|20\d\d)[-_](0[1-9]|1[0-2])[-_](0[1-9]|[12]\d|3[01])(?!\d)")


class ArchiveError(ValueError):
    """An archive argument that cannot be used at all (missing, unsupported)."""


@dataclass(frozen=True)
class Unit:
    """One readable piece of an archive: a file, or a member of a zip file."""

    path: str  # absolute path of the file on disk
    source: str  # its name in the output: relative to the archive argument, prefixed by its name
    member: str = ""  # inside a zip

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def _suffix(name: str) -> str:
    lower = name.lower()
    for suffix in sorted(SUPPORTED, key=len, reverse=True):
        if lower.endswith(suffix):
            return suffix
    return Path(lower).suffix


def list_units(archives: Sequence[Path | str], include: Sequence[str] = ()) -> list[Unit]:
    """The units of the given archives, in a fixed order (arguments in order, files sorted).

    `include`: glob patterns on the path relative to a directory argument (e.g. "*/*/*.txt");
    without them every supported file is taken."""
    units: list[Unit] = []
    for archive in archives:
        path = Path(archive).expanduser()
        if not path.exists():
            raise ArchiveError(f"{archive}: no such file or directory")
        if path.is_dir():
            base = path.resolve()
            found = sorted(p for p in base.rglob("*") if p.is_file() and _suffix(p.name) in SUPPORTED)
            for file in found:
                relative = file.relative_to(base).as_posix()
                if include and not any(fnmatch.fnmatch(relative, pattern) for pattern in include):
                    continue
                units.extend(_file_units(file, f"{base.name}/{relative}"))
        else:
            if _suffix(path.name) not in SUPPORTED:
                raise ArchiveError(f"{archive}: unsupported archive (expected {', '.join(SUPPORTED)} or a directory)")
            units.extend(_file_units(path.resolve(), path.name))
    return units


def _file_units(path: Path, source: str) -> list[Unit]:
    if _suffix(path.name) != ".zip":
        return [Unit(str(path), source)]
    try:
        with zipfile.ZipFile(path) as archive:
            names = sorted(n for n in archive.namelist() if not n.endswith("/") and _suffix(n) in SUPPORTED and _suffix(n) != ".zip")
    except (OSError, zipfile.BadZipFile) as error:
        return [Unit(str(path), source, member=f"!{error}")]  # reported when read
    return [Unit(str(path), f"{source}/{name}", member=name) for name in names]


def _raw(unit: Unit, position: int, doc_id: str, *, title: str = "", text: str = "", html: str = "", url: str = "",
         published: str = "", language: str = "", outlet: str = "", error: str = "") -> dict[str, object]:
    key = article_id(url) if url else article_id(f"archive:{unit.source}#{doc_id}")
    return {
        "article_id": key, "source": unit.source, "position": position, "doc_id": doc_id, "url": url,
        "outlet": outlet, "published": published or _date_from_name(unit.source), "title": title,
        "text": text, "html": html, "language": language, "error": error,
    }


def _date_from_name(name: str) -> str:
    """A date written in the file name (2018_03_24-001.txt), as YYYY-MM-DD; "" when none."""
    found = _DATE_IN_NAME.search(name.rsplit("/", 1)[-1]) or _DATE_IN_NAME.search(name)
    return "-".join(found.groups()) if found else ""


def _first(record: dict, fields: Sequence[str]) -> str:
    for name in fields:
        value = record.get(name)
        if value not in (None, ""):
            return str(value)
    return ""


def _open(unit: Unit) -> io.BufferedIOBase:
    if unit.member:
        archive = zipfile.ZipFile(unit.path)
        return archive.open(unit.member)
    return open(unit.path, "rb")


def read_unit(unit: Unit | dict) -> Iterator[dict[str, object]]:
    """The raw documents of one unit, in order; unreadable ones carry an `error`."""
    unit = unit if isinstance(unit, Unit) else Unit(**unit)
    name = unit.member or unit.path
    if unit.member.startswith("!"):
        yield _raw(unit, 0, unit.source, error=f"not a readable zip file: {unit.member[1:]}")
        return
    suffix = _suffix(name)
    try:
        if suffix == ".jsonl":
            yield from _read_jsonl(unit)
        elif suffix == ".csv":
            yield from _read_csv(unit)
        elif suffix in WARC_SUFFIXES:
            yield from _read_warc(unit)
        else:
            yield from _read_file(unit, suffix)
    except (OSError, zipfile.BadZipFile, csv.Error) as error:
        yield _raw(unit, 0, unit.source, error=f"unreadable: {error}")


def _read_file(unit: Unit, suffix: str) -> Iterator[dict[str, object]]:
    doc_id = unit.source.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    with _open(unit) as stream:
        raw = stream.read(MAX_DOCUMENT_BYTES + 1)
    if len(raw) > MAX_DOCUMENT_BYTES:
        yield _raw(unit, 0, doc_id, error=f"larger than {MAX_DOCUMENT_BYTES // 1_000_000} MB")
        return
    try:
        content = decode_text(raw)
    except ValueError as error:
        yield _raw(unit, 0, doc_id, error=str(error))
        return
    if suffix in HTML_SUFFIXES:
        yield _raw(unit, 0, doc_id, html=content)  # extracted by the workers
        return
    # as entrelignes.documents reads a text file: the first line is the title. (Not imported from
    # there: it pulls in the stories stage, seconds of imports in every Ray reading process.)
    title = content.strip().partition("\n")[0].strip()
    yield _raw(unit, 0, doc_id, title=title, text=content)


def _read_jsonl(unit: Unit) -> Iterator[dict[str, object]]:
    """One document per line, {"id", "title", "text" or "html", "url", "published", "language"},
    as `entrelignes analyze` reads them; streamed, so a file may be as large as you like."""
    with _open(unit) as stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            where = f"line:{number}"
            try:
                record = json.loads(decode_text(line))
                if not isinstance(record, dict):
                    raise ValueError("expected a JSON object")
            except ValueError as error:
                yield _raw(unit, number, where, error=str(error))
                continue
            yield _from_record(unit, number, record, where)


def _from_record(unit: Unit, position: int, record: dict, fallback_id: str) -> dict[str, object]:
    doc_id = _first(record, ID_FIELDS) or fallback_id
    fields = dict(
        title=_first(record, TITLE_FIELDS), url=_first(record, URL_FIELDS), published=_first(record, DATE_FIELDS)[:40],
        language=str(record.get("language") or ""), outlet=_first(record, OUTLET_FIELDS),
    )
    if not fields["outlet"] and fields["url"]:
        fields["outlet"] = urlsplit(fields["url"]).hostname or ""
    text, html = _first(record, TEXT_FIELDS), str(record.get("html") or "")
    if not text and not html:
        return _raw(unit, position, doc_id, error='missing "text" or "html"', **fields)
    return _raw(unit, position, doc_id, text=text, html="" if text else html, **fields)


def _read_csv(unit: Unit) -> Iterator[dict[str, object]]:
    """A CSV with a header row: id, title, text (or body), url, published, language, outlet."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with _open(unit) as stream:
        reader = csv.DictReader(io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict", newline=""))
        for number, record in enumerate(reader, start=1):
            yield _from_record(unit, number, {k.strip().lower(): v for k, v in record.items() if k}, f"row:{number}")


def _read_warc(unit: Unit) -> Iterator[dict[str, object]]:
    """Each HTML response of a WARC (or ARC) file, with its target URI and date."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    with _open(unit) as stream:
        position = 0
        try:
            for record in ArchiveIterator(stream, arc2warc=True):
                if record.rec_type != "response":
                    continue
                position += 1
                url = record.rec_headers.get_header("WARC-Target-URI") or ""
                doc_id = url or str(position)
                content_type = (record.http_headers.get_header("Content-Type") if record.http_headers else "") or ""
                if "html" not in content_type.lower():
                    continue
                status = record.http_headers.get_statuscode() if record.http_headers else "200"
                if not str(status).startswith("2"):
                    continue
                body = record.content_stream().read(MAX_DOCUMENT_BYTES + 1)
                published = (record.rec_headers.get_header("WARC-Date") or "")[:10]
                if len(body) > MAX_DOCUMENT_BYTES:
                    yield _raw(unit, position, doc_id, url=url, error=f"larger than {MAX_DOCUMENT_BYTES // 1_000_000} MB")
                    continue
                outlet = urlsplit(url).hostname or ""
                yield _raw(unit, position, doc_id, url=url, published=published, outlet=outlet, html=_decode_html(body, content_type))
        except ArchiveLoadFailed as error:
            yield _raw(unit, position + 1, str(position + 1), error=f"broken WARC record: {error}")


def _decode_html(body: bytes, content_type: str) -> str:
    found = re.search(r"charset=([\w-]+)", content_type, re.I)
    for encoding in ([found.group(1)] if found else []) + ["utf-8"]:
        try:
            return body.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("cp1252", errors="replace")


def read_archives(archives: Sequence[Path | str], include: Sequence[str] = ()) -> Iterator[dict[str, object]]:
    """Every raw document of the archives, in order (what each engine reads)."""
    for unit in list_units(archives, include):
        yield from read_unit(unit)

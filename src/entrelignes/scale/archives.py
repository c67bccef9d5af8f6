"""Archives as streams of documents: JSONL, WARC, CSV, zip files and directories of HTML/text.

An archive argument is split into *units* (one file, or one member of a zip), listed in a fixed
order; each unit is read into *raw documents* (plain dicts, so they travel between processes
and into Ray as they are). The files themselves are read by `entrelignes.documents.read_records`,
the reader `entrelignes analyze FILE` uses too: a file that command takes is an archive this one
takes. Reading is cheap I/O: HTML is carried raw and extracted by the workers, beside the
analysis, so the expensive steps are the parallel ones.

Every raw document has a stable `article_id`: the hash of its URL when it has one (as the live
desk keys articles), else of its place in the archive (`source#doc_id`). The same archive read
twice gives the same ids in the same order, which is what lets a rerun skip what is stored and
any engine give the same output. A document that cannot be read is a raw document with an
`error`: it is reported, never fatal.
"""

from __future__ import annotations

import fnmatch
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from entrelignes.documents import RECORD_SUFFIXES, Record, document_files, read_records, suffix_of
from entrelignes.records import article_id

SUPPORTED = RECORD_SUFFIXES + (".zip",)

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


def list_units(archives: Sequence[Path | str], include: Sequence[str] = ()) -> list[Unit]:
    """The units of the given archives, in a fixed order (arguments in order, a directory's files
    in `document_files` order: its README, LICENSE and hidden files are not documents).

    `include`: glob patterns on the path relative to a directory argument (e.g. "*/*/*.txt");
    without them every supported file is taken."""
    units: list[Unit] = []
    for archive in archives:
        path = Path(archive).expanduser()
        if not path.exists():
            raise ArchiveError(f"{archive}: no such file or directory")
        if path.is_dir():
            base = path.resolve()
            for file in document_files(base):
                if suffix_of(file.name) not in SUPPORTED:
                    continue
                relative = file.relative_to(base).as_posix()
                if include and not any(fnmatch.fnmatch(relative, pattern) for pattern in include):
                    continue
                units.extend(_file_units(file, f"{base.name}/{relative}"))
        else:
            if suffix_of(path.name) not in SUPPORTED:
                raise ArchiveError(f"{archive}: unsupported archive (expected {', '.join(SUPPORTED)} or a directory)")
            units.extend(_file_units(path.resolve(), path.name))
    return units


def _file_units(path: Path, source: str) -> list[Unit]:
    if suffix_of(path.name) != ".zip":
        return [Unit(str(path), source)]
    try:
        with zipfile.ZipFile(path) as archive:
            names = sorted(n for n in archive.namelist() if not n.endswith("/") and suffix_of(n) in SUPPORTED and suffix_of(n) != ".zip")
    except (OSError, zipfile.BadZipFile) as error:
        return [Unit(str(path), source, member=f"!{error}")]  # reported when read
    return [Unit(str(path), f"{source}/{name}", member=name) for name in names]


def _raw(unit: Unit, record: Record) -> dict[str, object]:
    doc_id = record.id or record.where or unit.source.rsplit("/", 1)[-1].rsplit(".", 1)[0]  # a file: its name
    key = article_id(record.url) if record.url else article_id(f"archive:{unit.source}#{doc_id}")
    return {
        "article_id": key, "source": unit.source, "position": record.position, "doc_id": doc_id, "url": record.url,
        "outlet": record.outlet, "published": record.published or _date_from_name(unit.source), "title": record.title,
        "text": record.text, "html": "" if record.text else record.html, "language": record.language, "error": record.error,
    }  # a record giving both text and html is analysed on its text, as `entrelignes analyze` does


def _date_from_name(name: str) -> str:
    """A date written in the file name (2018_03_24-001.txt), as YYYY-MM-DD; "" when none."""
    found = _DATE_IN_NAME.search(name.rsplit("/", 1)[-1]) or _DATE_IN_NAME.search(name)
    return "-".join(found.groups()) if found else ""


def _open(unit: Unit) -> IO[bytes]:
    if unit.member:
        return zipfile.ZipFile(unit.path).open(unit.member)
    return open(unit.path, "rb")


def read_unit(unit: Unit | dict) -> Iterator[dict[str, object]]:
    """The raw documents of one unit, in order; unreadable ones carry an `error`."""
    unit = unit if isinstance(unit, Unit) else Unit(**unit)
    if unit.member.startswith("!"):
        yield _raw(unit, Record(0, where=unit.source, error=f"not a readable zip file: {unit.member[1:]}"))
        return
    try:
        with _open(unit) as stream:
            for record in read_records(stream, unit.member or unit.path):
                yield _raw(unit, record)
    except (OSError, zipfile.BadZipFile) as error:
        yield _raw(unit, Record(0, where=unit.source, error=f"unreadable: {error}"))


def read_archives(archives: Sequence[Path | str], include: Sequence[str] = ()) -> Iterator[dict[str, object]]:
    """Every raw document of the archives, in order (what each engine reads)."""
    for unit in list_units(archives, include):
        yield from read_unit(unit)

"""Local documents for the file-based commands: plain text, HTML, and JSONL records.

`entrelignes analyze FILE...` reads these; each input gives documents or a clear error, and one
bad input never stops the others.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from entrelignes.extract import ExtractionError, extract_page

if TYPE_CHECKING:
    from entrelignes.stories import StoryInput

MAX_FILE_BYTES = 50_000_000


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


def decode_text(raw: bytes) -> str:
    """Bytes of a text document as str, or a ValueError saying why they are not text."""
    if b"\x00" in raw[:4096]:
        raise ValueError("binary data, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"not UTF-8 text (byte {error.start})") from None


def _from_html(html: str, id_: str, url: str = "") -> Document:
    extracted = extract_page(html, url or f"file:{id_}")
    return Document(id_, extracted.title, extracted.text, extracted.language)


def _from_record(record: object, where: str) -> Document:
    if not isinstance(record, dict):
        raise ValueError("expected a JSON object")
    id_ = record.get("id")
    if not isinstance(id_, (str, int)) or isinstance(id_, bool):
        raise ValueError('missing "id" (a string or a number)')
    title, language = str(record.get("title") or ""), str(record.get("language") or "")
    if isinstance(record.get("text"), str):
        return Document(str(id_), title, record["text"], language)
    if isinstance(record.get("html"), str):
        document = _from_html(record["html"], str(id_), str(record.get("url") or ""))
        return Document(document.id, title or document.title, document.text, language or document.language)
    raise ValueError('missing "text" or "html"')


def read_documents(path: Path) -> Iterator[Document | DocumentError]:
    """The documents in one file: a JSONL file gives one per line, an HTML or text file one."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            yield DocumentError(str(path), f"file larger than {MAX_FILE_BYTES // 1_000_000} MB")
            return
        content = decode_text(path.read_bytes())
    except (OSError, ValueError) as error:
        yield DocumentError(str(path), str(error))
        return
    if path.suffix == ".jsonl":
        for number, line in enumerate(content.splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                yield _from_record(json.loads(line), where)
            except (ValueError, ExtractionError) as error:
                yield DocumentError(where, str(error))
        return
    try:
        if path.suffix.lower() in (".html", ".htm"):
            yield _from_html(content, path.stem)
        else:
            title, _, _ = content.strip().partition("\n")
            yield Document(path.stem, title.strip(), content)
    except ExtractionError as error:
        yield DocumentError(str(path), str(error))


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

"""The few records that travel between stages.

Stages never reach into each other's internals: they hand these records over, directly or
through the store. All are frozen dataclasses; `to_dict` gives the JSON shape used by the
file-based commands (`entrelignes analyze`, `entrelignes cluster`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

SpeakerType = Literal["person", "organization", "anonymous", "none"]
QuoteType = Literal["direct", "indirect", "mixed"]
AttributionKind = Literal["person", "organization", "anonymous", "outlet", "unsourced"]
Slot = Literal["morning", "evening"]


def to_dict(record: Any) -> dict[str, Any]:
    """A record as plain JSON-ready data (datetimes as ISO 8601 strings)."""

    def convert(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, (list, tuple)):
            return [convert(v) for v in value]
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        return value

    return {k: convert(v) for k, v in dataclasses.asdict(record).items()}


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed, before its page is fetched."""

    url: str
    title: str
    published: datetime | None = None
    summary: str = ""
    content_html: str = ""  # full content when the feed carries it
    author: str = ""


@dataclass(frozen=True)
class Page:
    """A fetched document: what came over the wire (or from a file), decoded to text."""

    url: str
    html: str
    final_url: str = ""
    fetched_at: datetime | None = None


@dataclass(frozen=True)
class Extracted:
    """Main text and metadata of one article page."""

    url: str  # canonical URL
    title: str
    text: str
    language: str  # ISO 639-1 code, "" when unknown
    published: datetime | None = None
    author: str = ""
    boilerplate: tuple[str, ...] = ()  # passages removed from text as site boilerplate


@dataclass(frozen=True)
class Quote:
    quote: str
    type: QuoteType
    speaker: str | None
    speaker_type: SpeakerType
    cue: str
    start: int  # character offsets into the article text
    end: int
    role: str | None = None


@dataclass(frozen=True)
class Entity:
    text: str
    label: str  # PER, ORG, LOC, MISC (spaCy labels)
    start: int
    end: int


@dataclass(frozen=True)
class Attribution:
    kind: AttributionKind
    text: str  # the attribution phrase as written
    start: int
    end: int
    speaker: str | None = None


@dataclass(frozen=True)
class Analysis:
    """What the analysis stage reads between the lines of one article."""

    id: str
    title: str
    language: str
    text: str  # cleaned text; every offset below indexes into it
    quotes: list[Quote] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    attributions: list[Attribution] = field(default_factory=list)
    boilerplate: list[str] = field(default_factory=list)
    sourcing: dict[str, float] = field(default_factory=dict)  # share of sentences per kind
    notices: list[str] = field(default_factory=list)  # e.g. "no spaCy model for 'de'"


def article_id(canonical_url: str) -> str:
    """An article's key: the same canonical URL always gives the same id, on every machine."""
    import hashlib

    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:24]

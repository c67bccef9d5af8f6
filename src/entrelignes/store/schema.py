"""The tables. Alembic migrations in `migrations/` create them; this module is their Python face.

Keys are chosen so that running any stage twice changes nothing: an article's id is a hash of
its canonical URL, an edition's id is its date and slot, a delivery's key is
(edition, channel, part, recipient).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes stored as UTC; SQLite forgets the offset, so it is restored on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the store only keeps timezone-aware times")
        from datetime import timezone

        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        from datetime import timezone

        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    site_url: Mapped[str] = mapped_column(String(2000), default="")
    language: Mapped[str] = mapped_column(String(16), default="")
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    poll_interval: Mapped[int] = mapped_column(Integer, default=900)  # seconds
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    fetch_full_page: Mapped[bool] = mapped_column(Boolean, default=True)
    selector: Mapped[str] = mapped_column(String(500), default="")
    # conditional GET and health
    etag: Mapped[str] = mapped_column(String(500), default="")
    last_modified: Mapped[str] = mapped_column(String(200), default="")
    last_status: Mapped[str] = mapped_column(String(100), default="")
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_polled_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(nullable=True)
    next_poll_at: Mapped[datetime | None] = mapped_column(nullable=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    polls: Mapped[int] = mapped_column(Integer, default=0)
    not_modified: Mapped[int] = mapped_column(Integer, default=0)
    items_seen: Mapped[int] = mapped_column(Integer, default=0)
    extraction_failures: Mapped[int] = mapped_column(Integer, default=0)
    total_latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    # "config" (the config file), "cli" (the operator's shell) or "web" (untrusted: never
    # fetched from private, loopback, link-local or multicast addresses, nor file://)
    origin: Mapped[str] = mapped_column(String(16), default="config", server_default="config")
    # the URL as first given: a permanent redirect moves `url`, the config file keeps this one
    added_url: Mapped[str] = mapped_column(String(2000), default="", server_default="", index=True)


class FeedItemState(Base):
    """What ingestion already did with one feed item (keyed by its canonical item URL), so a
    page is fetched once: stored (article_id set) or given up after a few failed attempts."""

    __tablename__ = "feed_items"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)  # article_id(canonical item URL)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), nullable=True, index=True)
    url: Mapped[str] = mapped_column(String(2000))
    article_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    first_seen_at: Mapped[datetime]
    last_attempt_at: Mapped[datetime | None] = mapped_column(nullable=True)


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # hash of the canonical URL
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"), nullable=True, index=True)
    outlet: Mapped[str] = mapped_column(String(300), default="")
    url: Mapped[str] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(16), default="")
    author: Mapped[str] = mapped_column(String(500), default="")
    published_at: Mapped[datetime] = mapped_column(index=True)
    fetched_at: Mapped[datetime]
    boilerplate: Mapped[list[Any]] = mapped_column(JSON, default=list)


class Analysis(Base):
    __tablename__ = "analyses"

    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # records.Analysis as a dict
    analyzed_at: Mapped[datetime]


class StoryMember(Base):
    __tablename__ = "story_members"

    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    story_id: Mapped[str] = mapped_column(String(64), index=True)
    duplicate_of: Mapped[str | None] = mapped_column(String(32), nullable=True)


class StoryState(Base):
    """The story clusterer's open window after the last clustering run (stories.StoryClusterer
    .to_state), saved with the story rows it produced, so the next run feeds only new articles."""

    __tablename__ = "story_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    saved_at: Mapped[datetime]


class Edition(Base):
    __tablename__ = "editions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # "2026-03-12-morning"
    date: Mapped[str] = mapped_column(String(10), index=True)
    slot: Mapped[str] = mapped_column(String(16))
    built_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="built")  # built | approved | published
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # the frozen edition, as rendered


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("edition_id", "channel", "part", "recipient"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    edition_id: Mapped[str] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    part: Mapped[int] = mapped_column(Integer)
    recipient: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    external_id: Mapped[str] = mapped_column(String(200), default="")  # e.g. Telegram message id
    digest: Mapped[str] = mapped_column(String(64), default="", server_default="")  # hash of the content sent, to spot corrections
    error: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime]


class Subscriber(Base):
    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    slots: Mapped[list[Any]] = mapped_column(JSON, default=list)  # ["morning", "evening"]
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | active | unsubscribed | disabled
    failures: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None] = mapped_column(nullable=True)


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class User(Base):
    """An editor of the desk (the web app's only accounts; readers never log in)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))  # argon2id, encoded with its parameters
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None] = mapped_column(nullable=True)


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None] = mapped_column(nullable=True)


# The outlet pages read one outlet's newest articles (web).
Index("ix_articles_outlet_published", Article.outlet, Article.published_at)

"""Email subscribers: the queries behind subscriptions and delivery (the flow lives in
`publish.subscriptions`)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from entrelignes.store.schema import Subscriber


def get_by_email(session: Session, email: str) -> Subscriber | None:
    return session.scalar(select(Subscriber).where(Subscriber.email == email))


def get_or_create(session: Session, email: str, *, now: datetime | None = None) -> Subscriber:
    subscriber = get_by_email(session, email)
    if subscriber is None:
        subscriber = Subscriber(email=email, slots=[], status="pending", failures=0, created_at=now or datetime.now(timezone.utc))
        session.add(subscriber)
        session.flush()
    return subscriber


def active_for_slot(session: Session, slot: str) -> list[Subscriber]:
    """Confirmed subscribers who chose this slot, in a stable order."""
    rows = session.scalars(select(Subscriber).where(Subscriber.status == "active").order_by(Subscriber.id))
    return [row for row in rows if slot in (row.slots or [])]


def list_subscribers(session: Session, status: str | None = None) -> list[Subscriber]:
    query = select(Subscriber).order_by(Subscriber.id)
    if status:
        query = query.where(Subscriber.status == status)
    return list(session.scalars(query))


def record_failure(session: Session, email: str, threshold: int) -> Subscriber | None:
    """A bounce or a hard refusal: one more failure; the address is disabled at `threshold`."""
    subscriber = get_by_email(session, email)
    if subscriber is None:
        return None
    subscriber.failures = (subscriber.failures or 0) + 1
    if subscriber.failures >= threshold and subscriber.status in ("active", "pending"):
        subscriber.status = "disabled"
    return subscriber


def record_success(session: Session, email: str) -> None:
    """A delivered message: failures are counted consecutively, so the count starts again."""
    subscriber = get_by_email(session, email)
    if subscriber is not None and subscriber.failures:
        subscriber.failures = 0

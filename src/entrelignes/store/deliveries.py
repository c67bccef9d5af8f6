"""The delivery log: one row per (edition, channel, part, recipient), written before and after
each send, each change committed on its own by the caller.

A row goes pending/failed -> sending (committed) -> sent (committed, with the external id and a
digest of the content). After a crash a row left in "sending" is the one message that may have
gone out without being recorded: it is sent again, the only possible duplicate.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from entrelignes.store.schema import Delivery

STATUSES = ("pending", "sending", "sent", "failed", "deleted")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def deliveries(session: Session, edition_id: str, channel: str) -> dict[tuple[int, str], Delivery]:
    """An edition's rows for one channel, keyed by (part, recipient)."""
    rows = session.scalars(select(Delivery).where(Delivery.edition_id == edition_id, Delivery.channel == channel))
    return {(row.part, row.recipient): row for row in rows}


def start(session: Session, edition_id: str, channel: str, part: int, recipient: str = "") -> Delivery:
    """Record that a send is about to happen (status "sending", one more attempt)."""
    row = session.scalar(
        select(Delivery).where(
            Delivery.edition_id == edition_id, Delivery.channel == channel, Delivery.part == part, Delivery.recipient == recipient
        )
    )
    if row is None:
        row = Delivery(edition_id=edition_id, channel=channel, part=part, recipient=recipient, attempts=0, external_id="", error="", digest="")
        session.add(row)
    row.status, row.attempts, row.updated_at = "sending", (row.attempts or 0) + 1, _now()
    session.flush()
    return row


def finish(session: Session, delivery_id: int, *, external_id: str = "", digest: str = "", status: str = "sent") -> None:
    row = session.get(Delivery, delivery_id)
    row.status, row.external_id, row.digest, row.error, row.updated_at = status, external_id, digest, "", _now()


def fail(session: Session, delivery_id: int, error: str) -> None:
    row = session.get(Delivery, delivery_id)
    row.status, row.error, row.updated_at = "failed", error[:2000], _now()


def summary(session: Session, edition_id: str) -> dict[str, dict[str, int]]:
    """channel -> status -> count, for reports and the web app."""
    counts: dict[str, dict[str, int]] = {}
    for row in session.scalars(select(Delivery).where(Delivery.edition_id == edition_id)):
        counts.setdefault(row.channel, {}).setdefault(row.status, 0)
        counts[row.channel][row.status] += 1
    return counts

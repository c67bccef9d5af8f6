"""Email subscriptions: double opt-in, signed tokens, unsubscribe in one click.

The web app (and the CLI) call `subscribe`, `confirm` and `unsubscribe`; they never learn
whether an address was already known, so the form cannot be used to enumerate subscribers.
Tokens are signed with the desk's secret key (itsdangerous): a confirmation token carries the
subscriber id and the chosen slots and expires; an unsubscribe token carries the id only and
stays valid, as the links in old emails must keep working (RFC 8058).
"""

from __future__ import annotations

import os
import re
import secrets
import typing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from entrelignes.config import Config
from entrelignes.records import Slot
from entrelignes.store import subscribers as queries
from entrelignes.store.schema import Subscriber

SLOTS: tuple[str, ...] = typing.get_args(Slot)  # morning, evening
CONFIRM_MAX_AGE = 7 * 24 * 3600  # seconds a confirmation link stays valid
CONFIRM_PATH = "/subscribe/confirm"  # routes the web app serves, GET shows / POST acts
UNSUBSCRIBE_PATH = "/unsubscribe"  # GET shows a button; POST (one-click, RFC 8058) unsubscribes

_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+")


class SubscriptionError(ValueError):
    """A bad address or slot choice; the message can be shown to the visitor."""


def secret_key(config: Config) -> str:
    """The desk's signing key: web.secret_key, ENTRELIGNES_SECRET_KEY, or a key generated once
    into the data directory (readable by its owner only)."""
    key = config.web.secret_key or os.environ.get("ENTRELIGNES_SECRET_KEY", "")
    if key:
        return key
    path = Path(config.data_path) / "secret_key"
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process wrote it first
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="utf-8").strip()


def _serializer(config: Config, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key(config), salt=f"entrelignes-{purpose}")


def normalize_email(address: str) -> str:
    address = address.strip()
    if len(address) > 320 or not _EMAIL.fullmatch(address):
        raise SubscriptionError("This does not look like an email address.")
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


def normalize_slots(slots: str | list[str] | tuple[str, ...]) -> list[str]:
    chosen = list(SLOTS) if slots == "both" else [slots] if isinstance(slots, str) else list(slots)
    if not chosen or any(slot not in SLOTS for slot in chosen):
        raise SubscriptionError("Choose morning, evening or both.")
    return [slot for slot in SLOTS if slot in chosen]


def confirm_token(config: Config, subscriber: Subscriber, slots: list[str]) -> str:
    return _serializer(config, "confirm").dumps({"id": subscriber.id, "slots": slots})


def unsubscribe_token(config: Config, subscriber: Subscriber) -> str:
    return _serializer(config, "unsubscribe").dumps({"id": subscriber.id})


def _url(config: Config, path: str, token: str) -> str:
    return f"{config.web.base_url.rstrip('/')}{path}?{urlencode({'token': token})}"


def confirm_url(config: Config, token: str) -> str:
    return _url(config, CONFIRM_PATH, token)


def unsubscribe_url(config: Config, subscriber: Subscriber) -> str:
    return _url(config, UNSUBSCRIBE_PATH, unsubscribe_token(config, subscriber))


@dataclass(frozen=True)
class Subscription:
    """What `subscribe` did; the web page shows the same message whatever it holds."""

    email: str
    slots: list[str]
    token: str  # the confirmation token (also sent by email)
    sent: bool  # whether the confirmation email went out now


def subscribe(session: Session, config: Config, email: str, slots: str | list[str] = "both", *, send: bool = True, now: datetime | None = None) -> Subscription:
    """Ask for a subscription: a pending subscriber (or the existing one, unchanged until it
    confirms) and a confirmation email with a signed link. Raises SubscriptionError."""
    address, chosen = normalize_email(email), normalize_slots(slots)
    subscriber = queries.get_or_create(session, address, now=now)
    if subscriber.status == "unsubscribed":
        subscriber.status = "pending"
    token = confirm_token(config, subscriber, chosen)
    if send:
        from entrelignes.publish.mail import send_confirmation

        send_confirmation(config, address, confirm_url(config, token), chosen)
    return Subscription(address, chosen, token, send)


def _load(config: Config, purpose: str, token: str, max_age: int | None) -> dict | None:
    try:
        data = _serializer(config, purpose).loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("id"), int) else None


def confirm(session: Session, config: Config, token: str, *, now: datetime | None = None) -> Subscriber | None:
    """Confirm a subscription from its emailed token: active, with the slots chosen then (an
    address disabled after bounces comes back too: the confirmation reached it). None for an
    invalid or expired token."""
    data = _load(config, "confirm", token, CONFIRM_MAX_AGE)
    subscriber = session.get(Subscriber, data["id"]) if data else None
    if subscriber is None:
        return None
    subscriber.slots = normalize_slots(data.get("slots") or [])
    subscriber.status = "active"
    subscriber.failures = 0
    subscriber.confirmed_at = now or datetime.now(timezone.utc)
    return subscriber


def unsubscribe(session: Session, config: Config, token: str) -> bool:
    """Unsubscribe from an emailed link (idempotent). False for an invalid token."""
    data = _load(config, "unsubscribe", token, None)
    subscriber = session.get(Subscriber, data["id"]) if data else None
    if subscriber is None:
        return False
    if subscriber.status != "disabled":
        subscriber.status = "unsubscribed"
    return True


def record_bounce(session: Session, config: Config, email: str) -> Subscriber | None:
    """A bounce reported for an address (from a bounce mailbox or the provider's webhook)."""
    return queries.record_failure(session, email.strip(), config.email.bounce_threshold)

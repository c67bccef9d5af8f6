"""Editors and their API tokens. Passwords are hashed with argon2id; tokens are random and only
their SHA-256 is stored, so a copy of the store gives neither."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from entrelignes.store.schema import ApiToken, User

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verifying against this when the user does not exist keeps unknown and known names equally slow.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,100}$")
MIN_PASSWORD = 10
TOKEN_USE_RESOLUTION = 300  # seconds: how precisely a token's last use is recorded


class UserError(ValueError):
    """A username or password that cannot be accepted; the message says why."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def add_user(session: Session, username: str, password: str, *, replace: bool = False) -> User:
    """Create an editor (or, with `replace`, set an existing editor's password)."""
    if not USERNAME.match(username):
        raise UserError("a username is 1 to 100 letters, digits or _ . @ -")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password has at least {MIN_PASSWORD} characters")
    user = session.scalar(select(User).where(User.username == username))
    if user is not None and not replace:
        raise UserError(f"user {username!r} already exists")
    if user is None:
        user = User(username=username, password_hash=hash_password(password), disabled=False, created_at=_now())
        session.add(user)
    else:
        user.password_hash, user.disabled = hash_password(password), False
    session.flush()
    return user


def get_user(session: Session, user_id: int) -> User | None:
    user = session.get(User, user_id)
    return user if user is not None and not user.disabled else None


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The editor if the password is right (rehashing it if the parameters changed), else None."""
    user = session.scalar(select(User).where(User.username == username)) if USERNAME.match(username or "") else None
    try:
        _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled:
        return None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = _now()
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, user: User, name: str = "") -> str:
    """A new API token for `user`; the clear token is returned once and never stored."""
    token = "elt_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name[:200], token_hash=_token_hash(token), created_at=_now()))
    session.flush()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    if not token or len(token) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None:
        return None
    now = _now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > TOKEN_USE_RESOLUTION:
        row.last_used_at = now  # not on every call: a busy API client would write on each one
    return get_user(session, row.user_id)


def revoke_tokens(session: Session, user: User) -> int:
    rows = list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)))
    for row in rows:
        session.delete(row)
    return len(rows)

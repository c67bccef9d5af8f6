"""What keeps the web app safe: the secret key, signed session cookies, CSRF tokens, rate
limits, the Content-Security-Policy, and making untrusted URLs inert."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import deque
from typing import Any
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer

from entrelignes.config import Config

SESSION_COOKIE = "entrelignes_session"
LANG_COOKIE = "entrelignes_lang"
SESSION_MAX_AGE = 14 * 24 * 3600  # seconds

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


def secret_key(config: Config) -> str:
    """The desk's signing key, shared with the subscription links (publish.subscriptions)."""
    from entrelignes.publish.subscriptions import secret_key as desk_secret_key

    return desk_secret_key(config)


class Sessions:
    """Session data in a signed, timestamped cookie (itsdangerous). Small: a CSRF token, the
    editor's id and a fingerprint of their password hash, so a password change logs out."""

    def __init__(self, key: str) -> None:
        self._serializer = URLSafeTimedSerializer(key, salt="entrelignes.session")

    def load(self, cookie: str | None) -> dict[str, Any]:
        if not cookie or len(cookie) > 4096:
            return {}
        try:
            data = self._serializer.loads(cookie, max_age=SESSION_MAX_AGE)
        except (BadSignature, ValueError, TypeError):
            return {}
        return data if isinstance(data, dict) else {}

    def dump(self, data: dict[str, Any]) -> str:
        return self._serializer.dumps(data)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_matches(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


def password_fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:16]


class RateLimiter:
    """At most `limit` events per `window` seconds per key (a sliding window, in memory)."""

    def __init__(self, limit: int, window: float, *, clock=time.monotonic) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float:
        """Record an attempt; 0 when allowed, else the seconds to wait before the next one."""
        now = self._clock()
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - self.window:
                events.popleft()
            if len(events) >= self.limit:
                return max(0.0, events[0] + self.window - now)
            events.append(now)
            if len(self._events) > 100_000:  # forget idle keys rather than grow without bound
                for stale in [k for k, v in self._events.items() if not v or v[-1] <= now - self.window]:
                    del self._events[stale]
            return 0.0

    def reset(self) -> None:
        with self._lock:
            self._events.clear()


_SAFE_SCHEMES = ("http", "https")


def safe_url(url: Any) -> str:
    """Only http(s) URLs become links; javascript:, data:, vbscript: and friends become "#"."""
    value = str(url or "").strip()
    # browsers ignore tabs and newlines inside URLs ("java\tscript:"): judge what they would see
    compact = re.sub(r"[\x00-\x20\x7f]", "", value)
    try:
        scheme = urlsplit(compact).scheme.lower()
    except ValueError:
        return "#"
    if scheme not in _SAFE_SCHEMES:
        return "#"
    return compact


def local_redirect(target: str | None, default: str = "/") -> str:
    """A redirect target inside this site only (no //host, no scheme, no backslash tricks)."""
    value = (target or "").strip()
    if not value.startswith("/") or value.startswith("//") or "\\" in value or any(ord(c) < 32 for c in value):
        return default
    return value

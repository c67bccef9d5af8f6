"""Helpers shared by the publishing tests: editions to publish, an SMTP mailbox, a free port."""

from __future__ import annotations

import dataclasses
import socket
import threading
from datetime import datetime, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.smtp import Envelope

from entrelignes.config import Config
from entrelignes.store import session_scope
from entrelignes.store.schema import Edition

HOSTILE = '<script>alert("x")</script> & "q"'

def story(rank: int, headline: str = "Crue de la Loire", *, sentences: int = 2, story_id: str | None = None) -> dict:
    return {
        "rank": rank,
        "story_ids": [story_id or f"s{rank}"],
        "headline": headline,
        "reason": f"{rank + 2} outlets in 4 hours, first reported by Le Courrier at 06:12",
        "is_update": False,
        "score": 1.0 / rank,
        "summary": [{"sentence": f"Phrase {i} de l'histoire {rank}, assez longue pour peser dans le message.", "outlet": "Le Courrier"} for i in range(sentences)],
        "articles": [
            {"id": f"a{rank}", "title": headline, "outlet": "Le Courrier", "url": f"https://courrier.example/{rank}", "published": "2026-03-12T06:12:00+01:00"},
            {"id": f"b{rank}", "title": f"{headline} (suite)", "outlet": "La Gazette", "url": f"https://gazette.example/{rank}?a=1&b=2", "published": "2026-03-12T06:40:00+01:00"},
        ],
        "outlets": ["Le Courrier", "La Gazette"],
        "quotes": [],
        "sourcing": {},
    }


def edition_data(edition_id: str = "2026-03-12-morning", stories: list[dict] | None = None) -> dict:
    day, slot = edition_id[:10], edition_id[11:]
    return {
        "id": edition_id, "date": day, "slot": slot, "at": f"{day}T{'07' if slot == 'morning' else '19'}:00:00+01:00",
        "title": "entrelignes", "timezone": "Europe/Paris", "window_start": "", "stats": {"articles": 9, "stories": 4, "outlets": 3},
        "stories": stories if stories is not None else [story(i) for i in range(1, 6)],
    }


def add_edition(engine, data: dict, status: str = "built") -> str:
    with session_scope(engine) as session:
        session.add(Edition(id=data["id"], date=data["date"], slot=data["slot"], built_at=datetime.now(timezone.utc), status=status, data=data))
    return data["id"]


class Mailbox:
    """An SMTP handler keeping what it receives; refuses some recipients like a real server."""

    def __init__(self) -> None:
        self.messages: list[tuple[Envelope, EmailMessage]] = []
        self.refuse: dict[str, str] = {}  # address -> SMTP reply, e.g. "550 5.1.1 no such user"
        self.refuse_once: dict[str, str] = {}
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.refuse.get(address) or self.refuse_once.pop(address, None)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((envelope, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for e, m in self.messages if address in e.rcpt_tos]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def replace(config: Config, **sections) -> Config:
    """A copy of `config` with some fields of its sections changed: replace(c, telegram={...})."""
    return dataclasses.replace(config, **{name: dataclasses.replace(getattr(config, name), **values) for name, values in sections.items()})


"""The desk's actions on the next edition (pin, drop, merge, split, approve), forwarded to
`entrelignes.editions.desk`, which applies them and writes the audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from entrelignes.editions import desk

ACTIONS = ("pin", "drop", "merge", "split", "approve")


class ActionError(ValueError):
    """The action cannot be done; the message says why."""


def run_action(session: Session, action: str, edition_id: str, *, actor: str, story: str = "", other: str = "", articles: list[str] | None = None) -> Any:
    """Apply one desk action. `story` names a story by its rank or a story id; `other` is the
    story folded into it by a merge; `articles` are the article ids a split moves out."""
    try:
        if action == "approve":
            return desk.approve(session, edition_id, actor=actor)
        if action == "pin":
            return desk.pin(session, edition_id, story, actor=actor)
        if action == "drop":
            return desk.drop(session, edition_id, story, actor=actor)
        if action == "merge":
            return desk.merge(session, edition_id, story, [other], actor=actor)
        if action == "split":
            return desk.split(session, edition_id, story, list(articles or []), actor=actor)
    except (LookupError, ValueError) as error:
        raise ActionError(str(error)) from None
    raise ActionError(f"unknown action {action!r}")


def audit(session: Session, edition_id: str, limit: int = 20) -> list[dict[str, Any]]:
    entries = desk.audit_log(session, edition_id)[-limit:]
    return [{"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "target": e.target, "detail": {k: v for k, v in (e.detail or {}).items() if k != "before"}} for e in reversed(entries)]

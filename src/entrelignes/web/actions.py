"""The desk's actions on the next edition (pin, drop, merge, split, approve), forwarded to
`entrelignes.editions.desk`, which applies them and writes the audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

ACTIONS = ("pin", "unpin", "drop", "merge", "split", "approve")


class ActionError(ValueError):
    """The action cannot be done; the message says why."""


def run_action(session: Session, config: Any, action: str, edition_id: str, *, actor: str, story: str = "", other: str = "") -> Any:
    """Apply one desk action. `story` names a story by its rank or first story id, `other`
    the second story of a merge."""
    if action not in ACTIONS:
        raise ActionError(f"unknown action {action!r}")
    try:
        from entrelignes.editions import desk
    except ImportError:
        raise ActionError("This action is not available yet.") from None
    function = getattr(desk, action, None)
    if function is None:
        raise ActionError("This action is not available yet.")
    try:
        if action == "approve":
            return function(session, edition_id, actor=actor)
        if action == "merge":
            return function(session, edition_id, story, other, actor=actor)
        return function(session, edition_id, story, actor=actor)
    except (LookupError, ValueError) as error:
        raise ActionError(str(error)) from None

"""Editions: select and freeze the stories of a slot, and render them for every channel.

The names below are loaded on first use, so that publishing (which only renders) does not
import the story ranking and its numerical libraries: a publisher restarted after a crash is
back at work in a fraction of a second.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOME = {
    "SLOTS": "build", "SlotTime": "build", "build_edition": "build", "get_edition": "build", "latest_slot": "build", "slot_time": "build",
    "render_atom": "render", "render_html": "render", "render_markdown": "render", "render_telegram": "render",
}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    globals()[name] = value
    return value

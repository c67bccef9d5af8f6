"""Editions: select and freeze the stories of a slot, and render them for every channel."""

from entrelignes.editions.build import SLOTS, SlotTime, build_edition, get_edition, latest_slot, slot_time
from entrelignes.editions.render import render_atom, render_html, render_markdown, render_telegram

__all__ = [
    "SLOTS", "SlotTime", "build_edition", "get_edition", "latest_slot", "render_atom", "render_html",
    "render_markdown", "render_telegram", "slot_time",
]

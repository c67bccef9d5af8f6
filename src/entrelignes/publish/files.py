"""The files channel: an edition written to the output folder as HTML, Markdown, Telegram
messages and an Atom feed of all editions. Files are written to a temporary name and renamed,
so a reader (or a web server) never sees half a file."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from entrelignes.editions.render import render_atom, render_html, render_markdown, render_telegram


def atom_feed_id(base_url: str) -> str:
    """A tag URI (RFC 4151) naming this desk's feed; stable as long as the public address is."""
    host = urlsplit(base_url).hostname or "localhost"
    return f"tag:{host},2026:entrelignes"


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def write_edition_files(out: Path, edition: dict[str, Any], all_editions: Sequence[dict[str, Any]], *, base_url: str, join_link: str) -> dict[str, Path]:
    """Write one edition's files and refresh the index page and the Atom feed; returns the paths."""
    stem = out / "editions" / edition["id"]
    paths = {
        "html": stem.with_suffix(".html"),
        "markdown": stem.with_suffix(".md"),
        "telegram": stem.with_suffix(".telegram.json"),
        "index": out / "index.html",
        "atom": out / "atom.xml",
    }
    write_atomically(paths["html"], render_html(edition, join_link=join_link, feed_url="../atom.xml"))
    write_atomically(paths["markdown"], render_markdown(edition))
    write_atomically(paths["telegram"], json.dumps(render_telegram(edition), ensure_ascii=False, indent=2))
    latest = max(all_editions, key=lambda e: e["at"])
    write_atomically(paths["index"], render_html(latest, join_link=join_link, feed_url="atom.xml"))
    write_atomically(paths["atom"], render_atom(all_editions, base_url=base_url, feed_id=atom_feed_id(base_url)))
    return paths

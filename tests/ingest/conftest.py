"""Fixtures for the ingestion tests: a real HTTP server on 127.0.0.1, a fresh store, a config
with short timeouts, and writers of feeds and article pages."""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from entrelignes.config import Config, FetchConfig, SourceConfig
from entrelignes.store import open_store, sqlite_url

from .server import FeedServer

NOW = datetime(2026, 11, 29, 6, 0, tzinfo=timezone.utc)

PARAGRAPHS = [
    "Le conseil municipal a adopté mardi soir un budget révisé pour l'année prochaine, après un débat de plus de quatre heures "
    "sur la rénovation des écoles et le prix des cantines scolaires, qui augmentera légèrement dès la rentrée de janvier.",
    "« Nous avons fait des choix difficiles mais nécessaires », a déclaré la maire devant une salle comble, en précisant que "
    "les investissements dans les transports publics seraient maintenus malgré la baisse des dotations de l'État.",
    "L'opposition a dénoncé un manque de transparence et réclamé un audit indépendant des comptes de la ville, estimant que "
    "plusieurs dépenses engagées l'an dernier n'avaient jamais été présentées aux élus ni aux habitants concernés.",
]


def article_html(title: str, *, canonical: str = "", extra: str = "", published: str = "2026-11-28T18:30:00+01:00", charset: str = "utf-8") -> str:
    link = f'<link rel="canonical" href="{html.escape(canonical)}">' if canonical else ""
    body = "".join(f"<p>{html.escape(p)} ({html.escape(title)})</p>" for p in PARAGRAPHS)
    return (
        f'<!DOCTYPE html><html lang="fr"><head><meta charset="{charset}"><title>{html.escape(title)}</title>{link}'
        f'<meta property="og:type" content="article"><meta property="article:published_time" content="{published}"></head>'
        f"<body><nav><a href='/'>Accueil</a></nav><article><h1>{html.escape(title)}</h1>{body}{extra}</article>"
        f"<footer>© Le Journal</footer></body></html>"
    )


def rss(items: list[tuple[str, str]], *, title: str = "Le Journal", encoding: str = "utf-8") -> str:
    """RSS 2.0 with (title, link) items; links may be relative."""
    entries = "".join(
        f"<item><title>{html.escape(t)}</title><link>{html.escape(link)}</link>"
        f"<description>{html.escape('Résumé : ' + t)}</description>"
        f"<pubDate>Sat, 28 Nov 2026 1{i % 10}:00:00 +0100</pubDate><guid isPermaLink='false'>{html.escape(link)}</guid></item>"
        for i, (t, link) in enumerate(items)
    )
    return f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><title>{title}</title><link>http://example.org/</link>{entries}</channel></rss>'


@pytest.fixture()
def server() -> Iterator[FeedServer]:
    srv = FeedServer().start()
    srv.static("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture()
def engine(tmp_path: Path):
    engine = open_store(sqlite_url(tmp_path / "store.db"))
    yield engine
    engine.dispose()


FAST = FetchConfig(timeout=1.0, total_timeout=4.0, max_bytes=1_000_000, concurrency=8, per_host=4, per_host_delay=0.0, max_redirects=4)


def make_config(tmp_path: Path, *sources: SourceConfig, **fetch) -> Config:
    return Config(path=tmp_path / "entrelignes.toml", data_dir=str(tmp_path), fetch=dataclasses.replace(FAST, **fetch), sources=tuple(sources))


def later(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)

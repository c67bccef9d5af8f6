"""Bad sources are reported with their name and reason while the others complete."""

from __future__ import annotations

import socket
from pathlib import Path

from entrelignes import pipeline
from entrelignes.config import load_config
from entrelignes.store import open_store

GOOD_PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Le port rouvre</title>
<meta property="article:published_time" content="2026-03-12T06:00:00+01:00"></head><body><article><h1>Le port rouvre</h1>
<p>Le port de commerce a rouvert mercredi matin après trois jours de grève des dockers, a annoncé la direction.
Les premiers navires ont accosté dès six heures et les files de camions se résorbent peu à peu sur la rocade.</p>
<p>Les syndicats ont obtenu une revalorisation des primes de nuit et la promesse d'embauches avant l'été,
selon un communiqué commun publié dans la nuit. La reprise doit être complète vendredi.</p></article></body></html>"""
EMPTY_PAGE = "<!doctype html><html><head><title>Galerie</title></head><body><nav><a href='/'>Accueil</a></nav><img src='photo.jpg' alt=''></body></html>"


def rss(items: list[tuple[str, str]]) -> str:
    entries = "".join(f"<item><title>{title}</title><link>{link}</link><pubDate>Thu, 12 Mar 2026 05:00:00 +0000</pubDate></item>" for title, link in items)
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title><link>https://x.example/</link>{entries}</channel></rss>'


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the probe is closed


def test_unreachable_malformed_and_empty_sources_are_reported_and_the_good_one_completes(tmp_path: Path):
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "port.html").write_text(GOOD_PAGE, encoding="utf-8")
    (tmp_path / "good" / "galerie.html").write_text(EMPTY_PAGE, encoding="utf-8")
    (tmp_path / "good" / "feed.xml").write_text(rss([("Le port rouvre", "port.html"), ("Galerie", "galerie.html")]), encoding="utf-8")
    (tmp_path / "broken.xml").write_text("<rss><channel><item><title>oops</titl></channel>", encoding="utf-8")
    port = closed_port()
    (tmp_path / "entrelignes.toml").write_text(
        f"""
data_dir = "data"
out_dir = "out"
[[sources]]
name = "Good outlet"
url = "good/feed.xml"
[[sources]]
name = "Dead server"
url = "http://127.0.0.1:{port}/feed.xml"
[[sources]]
name = "Broken feed"
url = "broken.xml"
""",
        encoding="utf-8",
    )
    config = load_config(tmp_path / "entrelignes.toml")
    report = pipeline.fetch(open_store(config.database_url), config)

    assert report.articles_new == 1
    by_name = {}
    for where, reason in report.errors:
        by_name.setdefault(where, []).append(reason)
    assert any("refused" in reason.lower() or "connect" in reason.lower() for reason in by_name.get("Dead server", [])), report.errors
    assert any("malformed" in reason.lower() or "xml" in reason.lower() for reason in by_name.get("Broken feed", [])), report.errors
    empty = [reason for where, reasons in by_name.items() if "galerie" in where.lower() or where == "Good outlet" for reason in reasons]
    assert any("no extractable text" in reason for reason in empty), report.errors


def test_an_article_dated_in_the_future_does_not_hide_the_others(tmp_path: Path):
    from datetime import datetime, timedelta, timezone

    from entrelignes.config import Config
    from entrelignes.records import Extracted
    from entrelignes.store import session_scope
    from entrelignes.store.articles import save_extracted

    config = Config(data_dir=str(tmp_path / "data"))
    engine = open_store(config.database_url)
    now = datetime.now(timezone.utc)
    with session_scope(engine) as session:
        for i, published in enumerate([now - timedelta(hours=2), now - timedelta(hours=1), datetime(2099, 1, 1, tzinfo=timezone.utc)]):
            text = f"Article {i} sur la grève des dockers du port, avec assez de mots pour compter. " * 3
            save_extracted(session, Extracted(url=f"https://x.example/{i}", title=f"Titre {i}", text=text, language="fr", published=published, author="A" * 900), outlet="Outlet", source_id=None, fetched_at=now)
    report = pipeline.cluster(engine, config)
    assert report.articles == 3, "the future date is capped at the fetch time"
    with session_scope(engine) as session:
        from entrelignes.store.schema import Article

        assert all(len(a.author) == 500 and a.published_at <= now for a in session.query(Article))

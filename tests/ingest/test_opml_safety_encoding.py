"""OPML round trips, the SSRF guard, charset detection, feed discovery, source health order."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from entrelignes.config import SourceConfig
from entrelignes.ingest.discover import discover_feeds, page_canonical
from entrelignes.encoding import decode
from entrelignes.ingest.fetcher import parse_retry_after
from entrelignes.ingest.opml import OPMLError, export_opml, import_opml
from entrelignes.ingest.run import backoff
from entrelignes.ingest.safety import UnsafeURL, check_destination, is_public_address
from entrelignes.store import session_scope
from entrelignes.store.sources import add_source, list_sources, remove_source

MINIFLUX_STYLE = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Miniflux</title></head>
  <body>
    <outline text="Actualités">
      <outline title="Le Journal" text="Le Journal" xmlUrl="https://journal.example/rss" htmlUrl="https://journal.example/" type="rss"/>
      <outline text="Régions">
        <outline text="Ouest" xmlUrl="https://ouest.example/feed"/>
      </outline>
    </outline>
    <outline text="Tech">
      <outline text="Le Journal" xmlUrl="https://journal.example/rss"/>
    </outline>
    <outline text="Sans dossier" xmlUrl="https://libre.example/atom" category="/veille/ia,divers"/>
  </body>
</opml>"""


def test_opml_folders_become_tags():
    sources = import_opml(MINIFLUX_STYLE.encode())
    assert [(s.name, s.url, s.tags) for s in sources] == [
        ("Le Journal", "https://journal.example/rss", ("Actualités", "Tech")),
        ("Ouest", "https://ouest.example/feed", ("Actualités", "Régions")),
        ("Sans dossier", "https://libre.example/atom", ("veille", "ia", "divers")),
    ]
    assert sources[0].site_url == "https://journal.example/"


def test_opml_round_trips(tmp_path):
    sources = [
        SourceConfig(name="A & B", url="https://a.example/rss?x=1&y=2", tags=("national", "éco"), language="fr", site_url="https://a.example/"),
        SourceConfig(name="Untagged", url="https://u.example/feed"),
    ]
    text = export_opml(sources)
    path = tmp_path / "export.opml"
    path.write_text(text, encoding="utf-8")
    assert import_opml(path.read_bytes()) == sources
    assert import_opml(export_opml(import_opml(text.encode())).encode()) == sources


@pytest.mark.parametrize("encoding", ["iso-8859-1", "utf-16", "utf-8-sig"])
def test_opml_in_the_encoding_it_declares(encoding):
    declared = "UTF-16" if encoding == "utf-16" else "UTF-8" if encoding == "utf-8-sig" else encoding
    document = MINIFLUX_STYLE.replace('encoding="UTF-8"', f'encoding="{declared}"').encode(encoding)
    assert [s.tags for s in import_opml(document)][0] == ("Actualités", "Tech")


def test_opml_refuses_entities_and_junk():
    with pytest.raises(OPMLError, match="refused"):
        import_opml(b'<!DOCTYPE opml [<!ENTITY e SYSTEM "file:///etc/passwd">]><opml><body><outline text="&e;" xmlUrl="x"/></body></opml>')
    with pytest.raises(OPMLError, match="not an OPML file"):
        import_opml(b"<rss/>")
    with pytest.raises(OPMLError, match="malformed OPML"):
        import_opml(b"<opml><body>")


@pytest.mark.parametrize(
    "url, message",
    [
        ("http://127.0.0.1/feed", "loopback"),
        ("http://localhost:8080/feed", "loopback"),
        ("http://10.1.2.3/", "private"),
        ("http://192.168.0.1/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "refused"),
        ("http://224.0.0.1/", "multicast"),
        ("http://0.0.0.0/", "refused"),
        ("file:///etc/passwd", "only allowed for sources in the config file"),
        ("gopher://example.org/", "scheme 'gopher' refused"),
        ("ftp://example.org/", "scheme 'ftp' refused"),
        ("http:///nohost", "no host"),
    ],
)
def test_unsafe_destinations_are_refused(url, message):
    with pytest.raises(UnsafeURL, match=message):
        check_destination(url, allow_private=False)


def test_public_addresses_and_explicit_trust():
    assert is_public_address("93.184.216.34") and is_public_address("2606:4700::1111")
    assert not is_public_address("100.64.0.1") and not is_public_address("fd00::1") and not is_public_address("fe80::1")
    check_destination("http://93.184.216.34/feed", allow_private=False)
    check_destination("http://127.0.0.1/feed", allow_private=True)
    check_destination("file:///srv/archive", allow_private=True)


@pytest.mark.parametrize(
    "body, content_type, expected",
    [
        ("café".encode("utf-8"), "text/html; charset=iso-8859-1", "café"),  # the header lies
        ("café".encode("cp1252"), "text/html; charset=utf-8", "café"),  # the header lies the other way
        (b'<?xml version="1.0" encoding="windows-1252"?><t>caf\xe9 \x80</t>', "", '<?xml version="1.0" encoding="windows-1252"?><t>café €</t>'),
        (b'<meta charset="koi8-r"><p>\xf0\xd2\xc9\xd7\xc5\xd4</p>', "text/html", '<meta charset="koi8-r"><p>Привет</p>'),
        ("\ufeffcafé".encode("utf-16"), "", "café"),
        ("Ωμέγα".encode("iso-8859-7"), "text/plain; charset=iso-8859-7", "Ωμέγα"),
    ],
)
def test_charsets(body, content_type, expected):
    assert decode(body, content_type)[0].lstrip("\ufeff") == expected


def test_discovery_and_canonical():
    html = """<html><head><base href="https://journal.example/fr/">
    <link rel="alternate" type="application/rss+xml" href="rss.xml" title="RSS">
    <link rel="alternate" type="application/atom+xml" href="https://journal.example/atom">
    <link rel="alternate" type="application/feed+json" href="/feed.json">
    <link rel="alternate" hreflang="en" href="/en/">
    <link rel="alternate stylesheet" type="text/css" href="x.css">
    <link rel="alternate" type="application/rss+xml" href="rss.xml">
    <link rel="Canonical" href="/fr/article">
    </head><body></body></html>"""
    assert discover_feeds(html, "https://journal.example/") == [
        "https://journal.example/fr/rss.xml", "https://journal.example/atom", "https://journal.example/feed.json",
    ]
    assert page_canonical(html) == "/fr/article"
    assert discover_feeds("<html", "https://x.example/") == []


def test_retry_after_and_backoff():
    assert parse_retry_after("120") == 120
    assert parse_retry_after("Sun, 29 Nov 2026 06:02:00 GMT", now=datetime(2026, 11, 29, 6, 0, tzinfo=timezone.utc).timestamp()) == 120
    assert parse_retry_after("soon") is None
    delays = [backoff(900, n, 86_400) for n in (1, 2, 3, 4, 20)]
    assert 450 <= delays[0] <= 900 and 900 <= delays[1] <= 1800 and 1800 <= delays[2] <= 3600
    assert 43_200 <= delays[-1] <= 86_400
    assert len({backoff(900, 3, 86_400) for _ in range(20)}) > 1  # jitter


def test_sources_listed_worst_first_and_removed(engine):
    with session_scope(engine) as session:
        healthy = add_source(session, name="healthy", url="https://a.example/rss")
        healthy.polls, healthy.last_success_at = 3, datetime(2026, 11, 29, tzinfo=timezone.utc)
        failing = add_source(session, name="failing", url="https://b.example/rss")
        failing.polls, failing.consecutive_failures = 3, 3
        slightly = add_source(session, name="slightly", url="https://c.example/rss")
        slightly.polls, slightly.consecutive_failures = 2, 1
        gone = add_source(session, name="gone", url="https://d.example/rss")
        gone.enabled, gone.polls = False, 1
        fresh = add_source(session, name="fresh", url="https://e.example/rss")
    with session_scope(engine) as session:
        assert [s.name for s in list_sources(session)] == ["failing", "slightly", "gone", "fresh", "healthy"]
        assert remove_source(session, "https://b.example/rss") and remove_source(session, str(fresh.id))
        assert not remove_source(session, "https://nowhere.example/")
        assert [s.name for s in list_sources(session)] == ["slightly", "gone", "healthy"]
    with pytest.raises(ValueError, match="origin"):
        with session_scope(engine) as session:
            add_source(session, name="x", url="https://x.example/", origin="somewhere")

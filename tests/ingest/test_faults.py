"""Every fault of the real web, served by a real server on 127.0.0.1, in one run beside good
sources: each gives its documented outcome and a clear message, and the good sources are
read and stored all the same."""

from __future__ import annotations

import functools
import time
from datetime import timedelta

import brotli
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from entrelignes.config import SourceConfig
from entrelignes.ingest import fetch_all
from entrelignes.store import session_scope
from entrelignes.store.schema import Article, Source

from .conftest import NOW, article_html, make_config, rss
from .server import closed_port, gzip_bomb, gzip_bytes

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title><link>http://example.org/a</link></item></channel></rss>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>&xxe;</title><item><title>x</title><link>http://example.org/a</link></item></channel></rss>"""


# (name, path, expected outcome: "ok" or a substring of the error message)
FAULTS = [
    ("slow first byte", "/slow-first-byte.xml", "timed out: no data from the server for 1 s"),
    ("slow drip", "/drip.xml", "too slow: the response was not complete after 4 s"),
    ("503 with Retry-After", "/503.xml", "HTTP 503 Service Unavailable, retry after 120 s"),
    ("500", "/500.xml", "HTTP 500 Internal Server Error"),
    ("429", "/429.xml", "rate limited (HTTP 429 Too Many Requests, retry after 3600 s)"),
    ("redirect loop", "/loop-a.xml", "redirect loop: "),
    ("too many redirects", "/hop-0.xml", "too many redirects (more than 4)"),
    ("410", "/gone.xml", "gone (HTTP 410"),
    ("404", "/missing.xml", "HTTP 404 Not Found"),
    ("truncated gzip", "/truncated-gzip.xml", "truncated gzip body"),
    ("gzip bomb", "/bomb-gzip.xml", "body larger than 1000000 bytes after decompression (compression bomb?)"),
    ("brotli bomb", "/bomb-br.xml", "body larger than 1000000 bytes after decompression (compression bomb?)"),
    ("endless body", "/endless.xml", "body larger than 1000000 bytes (the server kept sending)"),
    ("declared too large", "/huge.xml", "body too large: Content-Length 5000000 bytes > limit 1000000"),
    ("malformed XML", "/malformed.xml", "malformed feed: "),
    ("entity bomb", "/billion-laughs.xml", "refused: the XML declares entities"),
    ("external entity", "/xxe.xml", "refused: the XML declares entities"),
    ("HTML served as a feed", "/html-feed.xml", "HTML page served where a feed was expected; the page announces a feed at "),
    ("image served as a feed", "/image.xml", "not a feed: content type image/png"),
    ("not XML at all", "/garbage.xml", "not a feed: the document does not start with XML markup"),
    ("JSON that is not a feed", "/not-feed.json", "not a feed: a JSON document without an \"items\" list"),
    ("connection refused", None, "connection refused"),
    ("redirect to a local file", "/to-file.xml", "refused: redirect to a non-web address (file:///etc/passwd)"),
    ("good feed", "/good.xml", "ok"),
    ("moved 301", "/old-301.xml", "ok"),
    ("moved 308", "/old-308.xml", "ok"),
    ("temporary 302", "/temp-302.xml", "ok"),
    ("wrong charset", "/latin1-header.xml", "ok"),
    ("gzip feed", "/gzip.xml", "ok"),
    ("brotli feed", "/brotli.xml", "ok"),
    ("recoverable malformed XML", "/sloppy.xml", "ok"),
]


@functools.cache
def _gzip_bomb() -> bytes:
    return gzip_bomb(64 << 20)  # 64 MB of zeros in about 64 KB


@functools.cache
def _brotli_bomb() -> bytes:
    return brotli.compress(bytes(64 << 20), quality=5)  # 64 MB of zeros in a few hundred bytes


def serve_faults(server) -> None:
    server.slow_first_byte("/slow-first-byte.xml", 5.0)
    server.drip("/drip.xml", 0.3)
    server.status("/503.xml", 503, {"Retry-After": "120"})
    server.status("/500.xml", 500)
    server.status("/429.xml", 429, {"Retry-After": "3600"})
    server.redirect("/loop-a.xml", "/loop-b.xml", 302)
    server.redirect("/loop-b.xml", "/loop-a.xml", 302)
    for i in range(10):
        server.redirect(f"/hop-{i}.xml", f"/hop-{i + 1}.xml", 302)
    server.status("/gone.xml", 410)
    server.redirect("/to-file.xml", "file:///etc/passwd", 302)
    good = rss([("Budget voté", "articles/budget.html"), ("Écoles rénovées", "articles/ecoles.html")])
    compressed = gzip_bytes(good.encode())
    server.encoded("/truncated-gzip.xml", compressed[: len(compressed) // 2], "gzip")
    server.encoded("/bomb-gzip.xml", _gzip_bomb(), "gzip")
    server.encoded("/bomb-br.xml", _brotli_bomb(), "br")
    server.endless("/endless.xml")
    server.static("/huge.xml", b"", "application/rss+xml", headers={"X-Pad": "1"})
    server.routes["/huge.xml"] = lambda h: (h.send_response(200), h.send_header("Content-Length", "5000000"),
                                            h.send_header("Content-Type", "application/rss+xml"), h.end_headers())
    server.static("/malformed.xml", '<?xml version="1.0"?><rss version="2.0"><channel><title>Cassé</title><item><title>a</ti', "application/rss+xml")
    server.static("/billion-laughs.xml", BILLION_LAUGHS, "application/rss+xml")
    server.static("/xxe.xml", EXTERNAL_ENTITY, "application/rss+xml")
    server.static("/html-feed.xml", '<!DOCTYPE html><html><head><title>Accueil</title><link rel="alternate" type="application/rss+xml" href="/good.xml"></head><body><p>Bienvenue</p></body></html>', "application/rss+xml")
    server.static("/image.xml", b"\x89PNG\r\n\x1a\n" + bytes(100), "image/png")
    server.static("/garbage.xml", "ceci n'est pas un flux", "text/plain")
    server.static("/not-feed.json", '{"hello": "world"}', "application/json")
    server.static("/good.xml", good, "application/rss+xml; charset=utf-8")
    server.redirect("/old-301.xml", "/new-301.xml", 301)
    server.static("/new-301.xml", rss([("Déménagement", "articles/demenagement.html")]), "application/rss+xml")
    server.redirect("/old-308.xml", "/new-308.xml", 308)
    server.static("/new-308.xml", rss([("Transports", "articles/transports.html")]), "application/rss+xml")
    server.redirect("/temp-302.xml", "/target-302.xml", 302)
    server.static("/target-302.xml", rss([("Cantines", "articles/cantines.html")]), "application/rss+xml")
    # the header says Latin-1, the bytes are UTF-8: accents must survive
    server.static("/latin1-header.xml", rss([("Élection à Besançon", "articles/election.html")]).encode("utf-8"), "application/rss+xml; charset=iso-8859-1")
    server.encoded("/gzip.xml", gzip_bytes(rss([("Gzip", "articles/gzip.html")]).encode()), "gzip")
    server.encoded("/brotli.xml", brotli.compress(rss([("Brotli", "articles/brotli.html")]).encode()), "br")
    sloppy = rss([("Négligé", "articles/sloppy.html")]).replace("</channel></rss>", "<item><title>x & y</title><link>articles/sloppy2.html</link></item></channel></rss>")
    server.static("/sloppy.xml", sloppy, "application/rss+xml")
    for slug, title in (("budget", "Budget voté"), ("ecoles", "Écoles rénovées"), ("demenagement", "Déménagement"),
                        ("transports", "Transports"), ("cantines", "Cantines"), ("gzip", "Gzip"), ("brotli", "Brotli"),
                        ("sloppy", "Négligé"), ("sloppy2", "x & y")):
        server.static(f"/articles/{slug}.html", article_html(title, canonical=f"https://journal.example/{slug}/"))
    # the Latin-1 page says so in its meta tag only; the HTTP header claims UTF-8
    server.static("/articles/election.html", article_html("Élection à Besançon", charset="iso-8859-1", canonical="https://journal.example/election/").encode("cp1252"),
                  "text/html; charset=utf-8")


@pytest.fixture()
def fault_run(server, engine, tmp_path):
    serve_faults(server)
    sources = []
    for name, path, _ in FAULTS:
        url = server.url(path) if path else f"http://127.0.0.1:{closed_port()}/feed.xml"
        sources.append(SourceConfig(name=name, url=url))
    config = make_config(tmp_path, *sources)
    started = time.monotonic()
    report = fetch_all(engine, config, now=NOW)
    return report, time.monotonic() - started, engine, config


def test_every_fault_gives_its_outcome_and_never_stops_the_others(fault_run):
    report, elapsed, engine, _ = fault_run
    by_source = {}
    for where, reason in report.errors:
        by_source.setdefault(where, []).append(reason)
    for name, _, expected in FAULTS:
        if expected == "ok":
            assert name not in by_source, f"{name}: {by_source.get(name)}"
        else:
            assert name in by_source, f"{name}: no error reported"
            assert any(expected in reason for reason in by_source[name]), f"{name}: {by_source[name]}"
    good = sum(1 for _, _, e in FAULTS if e == "ok")
    assert report.sources_read == good
    # the good sources' articles are all stored, whatever happened next door
    assert report.articles_new == 10, report.errors
    assert elapsed < 20


def test_outcomes_in_source_health(fault_run):
    report, _, engine, config = fault_run
    with session_scope(engine) as session:
        rows = {s.name: s for s in session.scalars(select(Source))}
        gone = rows["410"]
        assert not gone.enabled and gone.last_status == "gone" and "source disabled" in gone.last_error
        assert rows["503 with Retry-After"].next_poll_at >= NOW + timedelta(seconds=120)
        assert rows["429"].next_poll_at >= NOW + timedelta(seconds=3600)
        assert rows["500"].consecutive_failures == 1 and rows["500"].last_status == "HTTP 500"
        assert rows["slow first byte"].last_status == "timeout"
        assert rows["connection refused"].last_status == "refused"
        # permanent moves update the stored URL, temporary ones do not
        assert rows["moved 301"].url.endswith("/new-301.xml") and "moved permanently from" in rows["moved 301"].last_error
        assert rows["moved 308"].url.endswith("/new-308.xml")
        assert rows["temporary 302"].url.endswith("/temp-302.xml")
        assert rows["recoverable malformed XML"].last_error.startswith("malformed XML")
        assert rows["good feed"].last_status == "ok" and rows["good feed"].items_seen == 2
        titles = set(session.scalars(select(Article.title)))
        texts = " ".join(session.scalars(select(Article.text)))
    assert "Élection à Besançon" in titles  # header lied about Latin-1: no mojibake
    assert "Ã" not in texts and "é" in texts  # page in cp1252 with a lying UTF-8 header


def test_a_second_run_skips_disabled_and_backed_off_sources(fault_run, server):
    report, _, engine, config = fault_run
    before = server.hits.copy()
    again = fetch_all(engine, config, now=NOW + timedelta(seconds=60))  # nothing is due a minute later
    assert again.sources_read == 0 and again.errors == []
    assert server.hits == before
    forced = fetch_all(engine, config, now=NOW + timedelta(seconds=120), force=True)
    assert not any(name == "410" for name, _ in forced.errors)  # disabled, even when forced
    assert server.hits["/gone.xml"] == before["/gone.xml"]
    with session_scope(engine) as session:
        failing = session.scalar(select(Source).where(Source.name == "500"))
        assert failing.consecutive_failures == 2 and failing.polls == 2
        # the backoff grows: the second failure waits longer than a poll interval
        assert failing.next_poll_at >= NOW + timedelta(seconds=120 + failing.poll_interval)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    body=st.one_of(
        st.binary(max_size=400),
        st.lists(st.sampled_from(["<rss>", "<channel>", "<item>", "<link>", "articles/a.html", "</link>", "</item>", "<?xml version='1.0'?>",
                                  "<feed xmlns='http://www.w3.org/2005/Atom'>", "<entry>", "<link href='x'/>", "&", "<!DOCTYPE x>", "{\"items\": [",
                                  "{\"url\": 1}", "]}", "<html>", "\x1f\x8b", "é", "\x00"]), max_size=30).map(lambda parts: "".join(parts).encode()),
    ),
    content_type=st.sampled_from(["application/rss+xml", "text/html; charset=utf-16", "application/json", "image/png", ""]),
    encoding=st.sampled_from(["", "gzip", "br", "identity"]),
)
def test_no_served_document_crashes_a_run(server, engine, tmp_path, body, content_type, encoding):
    """Whatever a server sends, the run ends with a report: the source is read or has a reason."""
    server.static("/articles/a.html", article_html("A"))
    if encoding == "gzip":
        server.encoded("/random.xml", gzip_bytes(body), "gzip", content_type)
    elif encoding == "br":
        server.encoded("/random.xml", brotli.compress(body), "br", content_type)
    else:
        server.static("/random.xml", body, content_type)
    config = make_config(tmp_path, SourceConfig(name="random", url=server.url("/random.xml")))
    report = fetch_all(engine, config, now=NOW, force=True)
    assert report.sources_read == 1 or [name for name, _ in report.errors] == ["random"]
    assert all(reason and not reason.startswith("internal error") for _, reason in report.errors), report.errors

"""fetch_all end to end against the real loopback server: conditional GET, canonical URLs,
feed content, robots.txt, sitemaps, untrusted sources, page failures, retries."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from sqlalchemy import select

from entrelignes.config import SourceConfig
from entrelignes.ingest import fetch_all
from entrelignes.store import session_scope
from entrelignes.store.schema import Article, FeedItemState, Source
from entrelignes.store.sources import add_source

from .conftest import NOW, article_html, make_config, rss


def _articles(engine) -> dict[str, Article]:
    with session_scope(engine) as session:
        return {a.url: a for a in session.scalars(select(Article))}


def _source(engine, name: str) -> Source:
    with session_scope(engine) as session:
        return session.scalar(select(Source).where(Source.name == name))


def test_relative_links_canonical_pages_and_conditional_get(server, engine, tmp_path):
    server.static("/feed.xml", rss([("Budget", "articles/budget.html?utm_source=rss&xtor=RSS-1"), ("Écoles", "articles/ecoles.html")]),
                  "application/rss+xml", etag='"v1"', last_modified="Sat, 28 Nov 2026 10:00:00 GMT")
    server.static("/articles/budget.html", article_html("Budget", canonical="https://journal.example/budget/"))
    server.static("/articles/ecoles.html", article_html("Écoles"))  # no canonical link: its own URL
    config = make_config(tmp_path, SourceConfig(name="Le Journal", url=server.url("/feed.xml"), language="fr"))

    first = fetch_all(engine, config, now=NOW)
    assert (first.sources_read, first.articles_new, first.errors) == (1, 2, [])
    stored = _articles(engine)
    assert set(stored) == {"https://journal.example/budget/", server.url("/articles/ecoles.html")}
    article = stored["https://journal.example/budget/"]
    assert article.outlet == "Le Journal" and article.language == "fr" and article.title == "Budget"
    source = _source(engine, "Le Journal")
    assert source.etag == '"v1"' and source.last_status == "ok" and source.items_seen == 2

    # not due yet: nothing is requested
    hits = server.hits["/feed.xml"]
    assert fetch_all(engine, config, now=NOW + timedelta(seconds=60)).sources_read == 0
    assert server.hits["/feed.xml"] == hits

    # due: a conditional request, answered 304, costs no parsing and fetches no page
    later = NOW + timedelta(seconds=config.sources[0].poll_interval + 1)
    second = fetch_all(engine, config, now=later)
    assert (second.sources_read, second.sources_not_modified, second.articles_new) == (1, 1, 0)
    path, headers = server.requests[-1]
    assert path == "/feed.xml" and headers.get("If-None-Match") == '"v1"'
    assert headers.get("If-Modified-Since") == "Sat, 28 Nov 2026 10:00:00 GMT"
    assert server.hits["/articles/budget.html"] == 1
    source = _source(engine, "Le Journal")
    assert (source.polls, source.not_modified, source.consecutive_failures) == (2, 1, 0)
    assert "entrelignes" in headers.get("User-Agent", "")


def test_the_same_article_by_two_routes_is_stored_once(server, engine, tmp_path):
    page = article_html("Inondations", canonical="https://journal.example/inondations/")
    server.static("/a/inondations.html", page)
    server.static("/b/inondations-amp.html", page)
    server.static("/a.xml", rss([("Inondations", "a/inondations.html")]), "application/rss+xml")
    server.static("/b.xml", rss([("Inondations (AMP)", "b/inondations-amp.html?fbclid=xyz")]), "application/rss+xml")
    config = make_config(tmp_path, SourceConfig(name="A", url=server.url("/a.xml")), SourceConfig(name="B", url=server.url("/b.xml")))
    report = fetch_all(engine, config, now=NOW)
    assert report.articles_new == 1 and report.articles_seen == 1, report
    assert list(_articles(engine)) == ["https://journal.example/inondations/"]
    # next run: both feed items are known, no page is fetched again
    server.static("/a.xml", rss([("Inondations", "a/inondations.html")]), "application/rss+xml", etag='"2"')
    again = fetch_all(engine, config, now=NOW + timedelta(hours=1))
    assert again.articles_seen == 2 and again.articles_new == 0
    assert server.hits["/a/inondations.html"] + server.hits["/b/inondations-amp.html"] == 2


def test_feed_content_without_fetching_pages(server, engine, tmp_path):
    body = "".join(f"<p>{p}</p>" for p in ["Un long paragraphe de contenu complet. " * 12] * 3)
    server.static("/full.xml", f'<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>F</title>'
                  f"<item><title>Complet</title><link>articles/complet.html</link><content:encoded><![CDATA[{body}]]></content:encoded></item>"
                  f"</channel></rss>", "application/rss+xml")
    config = make_config(tmp_path, SourceConfig(name="Full", url=server.url("/full.xml"), fetch_full_page=False))
    report = fetch_all(engine, config, now=NOW)
    assert report.articles_new == 1, report.errors
    assert server.hits["/articles/complet.html"] == 0
    assert "Un long paragraphe" in next(iter(_articles(engine).values())).text


def test_page_failures_are_reported_retried_then_given_up(server, engine, tmp_path):
    server.static("/feed.xml", rss([("Bon", "articles/bon.html"), ("Absent", "articles/absent.html"), ("Vide", "articles/vide.html"),
                                    ("Interdit", "private/secret.html"), ("PDF", "articles/doc.pdf")]), "application/rss+xml")
    server.static("/articles/bon.html", article_html("Bon"))
    server.static("/articles/vide.html", "<html><body><p>Rien.</p></body></html>")
    server.static("/private/secret.html", article_html("Secret"))
    server.static("/articles/doc.pdf", b"%PDF-1.4", "application/pdf")
    config = make_config(tmp_path, SourceConfig(name="J", url=server.url("/feed.xml")))
    report = fetch_all(engine, config, now=NOW)
    assert report.articles_new == 1
    reasons = {url.rsplit("/", 1)[-1]: reason for url, reason in report.errors}
    assert reasons["absent.html"] == "J: HTTP 404 Not Found"
    assert reasons["vide.html"].startswith("J: no extractable text (")
    assert reasons["secret.html"] == "J: disallowed by the site's robots.txt"
    assert reasons["doc.pdf"] == "J: not a web page: content type application/pdf"
    assert server.hits["/private/secret.html"] == 0
    assert _source(engine, "J").extraction_failures == 1
    for attempt in range(1, 4):  # each poll of a changed feed retries failed pages, three attempts in all
        fetch_all(engine, config, now=NOW + timedelta(hours=attempt), force=True)
    assert server.hits["/articles/absent.html"] == 3
    with session_scope(engine) as session:
        state = session.scalar(select(FeedItemState).where(FeedItemState.url.like("%absent.html")))
        assert state.attempts == 3 and state.last_error == "HTTP 404 Not Found"


def test_untrusted_sources_never_reach_private_addresses_or_files(server, engine, tmp_path):
    server.static("/feed.xml", rss([("x", "articles/x.html")]), "application/rss+xml")
    server.static("/articles/x.html", article_html("x"))
    with session_scope(engine) as session:
        add_source(session, name="web loopback", url=server.url("/feed.xml"), origin="web")
        add_source(session, name="web file", url=(tmp_path / "feed.xml").as_uri(), origin="web")
    config = make_config(tmp_path)
    report = fetch_all(engine, config, now=NOW)
    reasons = dict(report.errors)
    assert "refused: 127.0.0.1 resolves to a loopback address (127.0.0.1)" == reasons["web loopback"]
    assert "local files (file://) are only allowed for sources in the config file" == reasons["web file"]
    assert server.hits["/feed.xml"] == 0
    # the config file may not allow them either
    config = make_config(tmp_path, SourceConfig(name="cfg", url=server.url("/feed.xml")), allow_private=False)
    report = fetch_all(engine, config, now=NOW, force=True)
    assert dict(report.errors)["cfg"].startswith("refused: 127.0.0.1 resolves to a loopback address")


def test_a_remote_feed_cannot_point_at_local_files(server, engine, tmp_path):
    secret = tmp_path / "secret.html"
    secret.write_text(article_html("Secret"))
    server.static("/feed.xml", rss([("Secret", secret.as_uri())]), "application/rss+xml")
    config = make_config(tmp_path, SourceConfig(name="R", url=server.url("/feed.xml")))
    report = fetch_all(engine, config, now=NOW)
    assert report.articles_new == 0
    assert report.errors == [(secret.as_uri(), "R: refused: a local file (file://) linked from a remote feed")]


def test_sitemap_index_and_news_sitemap(server, engine, tmp_path):
    server.static("/sitemap-index.xml", f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>{server.url('/sitemap-old.xml')}</loc><lastmod>2020-01-01</lastmod></sitemap>
  <sitemap><loc>/news-sitemap.xml.gz</loc><lastmod>2026-11-28</lastmod></sitemap>
</sitemapindex>""", "application/xml")
    import gzip

    news = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>/articles/port.html</loc><news:news><news:publication><news:name>J</news:name><news:language>fr</news:language></news:publication>
  <news:publication_date>2026-11-28T08:00:00+01:00</news:publication_date><news:title>Le port s'agrandit</news:title></news:news></url>
</urlset>"""
    server.static("/news-sitemap.xml.gz", gzip.compress(news.encode()), "application/x-gzip")
    server.static("/sitemap-old.xml", '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>', "application/xml")
    server.static("/articles/port.html", article_html("Port"))
    config = make_config(tmp_path, SourceConfig(name="S", url=server.url("/sitemap-index.xml")))
    report = fetch_all(engine, config, now=NOW)
    assert report.articles_new == 1, report.errors
    assert next(iter(_articles(engine).values())).title == "Le port s'agrandit"


def test_a_single_article_url_is_a_source(server, engine, tmp_path):
    server.static("/une.html", article_html("À la une", canonical="https://journal.example/une/"))
    config = make_config(tmp_path, SourceConfig(name="Une", url=server.url("/une.html")))
    report = fetch_all(engine, config, now=NOW)
    assert report.articles_new == 1 and list(_articles(engine)) == ["https://journal.example/une/"]
    assert server.hits["/une.html"] == 1  # the page is not fetched twice


def test_config_sync_keeps_cli_sources_and_follows_moves(server, engine, tmp_path):
    server.redirect("/old.xml", "/new.xml", 301)
    server.static("/new.xml", rss([]), "application/rss+xml")
    with session_scope(engine) as session:
        add_source(session, name="added by hand", url=server.url("/cli.xml"))
    config = make_config(tmp_path, SourceConfig(name="Moving", url=server.url("/old.xml"), tags=("a",)))
    fetch_all(engine, config, now=NOW)
    config = dataclasses.replace(config, sources=(SourceConfig(name="Moving", url=server.url("/old.xml"), tags=("b",)),))
    fetch_all(engine, config, now=NOW + timedelta(hours=1))
    with session_scope(engine) as session:
        rows = {s.name: s for s in session.scalars(select(Source))}
    assert set(rows) == {"added by hand", "Moving"}  # no duplicate under the old URL
    assert rows["Moving"].url == server.url("/new.xml") and rows["Moving"].tags == ["b"]
    assert server.hits["/old.xml"] == 1 and server.hits["/new.xml"] == 2


def test_politeness_per_host_delay(server, engine, tmp_path):
    import time

    server.static("/feed.xml", rss([(f"P{i}", f"articles/p{i}.html") for i in range(3)]), "application/rss+xml")
    for i in range(3):
        server.static(f"/articles/p{i}.html", article_html(f"P{i}"))
    config = make_config(tmp_path, SourceConfig(name="P", url=server.url("/feed.xml")), per_host_delay=0.3, per_host=2)
    started = time.monotonic()
    report = fetch_all(engine, config, now=NOW)
    # feed, robots.txt and three pages: five requests to one host, 0.3 s apart at least
    assert report.articles_new == 3 and time.monotonic() - started >= 4 * 0.3


def test_a_css_selector_narrows_extraction(server, engine, tmp_path):
    page = article_html("Sélection").replace("<footer>", "<aside class='promo'>" + "Abonnez-vous à notre lettre quotidienne et recevez nos offres. " * 8 + "</aside><footer>")
    page = page.replace("<article>", "<article class='story'>")
    server.static("/feed.xml", rss([("Sélection", "articles/s.html")]), "application/rss+xml")
    server.static("/articles/s.html", page)
    config = make_config(tmp_path, SourceConfig(name="Sel", url=server.url("/feed.xml"), selector="article.story"))
    assert fetch_all(engine, config, now=NOW).articles_new == 1
    (article,) = _articles(engine).values()
    assert "Abonnez-vous" not in article.text and "conseil municipal" in article.text


def test_find_feed_from_a_home_page(server, tmp_path):
    from entrelignes.ingest import find_feed
    from entrelignes.ingest.safety import UnsafeURL

    server.static("/", '<html><head><title>Le Journal</title><link rel="alternate" type="application/rss+xml" href="/rss.xml"></head><body>Accueil</body></html>')
    server.static("/rss.xml", rss([("a", "a.html")], title="Le Journal — flux"), "application/rss+xml")
    server.static("/une.html", article_html("Une", canonical="https://journal.example/une/"))
    config = make_config(tmp_path)
    found = find_feed(server.url("/"), config)
    assert (found.url, found.kind, found.title) == (server.url("/rss.xml"), "rss", "Le Journal — flux")
    assert find_feed(server.url("/rss.xml"), config).url == server.url("/rss.xml")
    assert find_feed(server.url("/une.html"), config).kind == "page"
    import pytest

    with pytest.raises(UnsafeURL):
        find_feed(server.url("/"), config, allow_private=False)


def test_cache_control_max_age_delays_the_next_poll(server, engine, tmp_path):
    server.static("/cached.xml", rss([]), "application/rss+xml", headers={"Cache-Control": "public, max-age=7200"})
    server.static("/nocache.xml", rss([]), "application/rss+xml", headers={"Cache-Control": "no-cache"})
    config = make_config(tmp_path, SourceConfig(name="C", url=server.url("/cached.xml")), SourceConfig(name="N", url=server.url("/nocache.xml")))
    fetch_all(engine, config, now=NOW)
    assert _source(engine, "C").next_poll_at == NOW + timedelta(seconds=7200)
    assert _source(engine, "N").next_poll_at == NOW + timedelta(seconds=900)  # never sooner than the interval


def test_two_runs_meeting_the_same_new_item_both_succeed(server, engine, tmp_path, monkeypatch):
    """Another run records the item between this run's lookup and its write: the insert of
    the item's state must not fail (it did, with a primary key error, for the whole chunk)."""
    from entrelignes.ingest import run as ingest_run

    server.static("/feed.xml", rss([("Budget", "articles/budget.html")]), "application/rss+xml")
    server.static("/articles/budget.html", article_html("Budget"))
    config = make_config(tmp_path, SourceConfig(name="Le Journal", url=server.url("/feed.xml")))
    original = ingest_run._Runner._article

    async def racing(self, job, key, candidate):
        result = await original(self, job, key, candidate)
        with session_scope(engine) as session:  # the other run, committed first
            session.add(FeedItemState(key=key, source_id=job.id, url=candidate.item.url, attempts=0, last_error="", first_seen_at=NOW))
        return result

    monkeypatch.setattr(ingest_run._Runner, "_article", racing)
    report = fetch_all(engine, config, now=NOW)
    assert (report.articles_new, report.errors) == (1, [])
    with session_scope(engine) as session:
        states = session.scalars(select(FeedItemState)).all()
        assert len(states) == 1 and states[0].article_id is not None


def test_feed_items_are_pruned_to_a_window_per_source(server, engine, tmp_path, monkeypatch):
    from entrelignes.ingest import run as ingest_run
    from entrelignes.store.sources import sync_config_sources

    monkeypatch.setattr(ingest_run, "ITEMS_KEPT", 5)  # the window is then 10 x max_items = 20
    server.static("/feed.xml", rss([("Budget", "articles/budget.html"), ("Écoles", "articles/ecoles.html")]), "application/rss+xml")
    for name in ("budget", "ecoles"):
        server.static(f"/articles/{name}.html", article_html(name))
    config = make_config(tmp_path, SourceConfig(name="Le Journal", url=server.url("/feed.xml")), max_items=2)
    with session_scope(engine) as session:
        sync_config_sources(session, config.sources, url_of=config.source_url)
        source_id = session.scalar(select(Source.id))
        for n in range(30):  # items seen in earlier runs, the oldest first
            session.add(FeedItemState(key=f"old{n:02d}", source_id=source_id, url=f"http://example.org/{n}", attempts=1,
                                      last_error="", first_seen_at=NOW - timedelta(days=60 - n)))
    assert fetch_all(engine, config, now=NOW).articles_new == 2
    with session_scope(engine) as session:
        keys = set(session.scalars(select(FeedItemState.key)))
    assert len(keys) == 20
    assert {f"old{n:02d}" for n in range(12, 30)} <= keys  # the 18 newest old ones and the 2 new ones


def test_sources_add_of_a_home_page_follows_its_feed(server, tmp_path):
    from typer.testing import CliRunner

    from entrelignes.cli import app

    server.static("/", '<html><head><title>Le Journal</title><link rel="alternate" type="application/rss+xml" href="/rss.xml"></head><body>Accueil</body></html>')
    server.static("/rss.xml", rss([("a", "a.html")], title="Le Journal — flux"), "application/rss+xml")
    (tmp_path / "entrelignes.toml").write_text('data_dir = "data"\n')
    config = ["--config", str(tmp_path / "entrelignes.toml")]
    runner = CliRunner()
    added = runner.invoke(app, ["sources", "add", server.url("/"), *config])
    assert added.exit_code == 0, added.output
    assert f"announces the feed {server.url('/rss.xml')}" in added.output
    down = runner.invoke(app, ["sources", "add", server.url("/missing.xml"), "--name", "Later", *config])
    assert down.exit_code == 0 and "following it as given" in down.output
    listed = runner.invoke(app, ["sources", "export", *config]).output
    assert f'xmlUrl="{server.url("/rss.xml")}"' in listed and 'text="Le Journal — flux"' in listed
    assert f'xmlUrl="{server.url("/missing.xml")}"' in listed and 'text="Later"' in listed


def test_one_hosts_sources_are_spread_over_the_run():
    """Sources listed host by host are polled round-robin across hosts, each host's own order
    kept: the workers do not all queue behind one host's politeness delay."""
    from entrelignes.ingest.run import _Job, spread_hosts

    def job(i: int, url: str) -> _Job:
        return _Job(id=i, name=str(i), url=url, language="", fetch_full_page=False, etag="", last_modified="",
                    poll_interval=900, consecutive_failures=0, trusted=True)

    jobs = [job(1, "https://a.example/1"), job(2, "https://A.example/2"), job(3, "https://a.example/3"),
            job(4, "https://b.example/"), job(5, "https://a.example:8443/"), job(6, "file:///srv/feeds/x.xml")]
    assert [j.id for j in spread_hosts(jobs, window=256)] == [1, 4, 5, 6, 2, 3]
    # two hosts at a time (as many as the idle connections kept): a host's next job comes before
    # its connection is pushed out, and a host that runs out makes room for the next one
    assert [j.id for j in spread_hosts(jobs, window=2)] == [1, 4, 2, 5, 3, 6]
    assert [j.id for j in spread_hosts(jobs, window=0)] == [1, 2, 3, 4, 5, 6]  # one host at a time, nothing lost
    # a site with many feeds runs alongside the others, not on its own once they are done
    many = [job(10 + i, f"https://big.example/{i}") for i in range(3)] + [job(20 + i, f"https://s{i}.example/") for i in range(4)]
    assert [j.id for j in spread_hosts(many, window=2)] == [10, 20, 11, 21, 12, 22, 23]

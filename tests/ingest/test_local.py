"""Local sources: directories of HTML, text, JSONL and WARC files, and local feeds."""

from __future__ import annotations

import io
import json
from datetime import timedelta

from sqlalchemy import select

from entrelignes.config import SourceConfig
from entrelignes.ingest import fetch_all
from entrelignes.ingest.local import iter_candidates
from entrelignes.store import session_scope
from entrelignes.store.schema import Article

from .conftest import NOW, PARAGRAPHS, article_html, make_config, rss


def _warc(path, pages: list[tuple[str, str]]) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for url, html in pages:
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(html.encode()), http_headers=headers))
        headers = StatusAndHeaders("404 Not Found", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record("https://archive.example/missing", "response", payload=io.BytesIO(b"no"), http_headers=headers))


def test_a_directory_of_archives(engine, tmp_path):
    archive = tmp_path / "archive"
    (archive / "pages").mkdir(parents=True)
    (archive / "pages" / "one.html").write_text(article_html("Une page", canonical="https://archive.example/one/"))
    (archive / "pages" / "latin.html").write_bytes(article_html("Été à Besançon", charset="iso-8859-1").encode("cp1252"))
    (archive / "note.txt").write_text("Un texte brut\n\n" + "\n\n".join(PARAGRAPHS))
    (archive / "latin.md").write_bytes(("# Grève à Besançon\n\n" + "\n\n".join(PARAGRAPHS)).encode("latin-1"))
    records = [
        {"url": "https://archive.example/jsonl-1", "title": "Ligne un", "text": "\n\n".join(PARAGRAPHS), "published": "2026-11-27T10:00:00+01:00"},
        {"url": "https://archive.example/jsonl-2", "title": "Ligne deux", "html": article_html("Ligne deux")},
    ]
    (archive / "records.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\nnot json\n")
    _warc(archive / "crawl.warc.gz", [("https://archive.example/warc-1", article_html("Warc un")), ("https://archive.example/warc-2", article_html("Warc deux"))])
    (archive / "feed").mkdir()
    (archive / "feed" / "feed.xml").write_text(rss([("Du flux", "articles/flux.html")]))
    (archive / "feed" / "articles").mkdir()
    (archive / "feed" / "articles" / "flux.html").write_text(article_html("Du flux"))
    (archive / "picture.png").write_bytes(b"\x89PNG")

    config = make_config(tmp_path, SourceConfig(name="Archive", url="archive"))
    report = fetch_all(engine, config, now=NOW)
    assert report.articles_new == 9, report.errors
    assert [reason for _, reason in report.errors] == ["Archive: records.jsonl line 3: invalid JSON (Expecting value: line 1 column 1 (char 0))"]
    with session_scope(engine) as session:
        articles = {a.url: a for a in session.scalars(select(Article))}
    assert "https://archive.example/one/" in articles and "https://archive.example/warc-2" in articles
    assert articles["https://archive.example/jsonl-1"].title == "Ligne un"
    assert articles["https://archive.example/jsonl-1"].published_at.isoformat() == "2026-11-27T09:00:00+00:00"
    assert any(a.title == "Été à Besançon" for a in articles.values())
    assert any(a.title == "Un texte brut" for a in articles.values())
    assert any(a.title == "Grève à Besançon" for a in articles.values())

    # unchanged: like a 304
    again = fetch_all(engine, config, now=NOW + timedelta(hours=1))
    assert (again.sources_read, again.sources_not_modified, again.articles_new) == (1, 1, 0)
    # one file added: only it is new
    (archive / "pages" / "two.html").write_text(article_html("Deux", canonical="https://archive.example/two/"))
    third = fetch_all(engine, config, now=NOW + timedelta(hours=2))
    assert third.articles_new == 1 and third.articles_seen >= 8, third


def test_records_keep_the_source_limit_their_fields_and_warc_resources(tmp_path):
    from warcio.warcwriter import WARCWriter

    (tmp_path / "big.txt").write_text("Titre\n\n" + "x" * 500)
    both = {"title": "Les deux", "html": "<p>la page</p>", "text": "le texte", "author": "Odile Ferrand", "date": "2026-11-27T10:00:00+01:00"}
    (tmp_path / "lines.jsonl").write_text(json.dumps(both) + "\n" + json.dumps({"title": "Sans rien"}) + "\n")
    with (tmp_path / "pages.warc.gz").open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)  # a page stored without HTTP headers
        writer.write_record(writer.create_warc_record("https://archive.example/stored", "resource", payload=io.BytesIO(b"<p>stored</p>"), warc_content_type="text/html"))
    big, line_one, line_two, stored = iter_candidates(tmp_path, max_bytes=300)
    assert (big.item.url, big.error) == ((tmp_path / "big.txt").as_uri(), "big.txt: larger than 300 bytes")
    assert line_one.item.url == f"{(tmp_path / 'lines.jsonl').as_uri()}#line-1" and line_one.html == "<p>la page</p>"
    assert line_one.item.author == "Odile Ferrand" and line_one.item.published.isoformat() == "2026-11-27T10:00:00+01:00"
    assert line_two.error == 'lines.jsonl line 2: missing "text" or "html"'
    assert (stored.item.url, stored.html, stored.error) == ("https://archive.example/stored", "<p>stored</p>", "")


def test_a_local_feed_file_with_relative_links(engine, tmp_path):
    (tmp_path / "site" / "articles").mkdir(parents=True)
    (tmp_path / "site" / "feed.xml").write_text(rss([("Local", "articles/local.html")]))
    (tmp_path / "site" / "articles" / "local.html").write_text(article_html("Local"))
    config = make_config(tmp_path, SourceConfig(name="Local", url="site/feed.xml"))
    assert fetch_all(engine, config, now=NOW).articles_new == 1
    assert fetch_all(engine, config, now=NOW + timedelta(hours=1)).sources_not_modified == 1
    missing = make_config(tmp_path, SourceConfig(name="Missing", url="nowhere/feed.xml"))
    report = fetch_all(engine, missing, now=NOW)
    assert report.errors[0][0] == "Missing" and report.errors[0][1].startswith("no such file or directory: ")

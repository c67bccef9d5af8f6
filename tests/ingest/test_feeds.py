"""Feed formats, one sample each, and the promise that no input crashes the parser."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from entrelignes.ingest.feeds import FeedError, NotAFeed, parse_date, parse_feed

BASE = "https://journal.example/feeds/main.xml"

RSS091 = """<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>Vieux journal</title><link>https://journal.example/</link><language>fr</language>
<item><title>Caf\xe9 cr\xe8me</title><link>/1991/cafe.html</link><description>Un caf\xe9.</description></item>
</channel></rss>""".encode("latin-1")

RSS092 = """<?xml version="1.0"?><rss version="0.92"><channel><title>J</title>
<item><title>Sans lien</title><description>pas de lien: ignoré</description></item>
<item><title>Avec guid</title><guid>https://journal.example/guid-permalink</guid></item>
</channel></rss>"""

RSS20 = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Le &lt;b&gt;Journal&lt;/b&gt;</title><link>https://journal.example/</link>
<item><title>Budget &amp; écoles</title><link>../articles/budget.html</link>
<description>&lt;p&gt;Résumé &lt;b&gt;gras&lt;/b&gt;&lt;/p&gt;</description>
<content:encoded><![CDATA[<p>Texte complet</p>]]></content:encoded>
<pubDate>Sat, 28 Nov 2026 10:00:00 +0100</pubDate><dc:creator>Élise Garnier</dc:creator></item>
</channel></rss>"""

RSS10 = """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://journal.example/"><title>RDF</title><link>https://journal.example/</link></channel>
<item rdf:about="https://journal.example/rdf-1"><title>Un</title><link>https://journal.example/rdf-1</link><dc:date>2026-11-28T09:00:00Z</dc:date></item>
</rdf:RDF>"""

RSS090 = """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/">
<channel><title>Netscape</title><link>https://journal.example/</link></channel>
<item><title>Zéro</title><link>https://journal.example/090</link></item></rdf:RDF>"""

ATOM10 = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://journal.example/blog/">
<title type="html">Le &lt;i&gt;blog&lt;/i&gt;</title><link href="https://journal.example/"/><author><name>Rédaction</name></author>
<entry><title>Entrée</title><link rel="alternate" type="text/html" href="entree.html"/><link rel="enclosure" href="x.mp3"/>
<id>tag:journal.example,2026:1</id><updated>2026-11-28T10:00:00+01:00</updated><published>2026-11-28T09:00:00+01:00</published>
<summary>Court</summary><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Long <b>texte</b></p></div></content></entry>
<entry><title>Sans lien, id URL</title><id>https://journal.example/by-id</id><updated>2026-11-28T10:00:00Z</updated></entry>
</feed>"""

ATOM03 = """<?xml version="1.0" encoding="utf-8"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Ancien Atom</title>
<entry><title>Trois</title><link rel="alternate" type="text/html" href="https://journal.example/03"/>
<issued>2026-11-28T08:00:00Z</issued><modified>2026-11-28T09:00:00Z</modified>
<content type="text/html" mode="escaped">&lt;p&gt;Contenu&lt;/p&gt;</content></entry></feed>"""

JSONFEED = json.dumps({
    "version": "https://jsonfeed.org/version/1.1", "title": "JSON", "home_page_url": "https://journal.example/",
    "authors": [{"name": "La rédaction"}],
    "items": [
        {"id": "1", "url": "articles/json.html", "title": "Json", "content_html": "<p>Bonjour</p>", "date_published": "2026-11-28T10:00:00+01:00"},
        {"id": "https://journal.example/only-id", "content_text": "texte"},
        {"id": "3"},  # no link at all: skipped
        "not an object",
    ],
})

JSONFEED_10 = json.dumps({"version": "https://jsonfeed.org/version/1", "title": "v1", "author": {"name": "Auteur"},
                          "items": [{"id": "x", "url": "https://journal.example/v1", "title": "V1", "content_text": "a < b"}]})


def test_rss_091_with_doctype_and_latin1():
    feed = parse_feed(RSS091, url=BASE)
    assert feed.kind == "rss" and feed.title == "Vieux journal"
    assert [(i.title, i.url, i.summary) for i in feed.items] == [("Café crème", "https://journal.example/1991/cafe.html", "Un café.")]


def test_rss_092_links_from_guid():
    feed = parse_feed(RSS092.encode(), url=BASE)
    assert [i.url for i in feed.items] == ["https://journal.example/guid-permalink"]


def test_rss_20():
    feed = parse_feed(RSS20.encode(), url=BASE)
    (item,) = feed.items
    assert feed.title == "Le Journal" and feed.site_url == "https://journal.example/"
    assert item.url == "https://journal.example/articles/budget.html"
    assert item.title == "Budget & écoles" and item.summary == "Résumé gras" and item.content_html == "<p>Texte complet</p>"
    assert item.published == datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc) and item.author == "Élise Garnier"


def test_rss_10_and_090():
    assert [(i.title, i.url) for i in parse_feed(RSS10.encode(), url=BASE).items] == [("Un", "https://journal.example/rdf-1")]
    assert parse_feed(RSS10.encode(), url=BASE).items[0].published == datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)
    feed = parse_feed(RSS090.encode(), url=BASE)
    assert feed.kind == "rdf" and [i.title for i in feed.items] == ["Zéro"]


def test_atom_10():
    feed = parse_feed(ATOM10.encode(), url=BASE)
    first, second = feed.items
    assert feed.title == "Le blog"
    assert first.url == "https://journal.example/blog/entree.html" and first.author == "Rédaction"
    assert first.published == datetime(2026, 11, 28, 8, 0, tzinfo=timezone.utc)
    assert "<b>texte</b>" in first.content_html and first.summary == "Court"
    assert second.url == "https://journal.example/by-id"


def test_atom_03():
    (item,) = parse_feed(ATOM03.encode(), url=BASE).items
    assert item.url == "https://journal.example/03" and item.content_html == "<p>Contenu</p>"
    assert item.published == datetime(2026, 11, 28, 8, 0, tzinfo=timezone.utc)


def test_json_feed_11_and_10():
    feed = parse_feed(JSONFEED.encode(), url=BASE, content_type="application/feed+json")
    assert feed.kind == "json" and [i.url for i in feed.items] == ["https://journal.example/feeds/articles/json.html", "https://journal.example/only-id"]
    assert feed.items[0].author == "La rédaction" and feed.items[0].content_html == "<p>Bonjour</p>"
    (item,) = parse_feed(JSONFEED_10.encode(), url=BASE).items
    assert item.author == "Auteur" and item.content_html == "a &lt; b"


def test_plain_sitemap_newest_first():
    xml = """<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <url><loc>https://journal.example/old</loc><lastmod>2020-01-01</lastmod></url>
    <url><loc>https://journal.example/new</loc><lastmod>2026-11-28T10:00:00Z</lastmod></url></urlset>"""
    feed = parse_feed(xml.encode(), url=BASE)
    assert feed.kind == "sitemap" and [i.url for i in feed.items] == ["https://journal.example/new", "https://journal.example/old"]


def test_html_is_recognised():
    with pytest.raises(NotAFeed) as caught:
        parse_feed(b"<!-- hi -->\n<!DOCTYPE html><html><head><title>x</title></head></html>", url=BASE)
    assert "<title>x</title>" in caught.value.text


@pytest.mark.parametrize(
    "body, message",
    [
        (b"", "empty document"),
        (b"<foo/>", "not a feed: XML document with root element <foo>"),
        (b'<?xml version="1.0"?><rss><channel><item>', "malformed feed: "),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><rss/>', "refused: the XML declares entities"),
        (b"[1, 2]", "not a feed: a JSON document without"),
        (b'{"version": "https://example.org/other", "items": []}', "not a feed: unknown JSON feed version"),
        (b"{not json", "malformed feed: invalid JSON"),
        (b"\x1f\x8b\x08\x00garbage", "malformed feed: "),
    ],
)
def test_clear_errors(body, message):
    with pytest.raises(FeedError) as caught:
        parse_feed(body, url=BASE)
    assert str(caught.value).startswith(message)


def test_dates():
    assert parse_date("Sat, 28 Nov 2026 10:00:00 GMT") == datetime(2026, 11, 28, 10, tzinfo=timezone.utc)
    assert parse_date("2026-11-28T10:00:00Z") == datetime(2026, 11, 28, 10, tzinfo=timezone.utc)
    assert parse_date("2026-11-28") == datetime(2026, 11, 28, tzinfo=timezone.utc)
    assert parse_date("Sat, 28 Nov 2026 10:00:00 CET") is not None
    assert parse_date("n'importe quoi") is None and parse_date("") is None


# --- property-based: no input crashes the parsing path ---------------------------------------

_FRAGMENTS = st.sampled_from([
    "<?xml version='1.0'?>", "<?xml version='1.0' encoding='latin-1'?>", "<rss version='2.0'>", "</rss>", "<channel>", "</channel>",
    "<item>", "</item>", "<title>", "</title>", "<link>", "</link>", "<pubDate>", "</pubDate>", "<feed xmlns='http://www.w3.org/2005/Atom'>",
    "</feed>", "<entry>", "</entry>", "<link href='x'/>", "<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>",
    "<!DOCTYPE rss>", "<![CDATA[", "]]>", "&amp;", "&", "&#x0;", "&eacute;", "<", ">", "é", "\x00", "\ufeff", "{", "}", '"items":',
    "[", "]", "<html>", "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>", "<url><loc>", "</loc></url>", "Mon, 99 Foo 2026",
    "2026-13-45T99:99:99Z", "javascript:alert(1)", "http://[::1", "//", "%", "<guid isPermaLink='false'>", "</guid>",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_FRAGMENTS, st.text(max_size=20)), max_size=40), st.sampled_from(["", "application/rss+xml; charset=utf-16", "text/html", "application/json"]))
def test_no_feed_input_crashes_the_parser(parts, content_type):
    body = "".join(parts)
    for data in (body.encode("utf-8", "surrogatepass"), body.encode("utf-16", "surrogatepass")):
        try:
            feed = parse_feed(data, url=BASE, content_type=content_type)
        except FeedError:
            continue
        for item in feed.items:
            assert isinstance(item.url, str) and isinstance(item.title, str)
            assert item.published is None or item.published.tzinfo is not None


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_no_bytes_crash_the_parser(data):
    try:
        parse_feed(data, url=BASE)
    except FeedError:
        pass

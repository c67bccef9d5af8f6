"""Titles are plain text: markup in a title is kept as characters, in every feed format."""

from __future__ import annotations

import json

import pytest

from entrelignes.ingest.feeds import parse_feed

TITLE = 'Alerte <script>alert("x")</script> & "fuite" au port'
ESCAPED = "Alerte &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;fuite&quot; au port"

FEEDS = {
    "rss": f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>{ESCAPED}</title><link>https://a.example/1</link></item></channel></rss>',
    "rdf": f'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><channel rdf:about="https://a.example/"><title>t</title></channel><item rdf:about="https://a.example/1"><title>{ESCAPED}</title><link>https://a.example/1</link></item></rdf:RDF>',
    "atom": f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><title type="text">{ESCAPED}</title><link href="https://a.example/1"/><id>1</id></entry></feed>',
    "json": json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [{"id": "1", "url": "https://a.example/1", "title": TITLE}]}),
}


@pytest.mark.parametrize("kind", sorted(FEEDS))
def test_a_title_with_markup_keeps_it_as_text(kind):
    feed = parse_feed(FEEDS[kind].encode(), url="https://a.example/feed")
    assert [item.title for item in feed.items] == [TITLE]


def test_double_escaped_entities_are_decoded_once():
    rss = FEEDS["rss"].replace(ESCAPED, "Caf&amp;eacute; &amp;amp; cr&amp;egrave;me")
    (item,) = parse_feed(rss.encode(), url="https://a.example/feed").items
    assert item.title == "Café & crème"

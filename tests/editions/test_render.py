"""Renderers: untrusted text is inert in every output, Telegram messages respect the limit."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from entrelignes.editions import render_atom, render_html, render_markdown, render_telegram

HOSTILE = 'Alerte <script>alert("x")</script> & "fuite" [lien](javascript:alert(1))'
ATOM = "{http://www.w3.org/2005/Atom}"


def story(rank: int, headline: str = "Crue de la Loire", *, url: str = "https://courrier.example/crue", sentences: int = 2) -> dict:
    return {
        "rank": rank,
        "story_ids": [f"s{rank}"],
        "headline": headline,
        "reason": "5 outlets in 4 hours, first reported by Le Courrier at 06:12",
        "is_update": rank == 2,
        "score": 1.0,
        "summary": [{"sentence": f"Phrase {i} de l'histoire {rank}.", "outlet": "Le Courrier"} for i in range(sentences)],
        "articles": [{"id": f"a{rank}", "title": headline, "outlet": "Le Courrier", "url": url, "published": "2026-03-12T06:12:00+01:00"}],
        "outlets": ["Le Courrier"],
        "quotes": [{"quote": "Nous <b>tiendrons</b>", "speaker": "Jeanne Martin", "speaker_type": "person", "outlet": "Le Courrier", "article_id": f"a{rank}"}],
        "sourcing": {},
    }


def edition(stories: list[dict], id_: str = "2026-03-12-morning") -> dict:
    return {
        "id": id_, "date": id_[:10], "slot": id_[11:], "at": f"{id_[:10]}T{'07' if id_.endswith('morning') else '19'}:00:00+01:00", "title": "entrelignes",
        "timezone": "Europe/Paris", "window_start": "", "stats": {"articles": 9, "stories": 4, "outlets": 3}, "stories": stories,
    }


def test_html_escapes_untrusted_text_and_neutralises_javascript_links():
    page = render_html(edition([story(1, HOSTILE, url="javascript:alert(1)")]), join_link="https://t.me/desk")
    assert "<script>alert" not in page and "&lt;script&gt;alert(" in page
    assert 'href="javascript:' not in page
    assert "<b>tiendrons</b>" not in page
    assert 'href="https://t.me/desk"' in page
    assert 'rel="noopener noreferrer nofollow"' in page


def test_markdown_shows_markup_as_text():
    text = render_markdown(edition([story(1, HOSTILE, url="javascript:alert(1)")]))
    assert "<script" not in text and "&lt;script&gt;" in text
    assert "](javascript:" not in text and "(<#>)" in text
    assert r"\[lien\]" in text


def test_atom_is_well_formed_with_stable_ids_and_escaped_content():
    editions = [edition([story(1, HOSTILE)]), edition([story(1)], "2026-03-12-evening")]
    feed = render_atom(editions, base_url="https://desk.example", feed_id="tag:desk.example,2026:entrelignes")
    root = ET.fromstring(feed)
    entries = root.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}id").text for e in entries] == [
        "tag:desk.example,2026:entrelignes:edition:2026-03-12-evening",
        "tag:desk.example,2026:entrelignes:edition:2026-03-12-morning",
    ]
    content = entries[1].find(f"{ATOM}content").text
    assert "&lt;script&gt;" in content and "<script" not in content  # HTML content, once decoded, still escaped
    assert root.find(f"{ATOM}updated").text == "2026-03-12T19:00:00+01:00"
    assert render_atom(editions, base_url="https://desk.example", feed_id="x") == render_atom(list(reversed(editions)), base_url="https://desk.example", feed_id="x")


ALLOWED_TAG = re.compile(r"</?(b|i|a)( href=\"[^\"]*\")?>")


def test_telegram_messages_escape_text_and_split_between_stories():
    stories = [story(i, f"{HOSTILE} numéro {i}", sentences=2) for i in range(1, 40)]
    messages = render_telegram(edition(stories), limit=1000)
    assert len(messages) > 1
    assert all(len(m) <= 1000 for m in messages)
    for message in messages:
        assert "<script" not in message
        tags = re.findall(r"<[^>]*>", message)
        assert all(ALLOWED_TAG.fullmatch(tag) for tag in tags), tags
        assert message.count("<b>") == message.count("</b>") and message.count("<a ") == message.count("</a>")
    joined = "\n\n".join(messages)
    assert all(f"numéro {i}</b>" in joined for i in range(1, 40)), "no story is lost or cut"


def test_a_story_longer_than_a_message_is_cut_as_plain_text_without_breaking_an_entity():
    long = story(1, "&" * 3000)
    messages = render_telegram(edition([long]), limit=1000)
    assert all(len(m) <= 1000 for m in messages)
    last = messages[-1]
    assert not re.search(r"&[a-z]*$", last), "an entity is never cut"
    assert "<" not in last.split("\n\n")[-1], "the cut story keeps no tag"

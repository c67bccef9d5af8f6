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


def visible(message: str) -> str:
    """What Telegram shows of an HTML message: tags gone, its four entities decoded."""
    text = re.sub(r"<[^>]*>", "", message)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")


def telegram_length(message: str) -> int:
    return len(visible(message).encode("utf-16-le")) // 2


def balanced(message: str) -> bool:
    stack = []
    for closing, name in re.findall(r"<(/?)([a-z]+)", message):
        if closing:
            if not stack or stack.pop() != name:
                return False
        else:
            stack.append(name)
    return not stack


def test_telegram_messages_escape_text_and_split_between_stories():
    stories = [story(i, f"{HOSTILE} numéro {i}", sentences=2) for i in range(1, 40)]
    messages = render_telegram(edition(stories), limit=1000)
    assert len(messages) > 1
    assert all(telegram_length(m) <= 1000 for m in messages)
    for message in messages:
        assert "<script" not in message
        tags = re.findall(r"<[^>]*>", message)
        assert all(ALLOWED_TAG.fullmatch(tag) for tag in tags), tags
        assert balanced(message)
        assert not re.search(r"&(?!(lt|gt|amp|quot);)", message), "every & starts one of Telegram's entities"
    joined = "\n\n".join(messages)
    assert all(f"numéro {i}</b>" in joined for i in range(1, 40)), "no story is lost or cut"
    assert joined.count("<i>(update)</i>") == 1, "story 2, the only update, is marked"
    for message in messages[1:]:
        assert re.match(r"<b>\d+\. ", message), "each message starts with a story"


def test_the_limit_is_counted_as_telegram_counts_after_parsing():
    emoji = story(1, "🌊" * 600 + " & <crue>", sentences=0)  # 1,200 UTF-16 units for 600 characters
    messages = render_telegram(edition([emoji]), limit=1000)
    assert all(telegram_length(m) <= 1000 for m in messages)
    headline = next(m for m in messages if "🌊" in m)
    assert 500 < len(visible(headline).split("\n")[0]) < 1000 and visible(headline).split("\n")[0].endswith("…")


def test_a_story_longer_than_a_message_continues_at_a_line_and_long_lines_are_shortened():
    long = story(1, "&" * 3000, sentences=6)
    messages = render_telegram(edition([long]), limit=1000)
    assert all(telegram_length(m) <= 1000 for m in messages)
    assert all(balanced(m) for m in messages)
    assert all(not re.search(r"&(?!(lt|gt|amp|quot);)", m) for m in messages), "an entity is never cut"
    assert visible(messages[1]).startswith("1. &&&") and visible(messages[1]).split("\n")[0].endswith("…")
    text = "\n".join(visible(m) for m in messages)
    assert all(f"Phrase {i} de l'histoire 1." in text for i in range(2)), "the rest of the story follows"


def test_a_url_cannot_break_out_of_its_link():
    hostile = "https://x.example/a\n[c](javascript:alert(1))\\"
    text = render_markdown(edition([story(1, url=hostile)]))
    assert "](javascript:" not in text and "\n[c]" not in text
    link = re.search(r"\]\(<([^>]*)>\)", text).group(1)
    assert link.startswith("https://x.example/a") and not set(link) & set("\n()[]\\<> ")
    unparsable = render_markdown(edition([story(1, url="https://[x/\n[c](javascript:alert(1))")]))
    assert "(<#>)" in unparsable and "](javascript:" not in unparsable

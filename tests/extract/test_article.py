"""Main-text extraction and language identification on pages written for these tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from entrelignes.extract import ExtractionError, detect_language, extract_page

BODY = " ".join(
    [
        "Les pompiers de la vallée ont évacué trois cents habitants dans la nuit de mardi à mercredi.",
        "La rivière est montée de deux mètres en six heures, selon la préfecture.",
        "« Nous n'avons jamais vu cela depuis 1982 », a déclaré la maire, Jeanne Martin.",
        "Les routes départementales restent fermées et les écoles n'ouvriront pas jeudi.",
    ]
)
PAGE = f"""<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>Crue : trois cents évacués | Le Courrier</title>
<link rel="canonical" href="https://courrier.example/2026/03/crue">
<meta property="article:published_time" content="2026-03-12T06:12:00+01:00">
</head><body>
<nav><a href="/">Accueil</a> <a href="/politique">Politique</a> <a href="/sport">Sport</a></nav>
<article><h1>Crue : trois cents évacués</h1><p>{BODY}</p><p>{BODY}</p></article>
<aside>Les plus lus : <a href="/x">Un titre</a></aside>
<footer>© Le Courrier — Mentions légales — Contact</footer>
</body></html>"""


def test_main_text_metadata_and_language_are_extracted():
    article = extract_page(PAGE, "https://courrier.example/feed-link")
    assert "trois cents habitants" in article.text
    assert "Mentions légales" not in article.text and "Les plus lus" not in article.text
    assert article.url == "https://courrier.example/2026/03/crue"
    assert article.published == datetime(2026, 3, 12, 6, 12, tzinfo=timezone(timedelta(hours=1)))
    assert article.language == "fr"
    assert "Crue" in article.title


def test_the_feed_title_wins_and_the_feed_date_is_a_fallback():
    page = PAGE.replace('<meta property="article:published_time" content="2026-03-12T06:12:00+01:00">', "")
    published = datetime(2026, 3, 12, 5, 0, tzinfo=timezone.utc)
    article = extract_page(page, "https://courrier.example/x", title="Titre du flux", published=published)
    assert article.title == "Titre du flux"
    assert article.published == published


def test_headline_section_label_and_byline_above_the_text_are_not_text():
    page = PAGE.replace(
        "<article><h1>",
        '<article><p class="section">Société</p><p class="byline">Par Jeanne Martin</p><h1>',
    )
    article = extract_page(page, "https://courrier.example/x", title="Crue : trois cents évacués")
    assert article.text.startswith("Les pompiers de la vallée")
    short_line_in_body = page.replace(f"<p>{BODY}</p><p>{BODY}</p>", f"<p>{BODY}</p><p>Et après ?</p><p>{BODY}</p>")
    assert "\nEt après ?\n" in extract_page(short_line_in_body, "https://courrier.example/x").text


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("", "empty page"),
        ("<html><body><nav><a href='/'>Accueil</a></nav><img src='x.jpg'></body></html>", "no extractable text"),
        ("\x00\x01binary\xff", "no extractable text"),
    ],
)
def test_pages_without_an_article_give_a_clear_reason(html, reason):
    with pytest.raises(ExtractionError, match=reason):
        extract_page(html, "https://courrier.example/vide")


def test_language_identification():
    assert detect_language(BODY) == "fr"
    assert detect_language("The river rose two metres in six hours, the prefecture said on Wednesday.") == "en"
    assert detect_language("ok") == ""

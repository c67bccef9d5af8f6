"""Headline, extractive summary and outlet contrast."""

from __future__ import annotations

from story_fixtures import at, english_bridge, french_fire, french_zamar, wire_copies

from entrelignes.stories import StoryInput, headline, outlet_contrast, summarize


def test_log_odds_contrast_finds_terroristes_versus_rebelles():
    contrast = outlet_contrast(french_zamar())
    assert contrast["Le Courrier du Matin"][0][0] == "terroristes"
    assert contrast["La Gazette de l'Est"][0][0] == "rebelles"
    words_a = {w for w, _ in contrast["Le Courrier du Matin"]}
    assert "rebelles" not in words_a and "soldats" not in words_a  # shared words do not distinguish
    assert all(z > 0 for _, z in contrast["La Gazette de l'Est"])


def test_contrast_respects_top_and_needs_two_outlets():
    assert all(len(v) <= 2 for v in outlet_contrast(french_fire(), top=2).values())
    assert outlet_contrast(french_zamar()[:1]) == {"Le Courrier du Matin": []}
    assert outlet_contrast([]) == {}


def test_contrast_with_a_background_prior():
    # words common in general news are shrunk towards zero by an informative prior
    plain = outlet_contrast(french_zamar())
    prior = {"attaque": 400, "gouvernement": 300, "dénonce": 200, "fuite": 100, "terroristes": 5, "rebelles": 5}
    informed = outlet_contrast(french_zamar(), prior=prior)
    assert informed["Le Courrier du Matin"][0][0] == "terroristes"
    assert dict(informed["Le Courrier du Matin"])["attaque"] < dict(plain["Le Courrier du Matin"])["attaque"]


def test_headline_is_a_member_title_about_the_event():
    members = english_bridge()
    h = headline(members)
    assert h in {m.title for m in members}
    assert "bridge" in h.lower()
    assert headline(french_fire()) in {m.title for m in french_fire()}
    assert headline([]) == ""
    assert headline(members) == headline(list(reversed(members)))


def test_summary_sentences_are_central_credited_and_spread_over_outlets():
    members = english_bridge()
    summary = summarize(members, n=3)
    assert len(summary) == 3
    outlets = {m.source for m in members}
    texts = {m.source: m.text for m in members}
    for sentence, outlet in summary:
        assert outlet in outlets and sentence in texts[outlet]
    assert len({o for _, o in summary}) == 3  # one sentence per outlet when it can
    assert any("collapse" in s.lower() or "gave way" in s.lower() for s, _ in summary)


def test_summary_skips_repeated_wire_sentences():
    summary = summarize(wire_copies(), n=3)
    sentences = [s for s, _ in summary]
    assert len(sentences) == len(set(sentences))
    assert summary[0][0].startswith(("The saffron harvest", "CASTELLANE", "Growers"))


def test_summary_falls_back_to_titles_without_text():
    members = [StoryInput("x1", "Storm closes the northern pass", "", at(6), "A")]
    assert summarize(members) == [("Storm closes the northern pass", "A")]


def test_outlets_with_first_times_and_carriers():
    from entrelignes.stories import outlets

    members = wire_copies()
    dups = {"w2": "w1", "w3": "w1", "w4": "w1", "w5": "w1"}
    listed = outlets(list(reversed(members)), dups)
    assert [o for o, _, _ in listed] == ["Agence Presse Libre", "The Northern Ledger", "Harbour Times",
                                         "Valley Gazette", "Morning Signal"]
    assert listed[0][1] == at(6, 12) and listed[0][2] is False
    assert all(copy for _, _, copy in listed[1:])


def test_quotes_grouped_by_speaker_across_outlets():
    from entrelignes.records import Quote
    from entrelignes.stories import quotes_by_speaker

    def q(text: str, speaker: str | None) -> Quote:
        return Quote(text, "direct", speaker, "person" if speaker else "none", "a dit", 0, len(text))

    grouped = quotes_by_speaker([
        ("Le Courrier du Matin", q("Nous resterons vigilants", "Marc Olivane")),
        ("Radio Fleuve", q("La fumée n'est pas toxique", "Olivane")),
        ("La Gazette de l'Est", q("On a eu peur", "Élise Marchal")),
        ("Radio Fleuve", q("Sans auteur", None)),
        ("La Gazette de l'Est", q("Le confinement est maintenu", "marc olivane")),
    ])
    assert list(grouped) == ["Marc Olivane", "Élise Marchal"]
    assert [o for o, _ in grouped["Marc Olivane"]] == ["Le Courrier du Matin", "Radio Fleuve", "La Gazette de l'Est"]

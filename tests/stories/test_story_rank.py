"""Ranking: independent outlets, updates, outlet caps, topic filters, reasons."""

from __future__ import annotations

from datetime import timedelta, timezone

from story_fixtures import all_articles, at, english_bridge, english_rates, french_fire, french_zamar, wire_copies

from entrelignes.stories import RankedStory, StoryClusterer, StoryInput, rank_stories


def _stories(articles: list[StoryInput]) -> tuple[dict[str, list[StoryInput]], dict[str, str]]:
    c = StoryClusterer()
    for a in sorted(articles, key=lambda a: (a.published, a.id)):
        c.add(a)
    by_id = {a.id: a for a in articles}
    stories: dict[str, list[StoryInput]] = {}
    for aid, sid in c.assignments().items():
        stories.setdefault(sid, []).append(by_id[aid])
    return stories, c.duplicate_of()


NOW = at(14)


def test_five_outlet_wire_reprint_counts_as_one_independent_outlet():
    stories, dups = _stories(wire_copies() + english_rates())
    assert len(stories["s-w1"]) == 5 and len({a.source for a in stories["s-w1"]}) == 5
    ranked = rank_stories(stories, dups, now=NOW)
    by_id = {r.story_id: r for r in ranked}
    # two independent outlets beat one dispatch carried by five
    assert [r.story_id for r in ranked] == ["s-r1", "s-w1"]
    assert by_id["s-w1"].reason.startswith("1 independent outlet (5 carrying it)")
    assert "first reported by Agence Presse Libre at 06:12" in by_id["s-w1"].reason
    # without the duplicate map, the five carriers would count as five outlets
    inflated = {r.story_id: r for r in rank_stories(stories, {}, now=NOW)}
    assert inflated["s-w1"].score > by_id["s-w1"].score


def test_reason_is_readable_and_in_the_given_timezone():
    stories, dups = _stories(english_bridge())
    (story,) = rank_stories(stories, dups, now=NOW)
    assert story.reason == "3 outlets in 4 hours, first reported by The Northern Ledger at 08:40"
    # times are shown as the articles give them (Paris here), whatever the clock's zone
    (story,) = rank_stories(stories, dups, now=NOW.astimezone(timezone.utc))
    assert story.reason.endswith("at 08:40")
    (story,) = rank_stories(stories, dups, now=NOW + timedelta(days=1))
    assert story.reason.endswith("at 2026-03-12 08:40")  # another day: the date is shown


def test_more_outlets_and_faster_growth_rank_higher():
    stories, dups = _stories(all_articles())
    ranked = rank_stories(stories, dups, now=NOW)
    ids = [r.story_id for r in ranked]
    # three outlets each; all three bridge reports are recent, the fire's first is not
    assert ids[:2] == ["s-b1", "s-f1"]
    assert ranked[0].score > ranked[1].score > ranked[-1].score
    assert ranked == rank_stories(dict(reversed(list(stories.items()))), dups, now=NOW)
    assert all(isinstance(r, RankedStory) and not r.is_update for r in ranked)


def test_ties_go_to_the_earliest_first_report_then_the_id():
    def art(aid: str, hour: int, outlet: str) -> StoryInput:
        return StoryInput(aid, f"Title {aid}", f"Text {aid}", at(hour), outlet)

    stories = {
        "s-c": [art("c1", 9, "A"), art("c2", 12, "B")],
        "s-b": [art("b1", 8, "A"), art("b2", 12, "B")],
        "s-a": [art("a1", 9, "A"), art("a2", 12, "B")],
    }
    ranked = rank_stories(stories, {}, now=NOW)
    assert len({r.score for r in ranked}) == 1
    assert [r.story_id for r in ranked] == ["s-b", "s-a", "s-c"]


def test_recency_matters():
    stories, dups = _stories(english_bridge())
    fresh = rank_stories(stories, dups, now=NOW)[0].score
    stale = rank_stories(stories, dups, now=NOW + timedelta(days=2))[0].score
    assert stale < fresh


def test_published_story_returns_only_with_new_articles_then_marked_update():
    stories, dups = _stories(english_bridge() + english_rates())
    published = {"s-b1": at(13), "s-r1": at(13)}
    late = StoryInput("b9", "Port Verity bridge: inspection finds more corroded girders",
                      "Inspectors found corroded girders on two more bridges in Port Verity, Mayor Alina Dusk said, "
                      "after the harbour bridge collapse injured two fishermen.", at(13, 30), "Valley Gazette")
    stories["s-b1"] = [*stories["s-b1"], late]
    ranked = rank_stories(stories, dups, now=NOW, previously_published=published)
    assert [r.story_id for r in ranked] == ["s-b1"]
    assert ranked[0].is_update
    assert ranked[0].reason.startswith("update: 1 new report since 13:00 (Valley Gazette); ")


def test_a_new_copy_of_old_wire_is_not_an_update():
    stories, dups = _stories(wire_copies())
    ranked = rank_stories(stories, dups, now=NOW, previously_published={"s-w1": at(9)})
    assert ranked == []  # w4 and w5 came after 09:00 but only copy the 06:12 dispatch


def test_outlet_cap():
    stories, dups = _stories(all_articles())
    lead = {sid: min(m, key=lambda a: (a.published, a.id)).source for sid, m in stories.items()}
    assert list(lead.values()).count("Le Courrier du Matin") == 2  # fire and zamar
    capped = rank_stories(stories, dups, now=NOW, max_per_outlet=1)
    leads = [lead[r.story_id] for r in capped]
    assert len(leads) == len(set(leads))
    assert len(capped) == len(stories) - 1


def test_include_and_exclude_keywords():
    stories, dups = _stories(all_articles())
    only = rank_stories(stories, dups, now=NOW, include=["PRÉFET", "krona"])
    assert {r.story_id for r in only} == {"s-f1", "s-r1"}  # case and accents ignored
    without = rank_stories(stories, dups, now=NOW, exclude=["saffron", "zamar"])
    assert {r.story_id for r in without} == {"s-b1", "s-r1", "s-f1"}
    assert rank_stories(stories, dups, now=NOW, include=["bridge"], exclude=["bridge"]) == []
    assert rank_stories(stories, dups, now=NOW, include=["brid"]) == []  # whole words only


def test_future_articles_ignored():
    stories, dups = _stories(french_fire() + french_zamar())
    early = rank_stories(stories, dups, now=at(7, 30))
    assert {r.story_id for r in early} == {"s-f1", "s-z1"}
    assert all("1 outlet" in r.reason for r in early)


def test_two_outlets_hours_ago_outrank_a_fresh_lone_report():
    def art(aid: str, hour: int, minute: int, outlet: str) -> StoryInput:
        return StoryInput(aid, f"Title {aid}", f"Text {aid}", at(hour, minute), outlet)

    stories = {
        "s-leak": [art("l1", 10, 45, "A"), art("l2", 12, 10, "B")],  # two outlets, seven hours ago
        "s-lone": [art("o1", 16, 0, "C")],  # one outlet, three hours ago
    }
    ranked = rank_stories(stories, {}, now=at(19))
    assert [r.story_id for r in ranked] == ["s-leak", "s-lone"]

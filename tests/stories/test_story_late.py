"""A late report joins the story it belongs to after that story has closed, within
`reopen_within`; closed stories are kept only that long, so memory and the saved state stay
bounded however long the stream."""

from __future__ import annotations

import random
from datetime import timedelta

from story_fixtures import DAY, all_articles, at, follow_up, lighthouse, wire_copies

from entrelignes.stories import ClusterParams, StoryClusterer, StoryInput


def _fed(articles: list[StoryInput], **kw) -> StoryClusterer:
    clusterer = StoryClusterer(**kw)
    for a in sorted(articles, key=lambda a: (a.published, a.id)):
        clusterer.add(a)
    return clusterer


def test_a_late_report_reopens_its_closed_story():
    clusterer = _fed(all_articles() + lighthouse(), quiet_period=timedelta(hours=36))
    late = follow_up(days=2)  # 46 hours after the last report: the story has closed
    assert late.published - lighthouse()[-1].published > clusterer.quiet_period
    assert clusterer.add(late) == "s-l1"
    assert clusterer.open_stories()["s-l1"] == ["l1", "l2", "l3"]
    assert {"s-b1", "s-w1"}.isdisjoint(clusterer.open_stories()), "the other stories stay closed"


def test_only_stories_within_reopen_within_reopen():
    """Without the time damping, only the horizon keeps a late report from an old story."""
    params = ClusterParams(time_scale=timedelta(0), reopen_within=timedelta(days=3))
    assert _fed([*lighthouse(), follow_up(days=2.5)], params=params).assignments()["l3"] == "s-l1"
    assert _fed([*lighthouse(), follow_up(days=4)], params=params).assignments()["l3"] == "s-l3"


def test_a_late_copy_joins_its_closed_story_as_a_copy():
    original, copy, *_ = wire_copies()
    late_copy = StoryInput(copy.id, copy.title, copy.text, original.published + timedelta(days=2), copy.source, copy.language)
    # no resting story is a candidate by its terms: only the copy can reopen it
    clusterer = _fed([original, late_copy], params=ClusterParams(reopen_terms=1000))
    assert clusterer.assignments() == {"w1": "s-w1", "w2": "s-w1"}
    assert clusterer.duplicate_of() == {"w2": "w1"}


def test_a_resting_story_survives_a_saved_state():
    first = _fed(all_articles() + lighthouse())
    first.add(StoryInput("x1", "Chess club opens in Brenn library", "The Brenn library opened a chess club for pupils.",
                         at(7, day=DAY + timedelta(days=2)), "Valley Gazette", "en"))
    assert list(first.open_stories()) == ["s-x1"], "the morning stories closed and rest"
    state = first.to_state()
    second = StoryClusterer.from_state(state)
    assert second.to_state() == state
    late = StoryInput("l4", "Cap Ferrand lighthouse fire: old wiring blamed",
                      "Investigators blamed old wiring in the keeper's house for the fire that gutted the lantern room "
                      "of the Cap Ferrand lighthouse and left the beacon over the bay of Ferrand dark.",
                      at(9, day=DAY + timedelta(days=2)), "Morning Signal", "en")
    assert first.add(late) == second.add(late) == "s-l1"


def _invented_words(rng: random.Random, n: int) -> list[str]:
    """`n` invented words, distinct in their first six letters (the clusterer's stem)."""
    consonants, vowels = "bcdfglmnprstvz", "aeiou"
    out: dict[str, str] = {}
    while len(out) < n:
        word = "".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(4))
        out.setdefault(word[:6], word)
    return list(out.values())


def _invented_stream(days: int, stories_per_day: int = 12, reports: int = 3) -> list[StoryInput]:
    """Every day new stories of a few reports each, written from a fixed vocabulary (so the
    document frequencies stop growing and what the state holds is the windows)."""
    rng = random.Random(11)
    vocabulary = _invented_words(rng, 600)
    out = []
    for day in range(days):
        for s in range(stories_per_day):
            own = rng.sample(vocabulary, 14)
            for r in range(reports):
                text = " ".join(rng.sample(own, 10) + rng.sample(vocabulary, 20)).capitalize() + "."
                when = at(8 + s, 10 * r, day=DAY + timedelta(days=day))
                out.append(StoryInput(f"d{day}s{s}r{r}", " ".join(rng.sample(own, 5)), text, when, f"Outlet {r}", "en"))
    return out


def test_saved_state_stays_bounded_over_a_long_stream():
    stream = _invented_stream(days=30)
    clusterer = StoryClusterer()
    per_day = len(stream) // 30
    sizes, resting = [], []
    for n, article in enumerate(stream, start=1):
        clusterer.add(article)
        if n % per_day == 0:
            clusterer.take_closed()
            sizes.append(len(clusterer.to_state()))
            resting.append(len(clusterer._asleep))
    assert len(set(clusterer.assignments().values())) > 12 * 3, "the stream holds many stories"
    window_days = (clusterer.quiet_period + clusterer.params.reopen_within).days + 1
    assert max(resting) <= window_days * per_day  # closed stories are kept `reopen_within` at most
    assert max(sizes[10:]) < 1.2 * sizes[9], "after the first days the state stops growing"
    assert len(clusterer.assignments()) <= window_days * per_day

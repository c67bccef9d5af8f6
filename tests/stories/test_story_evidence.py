"""Stories change when evidence changes: merged by a bridging article, split when their members
form two groups; ids that went out in an edition stay with what was shown."""

from __future__ import annotations

import pytest
from story_fixtures import storm_threads

from entrelignes.stories import ClusterParams, StoryClusterer, cluster
from test_story_cluster import _brenn, _partition

FLOODS = {"p1", "p2", "p3", "p4"}
POWER = {"c1", "q1", "q2", "q3", "q4"}


def test_a_story_whose_members_grow_into_two_threads_splits():
    articles = storm_threads()
    clusterer = StoryClusterer()
    for a in articles[:5]:  # the overview, then two reports of each thread: one story so far
        clusterer.add(a)
    assert set(clusterer.assignments().values()) == {"s-c1"}
    for a in articles[5:]:
        clusterer.add(a)
    assert _partition(clusterer.assignments()) == {frozenset(FLOODS), frozenset(POWER)}
    # nothing published: the group that started first keeps the id, the other is named after its
    # first member; p3, alone between the two (s-p3), is merged into it by p4
    assert {clusterer.assignments()[m] for m in POWER} == {"s-c1"}
    assert {clusterer.assignments()[m] for m in FLOODS} == {"s-p1"}
    assert clusterer.merged() == {"s-p3": "s-p1"}


def test_without_splits_the_threads_stay_mixed():
    assign = cluster(storm_threads(), params=ClusterParams(split=False))
    assert assign["p1"] == assign["q1"] == "s-c1"


def test_the_published_group_keeps_the_id_when_a_story_splits():
    """An edition showed the story with its flood reports; the split that follows (in a later
    run, from the saved state) leaves the id with them and names the other group anew."""
    articles = storm_threads()
    first_run = StoryClusterer()
    for a in articles[:5]:
        first_run.add(a)
    second_run = StoryClusterer.from_state(first_run.to_state())
    second_run.mark_published("s-c1", ["p1", "p2", "not-a-member"])
    for a in articles[5:]:
        second_run.add(a)
    assign = second_run.assignments()
    assert {assign[m] for m in FLOODS} == {"s-c1"}
    assert {assign[m] for m in POWER} == {"s-q1"}  # "s-c1" stays with the published part
    assert second_run.merged() == {"s-p3": "s-c1"}  # and p4 still bridges p3 into it


def test_a_published_story_keeps_its_id_when_a_bridge_merges_it():
    a, b, c = _brenn()
    params = ClusterParams(threshold=0.25)
    for published, kept, merged in [(["s-m2"], "s-m2", "s-m1"), (["s-m1", "s-m2"], "s-m1", "s-m2"), ([], "s-m1", "s-m2")]:
        clusterer = StoryClusterer(params=params)
        for x in (a, b):
            clusterer.add(x)
        for story_id in published:
            clusterer.mark_published(story_id, [m for m, s in clusterer.assignments().items() if s == story_id])
        clusterer = StoryClusterer.from_state(clusterer.to_state(), params=params)  # the bridge comes in a later run
        clusterer.add(c)
        assert set(clusterer.assignments().values()) == {kept}, published
        assert clusterer.merged() == {merged: kept}


def test_published_marks_survive_the_saved_state():
    a, b, _ = _brenn()
    clusterer = StoryClusterer()
    clusterer.add(a)
    clusterer.add(b)
    clusterer.mark_published("s-m1", ["m1"])
    restored = StoryClusterer.from_state(clusterer.to_state())
    assert restored._stories["s-m1"].published == {"m1"}


def test_a_state_is_refused_with_other_settings():
    clusterer = StoryClusterer()
    clusterer.add(_brenn()[0])
    state = clusterer.to_state()
    for kwargs in ({"params": ClusterParams(threshold=0.3)}, {"quiet_period": clusterer.quiet_period * 2}):
        with pytest.raises(ValueError, match="other settings"):
            StoryClusterer.from_state(state, **kwargs)

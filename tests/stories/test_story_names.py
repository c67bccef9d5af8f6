"""Shared rare names as evidence for "same story": across languages, and for follow-ups."""

from __future__ import annotations

from datetime import timedelta

from story_fixtures import at, french_fire

from entrelignes.stories import ClusterParams, StoryClusterer, StoryInput, cluster
from entrelignes.stories.text import name_keys

ENGLISH_FIRE = StoryInput(
    "x1", "Chemical plant blaze in France's Valbrune: residents told to stay indoors",
    "Firefighters in eastern France fought a blaze at a chemical plant in Valbrune on Thursday, near the "
    "river Sarre. Prefect Marc Olivane ordered nearby residents to keep windows shut. No one was hurt, "
    "officials said, and forty fire engines were sent to the site.",
    at(14, 0), "Harbour Times", "en",
)

ENGLISH_OTHER = StoryInput(
    "x2", "Valbrune jazz festival announces its line-up",
    "The summer jazz festival of Valbrune will welcome thirty bands in July, its director Ines Karvel said. "
    "Tickets go on sale next week, and a free stage will be set up in the old market square.",
    at(14, 30), "Harbour Times", "en",
)


def test_name_keys_fold_case_and_accents_and_keep_hyphenated_names():
    keys = name_keys("Floods in France's Haute-Vérane. The river at Pont-Aurel rose, Claire Dauvergne said on "
                     "Thursday. Selon l'Agence d'Aurel, la Vérane monte.", exclude=["The Harbour Times"])
    assert {"haute-verane", "pont-aurel", "verane", "dauvergne", "claire", "france", "aurel"} <= keys
    assert "floods" not in keys  # a sentence start is not a name
    assert "thursday" not in keys and "harbour" not in keys  # calendar words, the outlet's own name


def test_a_report_in_another_language_sharing_the_story_names_joins():
    assign = cluster([*french_fire(), ENGLISH_FIRE])
    assert assign["x1"] == assign["f1"]
    without_names = cluster([*french_fire(), ENGLISH_FIRE], params=ClusterParams(name_weight=0.0, name_weight_same=0.0))
    assert without_names["x1"] != without_names["f1"]  # the words alone do not cross the language


def test_one_shared_name_is_not_enough():
    assign = cluster([*french_fire(), ENGLISH_FIRE, ENGLISH_OTHER])
    assert assign["x2"] not in {assign["f1"], assign["x1"]}


def test_names_only_count_within_the_name_window():
    late = StoryInput(ENGLISH_FIRE.id, ENGLISH_FIRE.title, ENGLISH_FIRE.text, ENGLISH_FIRE.published + timedelta(days=3),
                      ENGLISH_FIRE.source, "en")
    c = StoryClusterer(quiet_period=timedelta(days=7))
    for a in [*french_fire(), late]:
        c.add(a)
    assert c.assignments()["x1"] != c.assignments()["f1"]


def test_names_are_dropped_with_the_articles_that_leave_the_window():
    c = StoryClusterer(quiet_period=timedelta(hours=6))
    for a in [*french_fire(), ENGLISH_FIRE]:
        c.add(a)
    c.close_all()
    assert c.open_articles == 0 and not c._name_open

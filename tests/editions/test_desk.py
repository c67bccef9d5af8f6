"""The editors' desk: pin, drop, merge, split, approve, each with its audit log entry."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from entrelignes.config import Config
from entrelignes.editions import desk
from entrelignes.store import open_store, session_scope
from entrelignes.store.schema import Edition


def _story(rank: int, outlets: tuple[str, ...] = ("Le Courrier",)) -> dict:
    return {
        "rank": rank, "story_ids": [f"s{rank}"], "headline": f"Histoire {rank}", "reason": "r", "is_update": False, "score": 1.0 / rank,
        "summary": [{"sentence": f"Phrase de {o} sur {rank}.", "outlet": o} for o in outlets],
        "articles": [{"id": f"a{rank}-{i}", "title": f"Titre {rank} par {o}", "outlet": o, "url": f"https://{i}.example/{rank}", "published": f"2026-03-12T0{i}:00:00+01:00"} for i, o in enumerate(outlets)],
        "outlets": list(outlets),
        "quotes": [{"quote": "q", "speaker": "X", "speaker_type": "person", "outlet": o, "article_id": f"a{rank}-{i}"} for i, o in enumerate(outlets)],
        "sourcing": {o: {"person": 0.5} for o in outlets},
    }


@pytest.fixture
def engine(tmp_path):
    config = Config(path=tmp_path / "entrelignes.toml", data_dir=str(tmp_path / "data"))
    engine = open_store(config.database_url)
    stories = [_story(1), _story(2, ("La Gazette", "Le Courrier")), _story(3), _story(4, ("Ouest", "Nord", "Sud"))]
    data = {"id": "2026-03-12-morning", "date": "2026-03-12", "slot": "morning", "at": "2026-03-12T07:00:00+01:00", "title": "t", "stories": stories}
    with session_scope(engine) as session:
        session.add(Edition(id=data["id"], date=data["date"], slot="morning", built_at=datetime.now(timezone.utc), status="built", data=data))
    return engine


ID = "2026-03-12-morning"


def _headlines(engine) -> list[tuple[int, str]]:
    with session_scope(engine) as session:
        return [(s["rank"], s["headline"]) for s in session.get(Edition, ID).data["stories"]]


def test_pin_moves_a_story_up_and_the_log_says_who_and_what(engine):
    with session_scope(engine) as session:
        desk.pin(session, ID, "3", actor="alice")
    assert _headlines(engine) == [(1, "Histoire 3"), (2, "Histoire 1"), (3, "Histoire 2"), (4, "Histoire 4")]
    with session_scope(engine) as session:
        assert session.get(Edition, ID).data["stories"][0]["pinned"] is True
        (entry,) = desk.audit_log(session, ID)
        assert (entry.actor, entry.action, entry.target) == ("alice", "pin", ID)
        assert entry.detail["story"] == ["s3"] and [b["headline"] for b in entry.detail["before"]][:2] == ["Histoire 1", "Histoire 2"]


def test_drop_by_rank_or_story_id(engine):
    with session_scope(engine) as session:
        desk.drop(session, ID, "s2", actor="bob")
        desk.drop(session, ID, 1, actor="bob")
    assert _headlines(engine) == [(1, "Histoire 3"), (2, "Histoire 4")]
    with session_scope(engine) as session:
        assert [e.action for e in desk.audit_log(session, ID)] == ["drop", "drop"]


def test_merge_joins_articles_outlets_summaries_and_quotes(engine):
    with session_scope(engine) as session:
        desk.merge(session, ID, "2", ["4", "s1"], actor="carol")
        story = session.get(Edition, ID).data["stories"][0]
    assert _headlines(engine) == [(1, "Histoire 2"), (2, "Histoire 3")]
    assert story["story_ids"] == ["s2", "s4", "s1"]
    assert len(story["articles"]) == 6 and story["articles"] == sorted(story["articles"], key=lambda a: (a["published"], a["id"]))
    assert set(story["outlets"]) == {"La Gazette", "Le Courrier", "Ouest", "Nord", "Sud"} and len(story["quotes"]) == 6
    assert len(story["summary"]) == 6


def test_split_moves_articles_into_a_new_story_after_the_original(engine):
    with session_scope(engine) as session:
        desk.split(session, ID, "4", ["a4-1", "a4-2"], actor="dan")
        stories = session.get(Edition, ID).data["stories"]
    assert [s["headline"] for s in stories] == ["Histoire 1", "Histoire 2", "Histoire 3", "Histoire 4", "Titre 4 par Nord"]
    original, new = stories[3], stories[4]
    assert [a["id"] for a in original["articles"]] == ["a4-0"] and [a["id"] for a in new["articles"]] == ["a4-1", "a4-2"]
    assert original["outlets"] == ["Ouest"] and new["outlets"] == ["Nord", "Sud"]
    assert [q["article_id"] for q in new["quotes"]] == ["a4-1", "a4-2"] and new["story_ids"][0].startswith("s4/split-")
    assert {i["outlet"] for i in new["summary"]} == {"Nord", "Sud"} and {i["outlet"] for i in original["summary"]} == {"Ouest"}


def test_impossible_actions_are_refused_and_change_nothing(engine):
    with session_scope(engine) as session:
        for action in (
            lambda: desk.pin(session, ID, "9", actor="e"),
            lambda: desk.drop(session, "2026-01-01-morning", "1", actor="e"),
            lambda: desk.merge(session, ID, "1", ["1"], actor="e"),
            lambda: desk.merge(session, ID, "1", [], actor="e"),
            lambda: desk.split(session, ID, "2", ["a2-0", "a2-1"], actor="e"),  # all of them
            lambda: desk.split(session, ID, "2", ["nope"], actor="e"),
        ):
            with pytest.raises(desk.DeskError):
                action()
        assert desk.audit_log(session, ID) == []
    assert _headlines(engine) == [(1, "Histoire 1"), (2, "Histoire 2"), (3, "Histoire 3"), (4, "Histoire 4")]


def test_approval_and_a_change_after_it_needs_approving_again(engine):
    with session_scope(engine) as session:
        assert desk.approve(session, ID, actor="chief").status == "approved"
        assert desk.drop(session, ID, "4", actor="chief").status == "built"
        session.get(Edition, ID).status = "published"
        with pytest.raises(desk.DeskError, match="already published"):
            desk.approve(session, ID, actor="chief")
        assert [e.action for e in desk.audit_log(session, ID)] == ["approve", "drop"]

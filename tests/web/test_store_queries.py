"""The web's store queries (search, browse, users) on SQLite and on a real PostgreSQL server
(the store suite's temporary cluster: skipped without PostgreSQL binaries, an error under CI)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from store_fixture import build_store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "store"))

from pg_cluster import postgres_cluster, store_url  # noqa: E402,F401 - fixtures: the store suite's SQLite and PostgreSQL
from entrelignes.config import Config  # noqa: E402
from entrelignes.store import browse, open_store, session_scope  # noqa: E402
from entrelignes.store.search import search_articles  # noqa: E402
from entrelignes.store.users import add_user, authenticate, create_token, user_for_token  # noqa: E402
from entrelignes.web import views  # noqa: E402


@pytest.fixture()
def engine(store_url):
    engine = open_store(store_url)
    build_store(engine)
    yield engine
    engine.dispose()


def test_search_browse_and_users(engine):
    from store_fixture import STORY_A, STORY_B

    config = Config()
    with session_scope(engine) as db:
        hits = search_articles(db, "greve sncf")
        assert hits and all(h.story_id == STORY_A for h in hits)
        assert search_articles(db, "Sénat")[0].story_id == STORY_B
        assert search_articles(db, '"; DROP TABLE articles; --') == []
        assert search_articles(db, "") == []
        assert browse.latest_edition(db).id == "2026-03-12-morning"
        assert browse.next_edition(db).id == "2026-03-12-evening"
        story = views.story(db, config, STORY_A)
        assert len(story["articles"]) == 3 and story["quotes"][0]["speaker"] == "Sophie Binet"
        assert set(story["sourcing"]) == {"Le Quotidien", "La Gazette <b>du soir</b>", "Radio Ouest"}
        outlet = views.outlet(db, config, "Radio Ouest")
        assert outlet["articles"] == 2 and outlet["speakers"][0]["speaker"] == "SNCF Voyageurs"
        assert views.archive(db, limit=10, offset=0)[1] == 1
        assert {o["name"] for o in views.outlets(db)} == {"Le Quotidien", "La Gazette <b>du soir</b>", "Radio Ouest"}
        user = add_user(db, "editrice", "correct horse battery")
        token = create_token(db, user)
    with session_scope(engine) as db:
        assert authenticate(db, "editrice", "correct horse battery") is not None
        assert authenticate(db, "editrice", "wrong") is None and authenticate(db, "nobody", "x") is None
        assert user_for_token(db, token).username == "editrice"



def test_a_story_merged_away_leads_to_the_story_that_absorbed_it(engine):
    """A link to a story an edition showed keeps working after a merge gave its articles the
    other story's id."""
    from datetime import datetime, timezone

    from store_fixture import STORY_A

    from entrelignes.store import stories as story_queries

    merged_at = datetime(2026, 3, 12, 20, tzinfo=timezone.utc)
    with session_scope(engine) as db:
        assert views.story(db, Config(), "s-absorbed") is None
        story_queries.save_redirects(db, {"s-absorbed": STORY_A}, [STORY_A], merged_at)
    with session_scope(engine) as db:
        story = views.story(db, Config(), "s-absorbed")
        assert story is not None and len(story["articles"]) == 3

def test_search_index_follows_articles_and_is_rebuilt_when_its_triggers_are_gone(tmp_path):
    from datetime import datetime, timezone

    from entrelignes.store.schema import Article
    from entrelignes.store.search import ensure_search_index

    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    build_store(engine)
    now = datetime(2026, 3, 13, tzinfo=timezone.utc)
    with session_scope(engine) as db:
        db.add(Article(id="n" * 24, outlet="X", url="https://x.example.org/n", title="Inondations à Nîmes", text="La Vistre déborde.", published_at=now, fetched_at=now, boilerplate=[]))
    with session_scope(engine) as db:
        assert [h.article_id for h in search_articles(db, "nimes")] == ["n" * 24]
        db.get(Article, "n" * 24).title = "Sécheresse à Arles"
    with session_scope(engine) as db:
        assert search_articles(db, "nimes") == [] and len(search_articles(db, "arles")) == 1
    assert ensure_search_index(engine) is False
    with engine.begin() as connection:  # what a batch migration rebuilding `articles` would do
        connection.exec_driver_sql("DROP TRIGGER article_search_insert")
        connection.exec_driver_sql("DELETE FROM article_search")
    assert ensure_search_index(engine) is True
    with session_scope(engine) as db:
        assert len(search_articles(db, "arles")) == 1 and search_articles(db, "greve")
        db.delete(db.get(Article, "n" * 24))
    with session_scope(engine) as db:
        assert search_articles(db, "arles") == []

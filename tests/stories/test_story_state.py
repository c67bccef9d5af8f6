"""The clusterer's open window saved between pipeline runs: runs feed only new articles, and
give what one run would have given; a lost or unusable state falls back to a replay."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, select
from story_fixtures import all_articles, follow_up, lighthouse, shifted, storm_threads

from entrelignes import pipeline
from entrelignes.config import Config
from entrelignes.records import Extracted
from entrelignes.store import open_store, session_scope
from entrelignes.store import stories as story_queries
from entrelignes.store.articles import save_extracted
from entrelignes.store.schema import Article, Edition, StoryMember, StoryState
from entrelignes.stories import ClusterParams, StoryClusterer, StoryInput


def _url(article: StoryInput) -> str:
    return f"https://news.example/{article.id}"


def _store_articles(engine, articles: list[StoryInput]) -> None:
    """Store articles as ingestion would."""
    with session_scope(engine) as session:
        for a in articles:
            extracted = Extracted(url=_url(a), title=a.title, text=a.text, language=a.language, published=a.published)
            save_extracted(session, extracted, outlet=a.source, source_id=None, fetched_at=datetime.now(timezone.utc))


@pytest.fixture
def desk(store_url):
    """A fresh store (SQLite, and PostgreSQL when available) and a function that stores articles."""
    config = Config()
    engine = open_store(store_url)
    yield config, engine, lambda articles: _store_articles(engine, articles)
    engine.dispose()


def _stories(engine) -> dict[str, tuple[str, str | None]]:
    """Article URL -> (story id, duplicate of), as stored."""
    with session_scope(engine) as session:
        rows = session.execute(select(Article.url, StoryMember.story_id, StoryMember.duplicate_of).join(StoryMember, StoryMember.article_id == Article.id))
        return {url: (story, duplicate) for url, story, duplicate in rows}


def _in_time_order() -> list[StoryInput]:
    return sorted(all_articles(), key=lambda a: (a.published, a.id))


def _one_run(tmp_path, articles: list[StoryInput]) -> dict[str, tuple[str, str | None]]:
    config = Config(data_dir=str(tmp_path / "one-run"))
    engine = open_store(config.database_url)
    _store_articles(engine, articles)
    report = pipeline.cluster(engine, config)
    assert report.replayed and report.articles == len(articles)
    stories = _stories(engine)
    engine.dispose()
    return stories


def test_three_runs_give_the_stories_of_one_run(desk, tmp_path):
    config, engine, store = desk
    articles = _in_time_order()
    third = len(articles) // 3
    chunks = [articles[:third], articles[third : 2 * third], articles[2 * third :]]
    for n, chunk in enumerate(chunks):
        store(chunk)
        report = pipeline.cluster(engine, config)
        assert report.articles == len(chunk), "each run feeds only the new articles"
        assert report.replayed == (n == 0)
    assert _stories(engine) == _one_run(tmp_path, articles)
    assert len({story for story, _ in _stories(engine).values()}) == 5
    again = pipeline.cluster(engine, config)
    assert (again.articles, again.changed) == (0, 0)


def _state(engine) -> bytes:
    with session_scope(engine) as session:
        return story_queries.load_state(session, pipeline.CLUSTER_STATE)


def _set_state(engine, data: bytes) -> None:
    with session_scope(engine) as session:
        session.get(StoryState, pipeline.CLUSTER_STATE).data = data


@pytest.mark.parametrize(
    "spoil",
    [
        lambda data: b"not a state",
        lambda data: data[: len(data) // 2],
        lambda data: StoryClusterer(quiet_period=timedelta(hours=5)).to_state(),  # other settings
    ],
    ids=["garbage", "truncated", "other-settings"],
)
def test_an_unusable_state_is_replayed(desk, tmp_path, spoil):
    config, engine, store = desk
    articles = _in_time_order()
    half = len(articles) // 2
    store(articles[:half])
    pipeline.cluster(engine, config)
    _set_state(engine, spoil(_state(engine)))
    store(articles[half:])
    report = pipeline.cluster(engine, config)
    assert report.replayed and report.articles == len(articles)
    assert _stories(engine) == _one_run(tmp_path, articles)
    StoryClusterer.from_state(_state(engine), quiet_period=timedelta(hours=config.stories.quiet_period_hours))  # usable again


def test_a_state_out_of_step_with_the_story_rows_is_replayed(desk, tmp_path):
    config, engine, store = desk
    articles = _in_time_order()
    half = len(articles) // 2
    store(articles[:half])
    pipeline.cluster(engine, config)
    with session_scope(engine) as session:
        session.execute(delete(StoryMember))  # e.g. a restored backup of the articles only
    store(articles[half:])
    report = pipeline.cluster(engine, config)
    assert report.replayed
    assert _stories(engine) == _one_run(tmp_path, articles)


def test_a_crash_saves_nothing_and_the_next_run_repairs_it(desk, tmp_path, monkeypatch):
    config, engine, store = desk
    articles = _in_time_order()
    half = len(articles) // 2
    store(articles[:half])
    pipeline.cluster(engine, config)
    before, state = _stories(engine), _state(engine)
    store(articles[half:])

    def crash(self):
        raise RuntimeError("power cut")

    with monkeypatch.context() as patched:
        patched.setattr(StoryClusterer, "to_state", crash)
        with pytest.raises(RuntimeError):
            pipeline.cluster(engine, config)
    assert _stories(engine) == before and _state(engine) == state  # one transaction: all or nothing
    report = pipeline.cluster(engine, config)
    assert not report.replayed and report.articles == len(articles) - half
    assert _stories(engine) == _one_run(tmp_path, articles)


def test_ended_stories_leave_the_saved_state(desk):
    """Stories past `reopen_within` (closed, and too old for a late article) leave the state."""
    config, engine, store = desk
    quiet = timedelta(hours=config.stories.quiet_period_hours)
    first = _in_time_order()
    store(first)
    pipeline.cluster(engine, config)
    later = shifted(first, ClusterParams().reopen_within + timedelta(days=1), "~later")
    store(later)
    pipeline.cluster(engine, config)
    saved = StoryClusterer.from_state(_state(engine), quiet_period=quiet)
    still_open = {m for members in saved.open_stories().values() for m in members}
    stored = _stories(engine)
    first_ids = {a.id for a in first}
    assert len(stored) == 2 * len(first), "ended stories keep their rows"
    ids_by_path = _article_ids(engine)
    assert not still_open & {ids_by_path[i] for i in first_ids}, "the first day's stories ended and were forgotten"
    assert saved.assignments().keys() == still_open


def test_a_late_report_joins_its_closed_story_in_a_later_run(desk):
    """The morning's stories are clustered and saved; two days later, after they closed, a second
    run places a follow-up in the morning's story, so an edition can show it as an update."""
    config, engine, store = desk
    store(_in_time_order() + lighthouse())
    assert pipeline.cluster(engine, config).replayed
    late = follow_up(days=2)
    assert late.published - lighthouse()[-1].published > timedelta(hours=config.stories.quiet_period_hours)
    store([late])
    report = pipeline.cluster(engine, config)
    assert not report.replayed and report.articles == 1
    stories = _stories(engine)
    assert stories[_url(late)] == stories[_url(lighthouse()[0])] == (f"s-{_article_ids(engine)['l1']}", None)


def _article_ids(engine) -> dict[str, str]:
    """Fixture id (the last part of the URL) -> stored article id."""
    with session_scope(engine) as session:
        return {url.rsplit("/", 1)[1]: aid for aid, url in session.execute(select(Article.id, Article.url))}


def _show(engine, story_id: str, article_ids: list[str], day: str) -> None:
    """An edition of `day` that showed `story_id` with these articles."""
    with session_scope(engine) as session:
        story = {"story_ids": [story_id], "articles": [{"id": aid} for aid in article_ids]}
        session.add(Edition(id=f"{day}-morning", date=day, slot="morning", built_at=datetime.now(timezone.utc), data={"stories": [story]}))


def test_stories_shown_in_an_edition_are_marked_published(desk, monkeypatch):
    """The pipeline tells a saved clusterer what editions showed, before feeding new articles."""
    config, engine, store = desk
    articles = _in_time_order()
    store(articles[:4])
    pipeline.cluster(engine, config)
    story_id, _ = next(iter(_stories(engine).values()))
    with session_scope(engine) as session:
        shown = [aid for aid, in session.execute(select(StoryMember.article_id).where(StoryMember.story_id == story_id))]
    _show(engine, story_id, shown, articles[0].published.date().isoformat())
    marked: dict[str, set[str]] = {}
    original = StoryClusterer.mark_published

    def spy(self, sid, ids):
        marked.setdefault(sid, set()).update(ids)
        original(self, sid, ids)

    monkeypatch.setattr(StoryClusterer, "mark_published", spy)
    store(articles[4:])
    pipeline.cluster(engine, config)
    assert marked == {story_id: set(shown)}


@pytest.mark.parametrize("state_lost", [False, True], ids=["continued", "replayed"])
def test_a_split_leaves_the_shown_id_with_what_was_shown(desk, state_lost):
    """An edition showed the storm story with two flood reports; when the story later splits,
    the flood thread keeps the id, whether the run continues the saved clusterer or replays."""
    config, engine, store = desk
    articles = storm_threads()
    store(articles[:5])
    pipeline.cluster(engine, config)
    ids = _article_ids(engine)
    shown_id = f"s-{ids['c1']}"
    assert {story for story, _ in _stories(engine).values()} == {shown_id}
    _show(engine, shown_id, [ids["p1"], ids["p2"]], articles[0].published.date().isoformat())
    if state_lost:
        _set_state(engine, b"lost")
    store(articles[5:])
    report = pipeline.cluster(engine, config)
    assert report.replayed == state_lost
    stories = _stories(engine)
    assert {stories[_url(a)][0] for a in articles if a.id.startswith("p")} == {shown_id}
    assert {stories[_url(a)][0] for a in articles if a.id.startswith(("c", "q"))} == {f"s-{ids['q1']}"}


def test_a_shown_story_absorbed_by_a_merge_leaves_a_redirect(desk):
    """An edition showed the storm story and a lone flood report (s-p3) apart; the next run splits
    the storm story and the flood thread absorbs the lone report: its id leads to the thread."""
    config, engine, store = desk
    articles = storm_threads()
    store(articles[:6])
    pipeline.cluster(engine, config)
    ids = _article_ids(engine)
    absorbed = f"s-{ids['p3']}"
    day = articles[0].published.date().isoformat()
    with session_scope(engine) as session:
        shown = []
        for story in (f"s-{ids['c1']}", absorbed):
            members = session.scalars(select(StoryMember.article_id).where(StoryMember.story_id == story))
            shown.append({"story_ids": [story], "articles": [{"id": aid} for aid in members]})
        session.add(Edition(id=f"{day}-morning", date=day, slot="morning", built_at=datetime.now(timezone.utc), data={"stories": shown}))
    store(articles[6:])
    pipeline.cluster(engine, config)
    flood_story = _stories(engine)[_url(articles[5])][0]
    assert flood_story != absorbed and flood_story == _stories(engine)[_url(articles[1])][0]
    with session_scope(engine) as session:
        assert story_queries.redirects(session) == {absorbed: flood_story}


def test_redirects_follow_chains_and_last_until_the_id_names_a_story_again(desk):
    _, engine, _ = desk
    day = datetime(2026, 3, 12, tzinfo=timezone.utc)
    with session_scope(engine) as session:
        story_queries.save_redirects(session, {"s-a": "s-b", "s-x": "s-y"}, ["s-b", "s-y"], day)
        story_queries.save_redirects(session, {"s-b": "s-c"}, ["s-c", "s-y"], day + timedelta(days=1))
        assert story_queries.redirects(session) == {"s-a": "s-c", "s-b": "s-c", "s-x": "s-y"}
        # a year later the links sent out still lead somewhere; an id split off names a story again
        later = day + timedelta(days=365)
        story_queries.save_redirects(session, {}, ["s-c", "s-y"], later)
        assert story_queries.redirects(session) == {"s-a": "s-c", "s-b": "s-c", "s-x": "s-y"}
        story_queries.save_redirects(session, {}, ["s-x", "s-y"], later)
        assert story_queries.redirects(session) == {"s-a": "s-c", "s-b": "s-c"}

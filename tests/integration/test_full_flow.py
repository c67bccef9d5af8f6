"""The whole flow on the example newsroom: sources to a published edition, and again."""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from entrelignes import pipeline
from entrelignes.config import load_config
from entrelignes.editions import slot_time
from entrelignes.store import open_store, session_scope
from entrelignes.store.schema import Analysis, Article, Edition, Source, StoryMember

DAY = "2026-03-12"
HOSTILE = '<script>alert("xss")</script>'


@pytest.fixture(scope="module")
def desk(tmp_path_factory, examples_dir, analyzer):
    """The example newsroom run once for its morning edition, in a fresh store."""
    base = tmp_path_factory.mktemp("desk")
    config = load_config(examples_dir / "entrelignes.toml")
    config = dataclasses.replace(config, data_dir=str(base / "data"), out_dir=str(base / "out"), database="")
    engine = open_store(config.database_url)
    slot = slot_time(config, date.fromisoformat(DAY), "morning")
    report = pipeline.run(engine, config, slot, analyzer=analyzer)
    return config, engine, slot, report


@pytest.fixture(scope="module")
def evening(desk, analyzer):
    """The same desk's evening edition, run after the morning one."""
    config, engine, _, _ = desk
    return pipeline.run(engine, config, slot_time(config, date.fromisoformat(DAY), "evening"), analyzer=analyzer)


def _story_of(edition: dict, predicate) -> dict:
    matches = [s for s in edition["stories"] if any(predicate(a) for a in s["articles"])]
    assert len(matches) == 1, f"expected one story, found {[s['headline'] for s in matches]}"
    return matches[0]


def test_every_source_is_read_and_articles_are_stored(desk):
    config, engine, _, report = desk
    assert report.ingest.sources_read == len(config.sources)
    assert report.ingest.articles_new >= 40
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Article)) == report.ingest.articles_new
        assert session.scalar(select(func.count()).select_from(Analysis)) == report.ingest.articles_new


def test_the_page_without_text_is_reported_with_its_reason(desk):
    _, _, _, report = desk
    reasons = [reason for _, reason in report.ingest.errors]
    assert any("no extractable text" in reason for reason in reasons), report.ingest.errors


def test_the_wire_story_is_one_story_carried_by_several_outlets(desk):
    _, engine, _, report = desk
    with session_scope(engine) as session:
        wire = session.scalars(select(Article).where(Article.outlet == "Agence Presse Libre")).all()
        members = {m.article_id: m for m in session.scalars(select(StoryMember))}
        copies = [m for m in members.values() if m.duplicate_of in {a.id for a in wire}]
        assert len(copies) >= 2, "the two reprints of the wire story are marked as copies"
        story = {members[c.article_id].story_id for c in copies}
        assert len(story) == 1
        (story_id,) = story
        outlets = {session.get(Article, m.article_id).outlet for m in members.values() if m.story_id == story_id}
        assert len(outlets) >= 3


def test_the_most_covered_event_ranks_first(desk):
    _, _, _, report = desk
    stories = report.edition["stories"]
    assert len(stories) >= 5
    first = stories[0]
    assert all(any(word in a["url"] for word in ("crue", "verane", "flood")) for a in first["articles"]), first["headline"]
    assert len(first["outlets"]) == 6, "the flood, covered by six outlets in two languages"
    assert first["reason"].startswith("6 outlets")


def test_the_evening_edition_marks_the_flood_as_an_update(evening):
    flood = [s for s in evening.edition["stories"] if any("crue" in a["url"] for a in s["articles"])]
    assert len(flood) == 1 and flood[0]["is_update"], [s["headline"] for s in flood]
    afternoon = {a["title"] for a in flood[0]["articles"] if a["published"] > "2026-03-12T07"}
    assert flood[0]["headline"] in afternoon, "an update is headlined by what is new"
    assert all(item["sentence"] not in afternoon for item in flood[0]["summary"]), "no title repeated as a summary sentence"


def test_the_hostile_title_is_shown_as_text_everywhere(evening):
    report = evening
    titles = [a["title"] for s in report.edition["stories"] for a in s["articles"]] + [s["headline"] for s in report.edition["stories"]]
    assert any(HOSTILE in t for t in titles), "the hostile article is in the edition"
    files = report.published.files
    html_page = files["html"].read_text()
    assert HOSTILE not in html_page and "&lt;script&gt;alert(" in html_page
    atom = ET.fromstring(files["atom"].read_text())
    content = "".join(c.text or "" for c in atom.iter("{http://www.w3.org/2005/Atom}content"))  # the HTML a reader renders
    assert "<script" not in content and "&lt;script&gt;alert(" in content
    markdown = files["markdown"].read_text()
    assert "<script" not in markdown and r"&lt;script&gt;alert\(" in markdown  # Markdown punctuation escaped too
    telegram = "\n".join(json.loads(files["telegram"].read_text()))
    assert "<script" not in telegram and "&lt;script&gt;alert(" in telegram


def _snapshot(engine, out: Path) -> dict:
    with session_scope(engine) as session:
        counts = {table.__tablename__: session.scalar(select(func.count()).select_from(table)) for table in (Source, Article, Analysis, StoryMember, Edition)}
        editions = {e.id: e.data for e in session.scalars(select(Edition))}
        members = {m.article_id: (m.story_id, m.duplicate_of) for m in session.scalars(select(StoryMember))}
    files = {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    return {"counts": counts, "editions": editions, "members": members, "files": files}


def test_a_second_run_changes_nothing(desk, evening, analyzer):
    config, engine, slot, _ = desk
    before = _snapshot(engine, config.out_path)
    report = pipeline.run(engine, config, slot, analyzer=analyzer)
    assert report.ingest.articles_new == 0
    assert report.analysis.analyzed == 0
    assert report.clustering.changed == 0
    assert _snapshot(engine, config.out_path) == before

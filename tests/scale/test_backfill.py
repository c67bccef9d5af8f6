"""backfill: the same output (analyses and per-day stories) whatever the engine and worker count;
bad documents reported; a rerun does only what is missing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from entrelignes.scale import backfill, read_results, read_stories

pytestmark = pytest.mark.slow


def _errors(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def clean_run(archives, tmp_path_factory):
    """One complete run, in-process, batch after batch, clustered: the reference output."""
    out = tmp_path_factory.mktemp("clean") / "results.parquet"
    report = backfill([archives], engine="inline", out=out, batch_size=3, cluster=True)
    return report, read_results(out), _errors(report.errors_path), read_stories(out)


def test_bad_documents_are_reported_and_the_run_completes(clean_run):
    report, table, errors, _ = clean_run
    assert report.analysed == table.num_rows == 11
    assert report.errors == len(errors) == 4
    by_doc = {(e["source"].rsplit("/", 1)[-1], e["doc_id"]): e["stage"] for e in errors}
    assert by_doc == {
        ("docs.jsonl", "line:3"): "read",  # not JSON
        ("docs.jsonl", "nothing"): "read",  # no text
        ("docs.jsonl", "empty"): "analyze",  # blank text
        ("broken.txt", "broken"): "read",  # binary
    }
    rows = {r["doc_id"]: r for r in table.to_pylist()}
    assert rows["2026_03_12-002"]["title"] == "Tour de France"  # extracted from its HTML
    sncf = json.loads(rows["j0"]["analysis"])
    assert sncf["quotes"] and sncf["text"].startswith("« Nous ne céderons pas »")
    assert rows["j0"]["quotes"] == len(sncf["quotes"])


@pytest.mark.parametrize("engine,workers,batch_size", [("inline", 1, 1), ("local", 2, 2), ("ray", 2, 2)])
def test_same_output_whatever_engine_and_worker_count(clean_run, archives, tmp_path, engine, workers, batch_size, request):
    if engine == "ray":
        request.getfixturevalue("ray_session")
    out = tmp_path / "results.parquet"
    report = backfill([archives], engine=engine, workers=workers, out=out, batch_size=batch_size, cluster=True)
    _, reference, reference_errors, reference_stories = clean_run
    assert read_results(out).equals(reference)
    assert _errors(report.errors_path) == reference_errors
    assert read_stories(out).equals(reference_stories)


def test_each_day_is_clustered_on_its_own(clean_run):
    report, table, _, stories = clean_run
    results = {r["doc_id"]: r["article_id"] for r in table.to_pylist()}
    rows = stories.to_pylist()
    assert report.clustered == len(rows) == len(results)  # every article here has a date
    assert {r["day"] for r in rows} == {"2017-02-09", "2026-03-12"}  # the CSV's day; the JSONL's, the WARC's, the files'
    day_of_story = {}
    for row in rows:
        assert day_of_story.setdefault(row["story_id"], row["day"]) == row["day"]  # no story spans two days
    assert report.stories == len(day_of_story)
    story = {r["article_id"]: r["story_id"] for r in rows}
    # the same report in the JSONL and crawled the same day in the WARC: one story
    assert story[results["j0"]] == story[results["https://exemple.fr/article/0"]]
    assert story[results["j1"]] == story[results["https://exemple.fr/article/1"]] != story[results["j0"]]
    # the Seine flood of the JSONL (2026-03-12) and of the CSV (2017-02-09): two days, two stories
    assert story[results["j2"]] != story[results["c0"]]
    assert report.stories == len(rows) - 2


def test_a_parquet_rerun_does_the_rest_and_matches_a_clean_run(clean_run, archives, tmp_path):
    out = tmp_path / "results.parquet"
    first = backfill([archives], engine="inline", out=out, limit=6, cluster=True)  # as if it stopped there
    assert first.analysed == 5  # the sixth document is the bad JSON line
    second = backfill([archives], engine="inline", out=out, cluster=True)
    assert second.already_done == 5 and second.analysed == 6
    assert read_results(out).equals(clean_run[1])
    assert read_stories(out).equals(clean_run[3])  # the days the second run completed are clustered again
    third = backfill([archives], engine="inline", out=out)
    assert third.analysed == 0 and third.already_done == 11


def test_to_the_store_then_a_rerun_skips_what_is_stored(clean_run, archives, tmp_path, store_url):
    from entrelignes.store import open_store, session_scope
    from entrelignes.store.schema import Analysis, Article, StoryMember

    engine = open_store(store_url)
    first = backfill([archives], engine="inline", store=engine, limit=4, errors_path=tmp_path / "errors.jsonl")
    # two workers writing to one store side by side, then the days clustered
    second = backfill([archives], engine="local", workers=2, batch_size=2, store=engine, errors_path=tmp_path / "errors.jsonl", cluster=True)
    assert (first.analysed, second.already_done, second.analysed) == (4, 4, 7)
    reference = {r["article_id"]: r for r in clean_run[1].to_pylist()}
    with session_scope(engine) as session:
        analyses = {a.article_id: a.data for a in session.scalars(select(Analysis))}
        articles = {a.id: a for a in session.scalars(select(Article))}
        members = {m.article_id: m.story_id for m in session.scalars(select(StoryMember))}
    assert analyses == {key: json.loads(row["analysis"]) for key, row in reference.items()}
    assert members == {row["article_id"]: row["story_id"] for row in clean_run[3].to_pylist()}
    sncf = articles[next(k for k, r in reference.items() if r["doc_id"] == "j0")]
    assert sncf.published_at.isoformat() == "2026-03-12T06:00:00+00:00" and sncf.text == analyses[sncf.id]["text"]
    wire = articles[next(k for k, r in reference.items() if r["doc_id"] == "c0")]
    assert wire.url == "https://wire.example/0" and wire.outlet == "wire.example"
    engine.dispose()


def test_the_command_line(archives, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from entrelignes.cli import app

    monkeypatch.chdir(tmp_path)
    out = tmp_path / "cli.parquet"
    result = CliRunner().invoke(app, ["backfill", str(archives / "docs.jsonl"), "--engine", "inline", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "4 analysed, 3 errors" in " ".join(result.output.split())  # the console wraps long lines
    assert read_results(out).num_rows == 4
    refused = CliRunner().invoke(app, ["backfill", str(tmp_path / "missing.jsonl"), "--out", str(out)])
    assert refused.exit_code == 2 and "no such file" in " ".join(refused.output.split())

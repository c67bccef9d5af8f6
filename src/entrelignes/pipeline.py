"""The main job, stage by stage, over the store. Each step reads what the previous one stored
and writes its own result under idempotent keys, so running a step again changes nothing and a
crash anywhere is repaired by running the same command again.

The CLI and the web app call these functions; they hold no logic of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from rich.progress import Progress
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from entrelignes.analyze import Analyzer
from entrelignes.config import Config
from entrelignes.editions import SlotTime, build_edition
from entrelignes.extract.boilerplate import learn_boilerplate
from entrelignes.ingest import IngestReport, fetch_all
from entrelignes.publish import PublishReport, publish_in_order
from entrelignes.records import to_dict
from entrelignes.store import articles as article_queries
from entrelignes.store import session_scope
from entrelignes.store import stories as story_queries
from entrelignes.store.locks import ANALYSIS, Claimer, exclusive
from entrelignes.store.schema import Analysis, Article
from entrelignes.stories import StoryClusterer, StoryInput

CLUSTER_LOOKBACK = timedelta(days=7)  # articles older than this never join a new story
CLUSTER_STATE = "clusterer"  # the saved clusterer's row in story_state
CLUSTER_LOCK = "entrelignes:cluster"  # one clustering run at a time on a shared store


@dataclass
class AnalyzeReport:
    analyzed: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


@dataclass
class ClusterReport:
    articles: int = 0  # articles clustered by this run
    stories: int = 0  # the stories they are in
    changed: int = 0  # story rows written or changed (merges and splits move earlier articles)
    replayed: bool = False  # no usable saved window: the lookback period was clustered afresh


def fetch(engine: Engine, config: Config, *, progress: Progress | None = None, force: bool = False) -> IngestReport:
    return fetch_all(engine, config, progress=progress, force=force)


def analyze(engine: Engine, config: Config, *, analyzer: Analyzer | None = None, progress: Progress | None = None) -> AnalyzeReport:
    """Analyse every stored article that has no analysis yet. Boilerplate is learnt per outlet
    from its recent articles; the cleaned text replaces the stored one, so every offset of the
    analysis indexes into the article as stored."""
    analyzer = analyzer or Analyzer(config.analysis.models)
    report = AnalyzeReport()
    with session_scope(engine) as session:
        pending = article_queries.articles_without_analysis(session)
        outlets = {a.outlet for a in pending}
        boilerplate = {o: _outlet_boilerplate(session, o, [a.text for a in pending if a.outlet == o]) for o in outlets}
    task = progress.add_task("Analysing", total=len(pending)) if progress else None
    by_id = {a.id: a for a in pending}
    with Claimer(engine) as claimer:  # several workers on one store: each article analysed once
        for key in claimer.pending(ANALYSIS, list(by_id), lambda key: _not_analysed(engine, key)):
            _analyze_one(engine, analyzer, by_id[key], boilerplate, report, progress, task)
    return report


def _not_analysed(engine: Engine, key: str) -> bool:
    with session_scope(engine) as session:
        return session.get(Analysis, key) is None


def _analyze_one(engine: Engine, analyzer: Analyzer, article: Article, boilerplate: dict, report: AnalyzeReport, progress, task) -> None:
    try:
        result = analyzer.analyze(article.id, article.title, article.text, article.language, boilerplate=boilerplate[article.outlet])
    except Exception as error:  # one article the analyzer cannot take must not stop the run
        reason = str(error) if isinstance(error, ValueError) else f"{type(error).__name__}: {error}"
        report.errors.append((article.url, reason))
        return
    finally:
        if progress and task is not None:
            progress.advance(task)
    now = datetime.now(timezone.utc)
    with session_scope(engine) as session:  # one article per transaction: a crash loses one at most
        stored = session.get(Article, article.id)
        stored.text, stored.boilerplate = result.text, list(result.boilerplate)
        if result.language and not stored.language:
            stored.language = result.language
        article_queries.save_analysis(session, article.id, to_dict(result), now)
    report.analyzed += 1
    report.notices.extend(n for n in result.notices if n not in report.notices)


def _outlet_boilerplate(session, outlet: str, new_texts: list[str]) -> list[str]:
    """What this outlet repeats: passages removed from its earlier articles, plus those its new
    articles share (stored texts are already cleaned, so only new ones can teach new passages)."""
    known = article_queries.recent_boilerplate(session, outlet)
    return list(dict.fromkeys(known + learn_boilerplate(new_texts)))


def cluster(engine: Engine, config: Config) -> ClusterReport:
    """Group recent articles into stories, in publication order.

    The clusterer's open and resting windows are saved with the story rows of each run, in one
    transaction, so a run feeds only the articles that have no story yet and gets what one long
    run would have given. Without a usable saved window (first run, lost, written with other
    settings, or out of step with the story rows) the last `CLUSTER_LOOKBACK` of articles is
    replayed instead: the clusterer is deterministic, so the replay finds the same stories and
    ids. What editions showed is marked (on a saved clusterer's open and resting stories first,
    and on each article as it is placed), so a merge or split leaves a shown story's id with what
    was shown, replay or not; when two shown stories merge, where the absorbed id went is stored
    for good (`store.stories.redirects`): the links editions sent keep leading to the story.
    """
    report = ClusterReport()
    quiet_period = timedelta(hours=config.stories.quiet_period_hours)
    with exclusive(engine, CLUSTER_LOCK), session_scope(engine) as session:
        newest = session.scalar(select(Article.published_at).order_by(Article.published_at.desc()).limit(1))
        if newest is None:
            return report
        newest = min(newest, datetime.now(timezone.utc))
        start = newest - CLUSTER_LOOKBACK
        window = article_queries.articles_between(session, start, newest)
        clusterer = _saved_clusterer(session, quiet_period)
        if clusterer is None:
            report.replayed = True
            clusterer, todo = StoryClusterer(quiet_period=quiet_period), window
        else:
            clustered = article_queries.story_members(session, [a.id for a in window])
            todo = [a for a in window if a.id not in clustered]
            if not todo:
                return report
        shown = story_queries.shown_members(session, start.date())
        for story_id, article_ids in shown.items():  # the open stories of a saved clusterer
            clusterer.mark_published(story_id, article_ids)
        analyses = article_queries.analyses_for(session, [a.id for a in todo])
        for article in todo:
            entities = tuple(e["text"] for e in analyses.get(article.id, {}).get("entities", []))
            story_id = clusterer.add(
                StoryInput(
                    id=article.id, title=article.title, text=article.text, published=article.published_at,
                    source=article.outlet, language=article.language, entities=entities,
                )
            )
            if article.id in shown.get(story_id, ()):  # a replay meets what editions showed as it goes
                clusterer.mark_published(story_id, [article.id])
        # everything the clusterer still knows (open and resting stories, and those that ended during
        # this run), then forget the ended ones: they are in the store from now on
        assignments, duplicates, merged = clusterer.assignments(), clusterer.duplicate_of(), clusterer.merged()
        clusterer.take_closed()
        for article_id, story_id in assignments.items():
            if article_queries.save_story_member(session, article_id, story_id, duplicates.get(article_id)):
                report.changed += 1
        # an id an edition sent out and a merge absorbed: keep where it went, for the links sent
        story_queries.save_redirects(session, {old: new for old, new in merged.items() if old in shown}, assignments.values(), newest)
        story_queries.save_state(session, CLUSTER_STATE, clusterer.to_state(), datetime.now(timezone.utc))
        report.articles, report.stories = len(todo), len({assignments[a.id] for a in todo})
    return report


def _saved_clusterer(session: Session, quiet_period: timedelta) -> StoryClusterer | None:
    """The clusterer as the last run left it, or None when there is no usable saved state."""
    saved = story_queries.load_state(session, CLUSTER_STATE)
    if saved is None:
        return None
    try:
        clusterer = StoryClusterer.from_state(saved, quiet_period=quiet_period)
    except ValueError:  # written by another version or with other settings: replay
        return None
    held = list(clusterer.assignments())  # the open and resting stories' members
    if len(article_queries.story_members(session, held)) < len(held):
        return None  # the story rows were changed without it (a restored backup, a manual edit)
    return clusterer


def build(engine: Engine, config: Config, slot: SlotTime, *, rebuild: bool = False) -> dict[str, Any]:
    with session_scope(engine) as session:
        return build_edition(session, config, slot, rebuild=rebuild).data


def publish(engine: Engine, config: Config, edition_id: str) -> PublishReport:
    """Publish the edition to files, Telegram and email (those configured), resuming where an
    earlier run stopped (and first finishing an earlier edition a crash left half-sent). The
    report gives the written files by kind (`report.files["html"]`), each channel's counts, and
    whether the edition is held for review."""
    return publish_in_order(engine, config, edition_id)


@dataclass
class RunReport:
    ingest: IngestReport
    analysis: AnalyzeReport
    clustering: ClusterReport
    edition: dict[str, Any]
    published: PublishReport


def run(engine: Engine, config: Config, slot: SlotTime, *, progress: Progress | None = None, analyzer: Analyzer | None = None) -> RunReport:
    """Everything once, for cron: fetch, analyse, cluster, build the slot's edition, publish it."""
    ingest_report = fetch(engine, config, progress=progress)
    analysis_report = analyze(engine, config, analyzer=analyzer, progress=progress)
    cluster_report = cluster(engine, config)
    edition = build(engine, config, slot)
    published = publish(engine, config, edition["id"])
    return RunReport(ingest_report, analysis_report, cluster_report, edition, published)

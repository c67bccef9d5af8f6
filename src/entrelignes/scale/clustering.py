"""`backfill --cluster`: after extraction and analysis, each day's articles grouped into stories.

Each day (UTC, by publication date) is clustered on its own, by a fresh `StoryClusterer` fed the
day's articles in (time, id) order: the result depends only on what the output holds, not on
the engine, the worker count or the order the workers finished in. It runs in the driver once
the analysis is done, over every archive article of the output (a rerun reclusters the days
with everything it added), and writes each day's stories in one step. Clustering costs a few
milliseconds an article, against tens for the analysis. The day's articles are held in memory
together, one day at a time being written.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timezone

from entrelignes.scale.sinks import StoredArticle


def cluster_days(sink) -> tuple[int, int]:
    """Cluster every day of `sink`'s articles and write the stories; (articles, stories).
    Articles without a publication date are left out of a Parquet output: they belong to no
    day (in the store, such an article is dated when it was stored, as the live desk does)."""
    from entrelignes.stories import StoryClusterer, StoryInput

    days: dict[date, list[StoredArticle]] = defaultdict(list)
    for article in sink.articles():
        if article.published is not None:
            days[article.published.astimezone(timezone.utc).date()].append(article)
    articles = stories = 0
    for day in sorted(days):
        clusterer = StoryClusterer()
        for article in sorted(days[day], key=lambda a: (a.published, a.id)):
            clusterer.add(StoryInput(id=article.id, title=article.title, text=article.text, published=article.published,
                                     source=article.outlet, language=article.language, entities=article.entities))
        assignments, duplicates = clusterer.assignments(), clusterer.duplicate_of()
        sink.write_stories(day, {key: (story, duplicates.get(key)) for key, story in assignments.items()})
        articles, stories = articles + len(assignments), stories + len(set(assignments.values()))
    return articles, stories

"""Re-cluster the articles of a demo store and print each story with its outlets.

    .venv/bin/entrelignes demo --data-dir /tmp/d/data --out-dir /tmp/d/out
    .venv/bin/python bench/stories/demo_table.py /tmp/d/data/entrelignes.db

Reads the stored articles and their analyses (entities) as `pipeline.cluster()` feeds them, runs a
fresh `StoryClusterer` (the stored story ids are not used) and prints story -> outlets, largest
first, so the example newsroom's events (examples/README.md) can be checked at a glance.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from entrelignes.stories import StoryClusterer, StoryInput  # noqa: E402


def load(db: str) -> list[StoryInput]:
    con = sqlite3.connect(db)
    analyses = {aid: json.loads(data) for aid, data in con.execute("select article_id, data from analyses")}
    out = []
    for aid, outlet, url, title, text, language, published in con.execute(
        "select id, outlet, url, title, text, language, published_at from articles order by published_at, id"
    ):
        when = datetime.fromisoformat(published).replace(tzinfo=timezone.utc)
        entities = tuple(e["text"] for e in analyses.get(aid, {}).get("entities", []))
        out.append(StoryInput(aid, title, text, when, outlet, language, entities))
    return out


def main() -> None:
    articles = load(sys.argv[1] if len(sys.argv) > 1 else "/tmp/d/data/entrelignes.db")
    clusterer = StoryClusterer()
    for a in articles:
        clusterer.add(a)
    by_story: dict[str, list[StoryInput]] = defaultdict(list)
    assignments = clusterer.assignments()
    for a in articles:
        by_story[assignments[a.id]].append(a)
    copies = clusterer.duplicate_of()
    for sid, members in sorted(by_story.items(), key=lambda kv: (-len({m.source for m in kv[1]}), kv[1][0].published)):
        outlets = sorted({m.source for m in members})
        print(f"{len(outlets)} outlets, {len(members)} articles: {', '.join(outlets)}")
        for m in members:
            mark = " (copy)" if m.id in copies else ""
            print(f"    {m.published:%d %H:%M} {m.source[:22]:22s} {m.title[:70]}{mark}")


if __name__ == "__main__":
    main()

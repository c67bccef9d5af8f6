"""Web benchmark: page latency with a synthetic store of 100,000 articles.

Builds (or reuses, with --store) a SQLite store: 40 outlets, 100,000 articles over 90 days with
their analyses (quotes, sourcing, the cleaned text as the analysis stage stores it), stories of
1 to 12 articles, two published editions a day. Then serves the app with uvicorn on loopback
and requests each kind of page in random order over HTTP, one request at a time, reporting
p50 / p95 / max per page. Outlet profiles are cached until the outlet gets a new article:
the first (cold) request of each outlet is reported apart. "app" columns are the time spent in
the application (its Server-Timing header), the rest is HTTP and scheduling.

    python bench/web/run.py [--articles 100000] [--requests 150] [--store PATH]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import Timer, peak_rss_mb, write_result  # noqa: E402

OUTLETS = 40
DAYS = 90
START = datetime(2026, 1, 1, tzinfo=timezone.utc)
SPEAKERS = [f"{first} {last}" for first in ("Marie", "Jean", "Sophie", "Karim", "Léa", "Paul", "Nadia", "Hugo") for last in ("Martin", "Bernard", "Dubois", "Durand", "Lefebvre", "Moreau")]
KINDS = ("person", "organization", "anonymous", "outlet", "unsourced")


def _vocabulary(rng: random.Random) -> list[str]:
    syllables = ["ba", "che", "di", "fon", "gre", "la", "mi", "no", "pra", "ri", "sé", "tou", "ver", "zo", "qua", "lé"]
    words = {"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(8000)}
    return sorted(words)


def build_store(path: Path, articles: int, seed: int = 7) -> dict:
    from sqlalchemy import insert

    from entrelignes.store import open_store, session_scope
    from entrelignes.store.schema import Analysis, Article, Edition, Source, StoryMember

    rng = random.Random(seed)
    vocab = _vocabulary(rng)
    weights = [1 / (i + 1) for i in range(len(vocab))]  # Zipf-like word frequencies
    sentences = [" ".join(rng.choices(vocab, weights, k=rng.randint(8, 20))).capitalize() + "." for _ in range(4000)]
    engine = open_store(f"sqlite:///{path}")
    outlets = [f"Outlet {i:02d}" for i in range(OUTLETS)]
    with session_scope(engine) as db:
        db.execute(insert(Source.__table__), [
            {"name": o, "url": f"https://outlet{i}.example.org/rss.xml", "added_url": "", "site_url": "", "language": "fr", "tags": [], "poll_interval": 900,
             "enabled": True, "fetch_full_page": True, "selector": "", "etag": "", "last_modified": "", "last_status": "ok", "last_error": "",
             "last_success_at": START + timedelta(days=DAYS), "consecutive_failures": 0, "polls": 500, "not_modified": 300, "items_seen": 2500,
             "extraction_failures": 3, "total_latency_ms": 90000.0, "origin": "config"}
            for i, o in enumerate(outlets)
        ])
    span = DAYS * 24 * 3600
    times = sorted(START + timedelta(seconds=rng.randrange(span)) for _ in range(articles))
    story_of: list[str] = []
    open_stories: list[tuple[str, int]] = []
    for n in range(articles):
        if open_stories and rng.random() < 0.7:
            index = rng.randrange(len(open_stories))
            sid, left = open_stories[index]
            story_of.append(sid)
            open_stories[index] = (sid, left - 1)
            if left <= 1:
                open_stories.pop(index)
        else:
            sid = f"s-{n:024d}"
            story_of.append(sid)
            open_stories.append((sid, rng.randint(0, 11)))
            if len(open_stories) > 60:
                open_stories.pop(0)
    batch = 5000
    for start in range(0, articles, batch):
        rows, analyses, members = [], [], []
        for n in range(start, min(articles, start + batch)):
            key = f"{n:024x}"
            outlet = outlets[rng.randrange(OUTLETS)]
            text = " ".join(rng.choices(sentences, k=rng.randint(8, 20)))
            title = rng.choice(sentences)[:90]
            rows.append({"id": key, "source_id": outlets.index(outlet) + 1, "outlet": outlet, "url": f"https://{outlet.replace(' ', '').lower()}.example.org/{key}",
                         "title": title, "text": text, "language": "fr", "author": "", "published_at": times[n], "fetched_at": times[n], "boilerplate": ["Abonnez-vous."]})
            shares = [rng.random() for _ in KINDS]
            total = sum(shares)
            quotes = [{"quote": rng.choice(sentences), "type": "direct", "speaker": rng.choice(SPEAKERS + [None]), "speaker_type": "person", "cue": "a dit", "start": 0, "end": 10, "role": None} for _ in range(rng.randint(0, 4))]
            analyses.append({"article_id": key, "analyzed_at": times[n], "data": {"id": key, "title": title, "language": "fr", "text": text, "quotes": quotes, "entities": [], "attributions": [], "boilerplate": [], "sourcing": {k: s / total for k, s in zip(KINDS, shares)}, "notices": []}})
            members.append({"article_id": key, "story_id": story_of[n], "duplicate_of": None})
        with session_scope(engine) as db:
            db.execute(insert(Article.__table__), rows)
            db.execute(insert(Analysis.__table__), analyses)
            db.execute(insert(StoryMember.__table__), members)
    # two editions a day, eight stories each, from the stories active that half-day
    by_story: dict[str, list[int]] = {}
    for n, sid in enumerate(story_of):
        by_story.setdefault(sid, []).append(n)
    editions, published_stories = [], []
    for day in range(DAYS):
        for slot, hour in (("morning", 6), ("evening", 18)):
            at = START + timedelta(days=day, hours=hour)
            window = [sid for sid, ns in by_story.items() if at - timedelta(hours=24) < times[ns[0]] <= at]
            chosen = sorted(window, key=lambda s: -len(by_story[s]))[:8]
            stories = []
            for rank, sid in enumerate(chosen, start=1):
                ns = by_story[sid][:12]
                stories.append({"rank": rank, "story_ids": [sid], "headline": sentences[ns[0] % len(sentences)][:90], "reason": f"reported by {len(ns)} outlets", "is_update": False, "score": 1.0,
                                "summary": [{"sentence": sentences[n % len(sentences)], "outlet": "Outlet 00"} for n in ns[:3]],
                                "articles": [{"id": f"{n:024x}", "title": "t", "outlet": "Outlet 00", "url": f"https://x.example.org/{n}", "published": times[n].isoformat()} for n in ns],
                                "outlets": ["Outlet 00"], "quotes": [], "sourcing": {}})
                published_stories.append(sid)
            date = at.date().isoformat()
            editions.append({"id": f"{date}-{slot}", "date": date, "slot": slot, "built_at": at, "status": "published",
                             "data": {"id": f"{date}-{slot}", "date": date, "slot": slot, "at": at.isoformat(), "title": "entrelignes", "timezone": "Europe/Paris",
                                      "stats": {"articles": 1100, "stories": 300, "outlets": OUTLETS}, "stories": stories}})
    with session_scope(engine) as db:
        db.execute(insert(Edition.__table__), editions)
    return {"outlets": outlets, "stories": published_stories, "all_stories": list(by_story), "words": vocab[50:2000], "editions": [e["id"] for e in editions]}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=150, help="requests per page kind")
    parser.add_argument("--store", type=Path, help="reuse (or create) the store at this path")
    args = parser.parse_args()

    import httpx
    import uvicorn
    from sqlalchemy import func, select

    from entrelignes.config import Config, WebConfig
    from entrelignes.store import open_store, session_scope
    from entrelignes.store.schema import Article
    from entrelignes.web import create_app

    workdir = Path(tempfile.mkdtemp(prefix="entrelignes-bench-web-"))
    store = args.store or workdir / "store.db"
    built = None
    with Timer() as build_time:
        if not store.exists():
            built = build_store(store, args.articles)
    engine = open_store(f"sqlite:///{store}")
    if built is None:  # reused store: read what the requests need back from it
        from entrelignes.store.schema import Edition, StoryMember

        with session_scope(engine) as db:
            editions = list(db.scalars(select(Edition)))
            built = {
                "outlets": [o for (o,) in db.execute(select(Article.outlet).distinct())],
                "stories": [s["story_ids"][0] for e in editions for s in e.data["stories"]],
                "all_stories": [s for (s,) in db.execute(select(StoryMember.story_id).distinct().limit(20000))],
                "words": [],
                "editions": [e.id for e in editions],
            }
    with session_scope(engine) as db:
        count = db.scalar(select(func.count()).select_from(Article))
    if not built["words"]:
        built["words"] = ["bala", "chedi", "fonmi", "grela", "noprari", "sétou", "verzo"]
    config = Config(data_dir=str(workdir), web=WebConfig(secret_key="bench-" + "x" * 32))
    app = create_app(config, engine)
    port = 18000 + random.randrange(1000)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)

    rng = random.Random(11)
    pages = {
        "today /": lambda: "/",
        "archive /editions": lambda: f"/editions?page={rng.randint(1, 6)}",
        "edition /editions/{id}": lambda: f"/editions/{rng.choice(built['editions'])}",
        "story /stories/{id} (in an edition)": lambda: f"/stories/{rng.choice(built['stories'])}",
        "story /stories/{id} (any)": lambda: f"/stories/{rng.choice(built['all_stories'])}",
        "outlets /outlets": lambda: "/outlets",
        "outlet /outlets/{name}": lambda: f"/outlets/{rng.choice(built['outlets'])}",
        "search /search?q=": lambda: "/search?q=" + "+".join(rng.sample(built["words"], rng.randint(1, 2))),
        "atom /atom.xml": lambda: "/atom.xml",
        "api /api/editions/latest": lambda: "/api/editions/latest",
        "api /api/stories/{id}": lambda: f"/api/stories/{rng.choice(built['stories'])}",
        "api /api/search?q=": lambda: "/api/search?q=" + rng.choice(built["words"]),
    }
    timings: dict[str, list[float]] = {name: [] for name in pages}
    server_side: dict[str, list[float]] = {name: [] for name in pages}
    cold: list[float] = []
    statuses: dict[int, int] = {}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        for outlet in built["outlets"]:  # first visit of each outlet: its profile is computed
            started = time.perf_counter()
            client.get(f"/outlets/{outlet}")
            cold.append((time.perf_counter() - started) * 1000)
        for name, make in pages.items():  # warm-up
            for _ in range(5):
                client.get(make())
        schedule = [name for name in pages for _ in range(args.requests)]
        rng.shuffle(schedule)
        for name in schedule:
            path = pages[name]()
            started = time.perf_counter()
            response = client.get(path)
            timings[name].append((time.perf_counter() - started) * 1000)
            server_side[name].append(float(response.headers.get("server-timing", "app;dur=0").partition("dur=")[2] or 0))
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    server.should_exit = True
    thread.join(10)

    rows = {
        name: {
            "n": len(v), "p50_ms": round(statistics.median(v), 1), "p95_ms": round(percentile(v, 0.95), 1), "max_ms": round(max(v), 1),
            "server_p50_ms": round(statistics.median(server_side[name]), 1), "server_p95_ms": round(percentile(server_side[name], 0.95), 1),
        }
        for name, v in timings.items()
    }
    worst = max(r["p95_ms"] for name, r in rows.items())
    rows["outlet /outlets/{name} (first visit, profile computed)"] = {"n": len(cold), "p50_ms": round(statistics.median(cold), 1), "p95_ms": round(percentile(cold, 0.95), 1), "max_ms": round(max(cold), 1)}
    result = {
        "articles": count,
        "store_build_s": round(build_time.wall, 1),
        "requests_per_page": args.requests,
        "statuses": statuses,
        "pages": rows,
        "worst_p95_ms": worst,
        "target_p95_ms": 100,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }
    path = write_result("web", result)
    print(f"{count} articles (store built in {build_time.wall:.0f} s); {args.requests} requests per page over HTTP, one at a time")
    print(f"{'page':58} {'p50':>8} {'p95':>8} {'max':>8}  {'app p50':>8} {'app p95':>8}")
    for name, r in rows.items():
        print(f"{name:58} {r['p50_ms']:7.1f}  {r['p95_ms']:7.1f}  {r['max_ms']:7.1f}  {r.get('server_p50_ms', 0):7.1f}  {r.get('server_p95_ms', 0):7.1f}")
    load = os.getloadavg()
    print(f"worst p95 (warm pages): {worst:.1f} ms (target 100 ms); statuses {statuses}; load average {load[0]:.1f} on {os.cpu_count()} CPUs; written to {path}")
    import shutil

    shutil.rmtree(workdir, ignore_errors=True)  # with --store, the store lives elsewhere and stays


if __name__ == "__main__":
    main()

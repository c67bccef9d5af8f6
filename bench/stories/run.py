"""Benchmark of the story stage: clustering quality on the dev day, and speed at scale.

Reads ../shared/eval/stories-en (NewsArticles.zip and the gold clusters of 2017-02-09) relative
to the repository root, scores with ../shared/eval/score_clusters.py, writes
bench/results/stories.json and prints a summary.

    .venv/bin/python bench/stories/run.py            # full: quality, sweeps, 3,824, 1,000 / 100,000
    .venv/bin/python bench/stories/run.py --quick    # quality, sweeps, 1,000 / 10,000
    .venv/bin/python bench/stories/run.py --quick --gold OTHER-DAY.json   # score another day
    .venv/bin/python bench/stories/run.py --sensitivity-only   # the parameter sweeps, printed

Context fed to the clusterer for the dev day: the stream of every article published up to the
end of that day, in time order (what a running desk would have seen), scored on the day's ids
only. The day-only run is reported next to it. The reference is the README's baseline: TF-IDF
(title + text, scikit-learn defaults) cosine with average-linkage clustering over the day's
articles, its threshold tuned on the day.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import json
import multiprocessing as mp
import random
import resource
import sys
import time
import urllib.parse
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from entrelignes.stories import ClusterParams, StoryClusterer, StoryInput, cluster  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"
DATA = EVAL / "stories-en"
GOLD = DATA / "dev-2017-02-09.json"
RESULTS = ROOT / "bench" / "results" / "stories.json"


def _parse_date(value: str) -> datetime | None:
    value = value.strip()
    for fmt in ("%Y/%m/%d %H:%M", "%Y/%m/%d"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    return None


def load_articles(path: Path = DATA / "NewsArticles.zip") -> list[StoryInput]:
    """Every article of NewsArticles.zip with a readable date, as StoryInput (source = host)."""
    csv.field_size_limit(1 << 30)
    out = []
    with zipfile.ZipFile(path) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".csv"))
        with zf.open(name) as raw:
            for row in csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", errors="replace")):
                published = _parse_date(row["publish_date"])
                if published is None:
                    continue
                host = urllib.parse.urlparse(row["article_source_link"]).netloc.removeprefix("www.")
                out.append(StoryInput(row["article_id"], row["title"], row["text"], published, host, "en"))
    return out


def load_scorer():
    spec = importlib.util.spec_from_file_location("score_clusters", EVAL / "score_clusters.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def load_gold(scorer, path: Path = GOLD) -> dict[str, str]:
    return scorer.load_gold(str(path))


def score(scorer, gold: dict[str, str], pred: dict[str, str]) -> dict:
    pp, pr, pf = scorer.pairwise(gold, pred)
    bp, br, bf = scorer.bcubed(gold, pred)
    return {
        "pairwise": {"P": round(pp, 4), "R": round(pr, 4), "F1": round(pf, 4)},
        "bcubed": {"P": round(bp, 4), "R": round(br, 4), "F1": round(bf, 4)},
        "stories_predicted": len({pred[i] for i in gold if i in pred}),
        "stories_gold": len(set(gold.values())),
    }


def reference_average_linkage(day: list[StoryInput], corpus: list[StoryInput], scorer, gold) -> dict:
    """TF-IDF (title + text) cosine, average linkage, similarity threshold tuned on the day.

    scikit-learn TfidfVectorizer with English stop words and sublinear tf, IDF fitted on the
    whole corpus: the variant that reproduces the README's reference figures (0.779 / 0.972).
    """
    import numpy as np
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True)
    vectorizer.fit([a.title + " " + a.text for a in corpus])
    x = vectorizer.transform([a.title + " " + a.text for a in day])
    dist = np.clip(1 - cosine_similarity(x), 0, None)
    np.fill_diagonal(dist, 0)
    best = None
    for threshold in np.arange(0.05, 0.95, 0.01):
        labels = AgglomerativeClustering(
            n_clusters=None, metric="precomputed", linkage="average", distance_threshold=1 - threshold
        ).fit_predict(dist)
        pred = {a.id: str(label) for a, label in zip(day, labels)}
        result = score(scorer, gold, pred)
        if best is None or result["pairwise"]["F1"] > best["pairwise"]["F1"]:
            best = {**result, "similarity_threshold": round(float(threshold), 2)}
    return best


def _dev_inputs(gold_path: Path) -> tuple:
    """The scorer, the gold, every article, the day's articles, and the stream up to the day's end."""
    scorer = load_scorer()
    gold = load_gold(scorer, gold_path)
    articles = load_articles()
    day = sorted((a for a in articles if a.id in gold), key=lambda a: (a.published, a.id))
    end = max(a.published for a in day)
    return scorer, gold, articles, day, [a for a in articles if a.published <= end]


def quality(gold_path: Path = GOLD) -> dict:
    scorer, gold, articles, day, stream = _dev_inputs(gold_path)
    out = {"articles_in_day": len(day), "articles_in_stream": len(stream)}
    t = time.perf_counter()
    pred = cluster(stream)
    out["stream"] = {**score(scorer, gold, pred), "seconds": round(time.perf_counter() - t, 2)}
    out["day_only"] = score(scorer, gold, cluster(day))
    out["reference_tfidf_average_linkage"] = reference_average_linkage(day, articles, scorer, gold)
    return out


# One parameter at a time, the others at their defaults: does the chosen value sit on a plateau?
SWEEPS: dict[str, list] = {
    "threshold": [round(0.15 + 0.01 * i, 2) for i in range(17)],  # 0.15 .. 0.31
    "prefix": [0, 5, 6, 7, 8],
    "max_words": [50, 75, 100, 150, 200, 0],
    "lead_words": [0, 15, 30, 60],
    "name_weight_same": [0.0, 0.01, 0.02, 0.03, 0.04],
    "time_scale": [timedelta(hours=24), timedelta(hours=72), timedelta(days=7)],
    "df_half_life": [timedelta(days=7), timedelta(days=30), timedelta(days=90), None],
}
RESAMPLES = 200  # random subsets of the gold stories
SUBSET = 0.8  # share of the gold stories in each subset


def sensitivity(gold_path: Path = GOLD) -> dict:
    """Pairwise and BCubed F1 (stream context and day alone) across each swept parameter.

    For the threshold, two checks of how far the dev day's optimum can be trusted, on random
    subsets of the gold stories (the clusterer runs once per value; only the scoring changes):
    - `interval`: 5th-95th percentile of stream pairwise F1 over subsets of 80% of the stories;
    - `split_half`: the stories cut in two halves at random, the threshold chosen on one half
      (best pairwise F1), scored on the other: which thresholds get chosen, and what the held-out
      half scores with them against its own best.
    """
    scorer, gold, _, day, stream = _dev_inputs(gold_path)
    out: dict = {"sweeps": {}}
    predictions: dict[float, dict[str, str]] = {}
    for name, values in SWEEPS.items():
        rows = []
        for value in values:
            params = replace(ClusterParams(), **{name: value})
            on_stream = cluster(stream, params=params)
            if name == "threshold":
                predictions[value] = on_stream
            rows.append({"value": str(value), "stream": score(scorer, gold, on_stream), "day_only": score(scorer, gold, cluster(day, params=params))})
        out["sweeps"][name] = rows

    rng = random.Random(5)
    stories = sorted(set(gold.values()))
    interval = {t: [] for t in predictions}
    chosen, held_out, held_out_best = [], [], []
    for _ in range(RESAMPLES):
        subset = set(rng.sample(stories, int(SUBSET * len(stories))))
        sub_gold = {a: s for a, s in gold.items() if s in subset}
        for t, pred in predictions.items():
            interval[t].append(scorer.pairwise(sub_gold, pred)[2])
        half = set(rng.sample(stories, len(stories) // 2))
        tune = {a: s for a, s in gold.items() if s in half}
        test = {a: s for a, s in gold.items() if s not in half}
        tuned = max(predictions, key=lambda t: (scorer.pairwise(tune, predictions[t])[2], -abs(t - ClusterParams().threshold)))
        on_test = {t: scorer.pairwise(test, pred)[2] for t, pred in predictions.items()}
        chosen.append(tuned)
        held_out.append(on_test[tuned])
        held_out_best.append(max(on_test.values()))
    for row in out["sweeps"]["threshold"]:
        values = sorted(interval[float(row["value"])])
        row["stream"]["pairwise_F1_interval"] = [round(values[len(values) // 20], 4), round(values[-len(values) // 20 - 1], 4)]
    out["split_half"] = {
        "resamples": RESAMPLES,
        "chosen_thresholds": {str(t): chosen.count(t) for t in sorted(set(chosen))},
        "held_out_pairwise_F1_mean": round(sum(held_out) / len(held_out), 4),
        "held_out_best_pairwise_F1_mean": round(sum(held_out_best) / len(held_out_best), 4),
    }
    return out


def synthetic_stream(articles: list[StoryInput], n: int, per_day: int = 200, seed: int = 7) -> Iterator[StoryInput]:
    """`n` articles at a steady `per_day` rate: the corpus in date order, again and again.

    Each pass shifts the copies in time (a pass lasts len(articles) / per_day days, far beyond the
    quiet period) and perturbs them lightly: one sentence dropped, the title's last word dropped
    on one copy in three. Ids get a "~pass" suffix.
    """
    rng = random.Random(seed)
    ordered = sorted(articles, key=lambda a: (a.published, a.id))
    start = datetime(2020, 1, 1, tzinfo=timezone.utc)
    step = timedelta(days=1) / per_day
    for i in range(n):
        k, a = divmod(i, len(ordered))
        a = ordered[a]
        text, title = a.text, a.title
        if k:
            parts = text.split(". ")
            if len(parts) > 2:
                del parts[rng.randrange(len(parts))]
                text = ". ".join(parts)
            if rng.random() < 1 / 3 and len(title.split()) > 3:
                title = title.rsplit(" ", 1)[0]
        yield StoryInput(f"{a.id}~{k}", title, text, start + i * step, a.source, a.language)


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def _speed_worker(n: int, queue) -> None:
    articles = load_articles()
    clusterer = StoryClusterer(params=ClusterParams())
    peak_window = 0
    wall = cpu = 0.0
    rss_before = _rss_mb()
    rss_samples = []
    handed: dict[str, str] = {}  # what a pipeline would have persisted (here: only counted)
    handed_over = 0
    for i, a in enumerate(synthetic_stream(articles, n)):  # generated lazily; only the clusterer is timed
        t, c = time.perf_counter(), time.process_time()
        clusterer.add(a)
        if (i + 1) % 1000 == 0:  # as the pipeline does: persist closed stories, forget them
            handed = clusterer.take_closed()
        cpu += time.process_time() - c
        wall += time.perf_counter() - t
        handed_over += len(handed)
        handed = {}
        peak_window = max(peak_window, clusterer.open_articles)
        if (i + 1) % max(1, n // 20) == 0:
            rss_samples.append(round(_rss_mb() - rss_before, 1))
    t = time.perf_counter()
    state = clusterer.to_state()  # what the pipeline saves at the end of each run
    save_seconds = time.perf_counter() - t
    t = time.perf_counter()
    StoryClusterer.from_state(state)
    load_seconds = time.perf_counter() - t
    queue.put(
        {
            "articles": n,
            "saved_state": {"bytes": len(state), "open_articles": clusterer.open_articles, "save_seconds": round(save_seconds, 3),
                            "load_seconds": round(load_seconds, 3)},
            "seconds": round(wall, 2),
            "cpu_seconds": round(cpu, 2),
            "articles_per_second": round(n / wall, 1),
            "ms_per_article": round(1000 * wall / n, 3),
            "cpu_ms_per_article": round(1000 * cpu / n, 3),
            "handed_over": handed_over,  # articles of closed stories taken with take_closed()
            "peak_open_articles": peak_window,
            "rss_before_mb": round(rss_before, 1),  # interpreter, libraries and the corpus loaded
            "rss_growth_mb": rss_samples,  # RSS above that, sampled every n/20 articles
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "vocabulary": len(clusterer._df.df),
        }
    )


def _corpus_worker(queue) -> None:
    articles = sorted(load_articles(), key=lambda a: (a.published, a.id))
    clusterer = StoryClusterer()
    t, c = time.perf_counter(), time.process_time()
    for a in articles:
        clusterer.add(a)
    seconds = time.perf_counter() - t
    cpu = time.process_time() - c
    queue.put(
        {
            "articles": len(articles),
            "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu, 2),
            "cpu_articles_per_second": round(len(articles) / cpu, 1),
            "articles_per_second": round(len(articles) / seconds, 1),
            "stories": len(set(clusterer.assignments().values())),
            "duplicates": len(clusterer.duplicate_of()),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    )


def _in_child(target, *args) -> dict:
    """Run one measurement in a fresh process, so that its peak memory is its own."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def _print_sensitivity(result: dict) -> None:
    for name, rows in result["sweeps"].items():
        print(f"{name}: pairwise F1 / BCubed F1, stream | day alone")
        for row in rows:
            s, d = row["stream"], row["day_only"]
            spread = s.get("pairwise_F1_interval")
            spread_text = f" (80% subsets: {spread[0]:.3f}-{spread[1]:.3f})" if spread else ""
            print(f"  {row['value']:>16s}  {s['pairwise']['F1']:.3f} / {s['bcubed']['F1']:.3f}{spread_text} | "
                  f"{d['pairwise']['F1']:.3f} / {d['bcubed']['F1']:.3f}")
    half = result["split_half"]
    print(f"threshold tuned on half the stories, {half['resamples']} times: chosen {half['chosen_thresholds']}; "
          f"other half scores {half['held_out_pairwise_F1_mean']:.3f} (its own best {half['held_out_best_pairwise_F1_mean']:.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="scale runs of 1,000 and 10,000 only")
    parser.add_argument("--gold", type=Path, default=GOLD, help="gold clusters of another day, same format")
    parser.add_argument("--sensitivity-only", action="store_true", help="only the parameter sweeps, printed")
    args = parser.parse_args()
    if not (DATA / "NewsArticles.zip").exists() or not GOLD.exists():
        print(f"skipped: {DATA} not found (the benchmark reads ../shared/eval relative to the repo)")
        return
    if args.sensitivity_only:
        _print_sensitivity(sensitivity(args.gold))
        return
    result: dict = {"params": {k: str(v) for k, v in vars(ClusterParams()).items()}}
    result["quality"] = quality(args.gold)
    result["sensitivity"] = sensitivity(args.gold)
    small, large = 1_000, (10_000 if args.quick else 100_000)
    if not args.quick:
        result["corpus"] = _in_child(_corpus_worker)
    result["synthetic"] = {str(n): _in_child(_speed_worker, n) for n in (small, large)}
    # CPU time per article: the machine is shared, CPU time is what the algorithm costs
    ratio = result["synthetic"][str(large)]["cpu_ms_per_article"] / result["synthetic"][str(small)]["cpu_ms_per_article"]
    result["scaling_ratio_cpu"] = round(ratio, 3)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))

    q = result["quality"]
    print(f"{args.gold.name} ({q['articles_in_day']} articles; stream context {q['articles_in_stream']} articles)")
    for label, key in [("entrelignes, stream", "stream"), ("entrelignes, day only", "day_only"),
                       ("reference TF-IDF + average linkage", "reference_tfidf_average_linkage")]:
        r = q[key]
        print(f"  {label:38s} pairwise P {r['pairwise']['P']:.3f} R {r['pairwise']['R']:.3f} F1 {r['pairwise']['F1']:.3f}"
              f" | BCubed F1 {r['bcubed']['F1']:.3f} | stories {r['stories_predicted']} (gold {r['stories_gold']})")
    _print_sensitivity(result["sensitivity"])
    if "corpus" in result:
        c = result["corpus"]
        print(f"corpus: {c['articles']} articles in {c['seconds']} s = {c['articles_per_second']}/s wall, "
              f"{c['cpu_articles_per_second']}/s CPU, peak RSS {c['peak_rss_mb']} MB")
    for n, r in result["synthetic"].items():
        print(f"synthetic {n}: {r['articles_per_second']}/s wall, {r['cpu_ms_per_article']} ms CPU/article, "
              f"peak window {r['peak_open_articles']} articles, RSS {r['rss_before_mb']} MB before, "
              f"+{r['rss_growth_mb'][-1]} MB at the end (max +{max(r['rss_growth_mb'])}), peak {r['peak_rss_mb']} MB")
        state = r["saved_state"]
        print(f"  saved state at the end: {state['bytes'] / 2**20:.1f} MB for {state['open_articles']} open articles, "
              f"saved in {state['save_seconds']} s, loaded in {state['load_seconds']} s")
    print(f"CPU time per article at {large} / at {small}: {ratio:.2f}x  -> {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

"""Pipeline benchmark on the French Wikinews corpus (../shared/corpus/wikinews-fr).

Measures articles/s for each stage run on its own (language identification, analysis,
clustering) and for the whole flow through a fresh SQLite store (store, analyse, cluster,
build and publish an edition), next to a bare spaCy `nlp.pipe` over the same texts in the same
process: the floor that any analysis with that model must pay.

    python bench/pipeline/run.py [--limit N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import Timer, peak_rss_mb, require_shared, write_result  # noqa: E402


def load_corpus(root: Path, limit: int) -> list[dict]:
    """Wikinews-fr files: line 1 title, line 3 date, then the body."""
    documents = []
    for path in sorted(root.rglob("*.txt"))[:limit]:
        lines = path.read_text(encoding="utf-8").splitlines()
        documents.append({"id": path.stem, "title": lines[0].strip(), "text": "\n".join(lines[3:]).strip()})
    return documents


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=400, help="articles to use (default 400; the corpus has 1,227)")
    args = parser.parse_args()
    documents = load_corpus(require_shared("corpus/wikinews-fr"), args.limit)
    count = len(documents)
    words = sum(len(d["text"].split()) for d in documents)

    import spacy

    from entrelignes import pipeline
    from entrelignes.analyze import Analyzer
    from entrelignes.config import Config
    from entrelignes.editions import slot_time
    from entrelignes.extract import detect_language
    from entrelignes.records import Extracted
    from entrelignes.store import open_store, session_scope
    from entrelignes.store.articles import save_extracted
    from entrelignes.stories import StoryInput, cluster

    stages: dict[str, dict] = {}

    def record(name: str, timer: Timer) -> None:
        stages[name] = {
            "seconds": round(timer.wall, 2),
            "cpu_seconds": round(timer.cpu, 2),
            "articles_per_s": round(count / timer.wall, 1),
            "articles_per_cpu_s": round(count / timer.cpu, 1),  # steadier than wall time on a shared machine
        }

    # Reference: the bare model over the same texts, model load excluded.
    nlp = spacy.load("fr_core_news_md")
    with Timer() as t:
        for _ in nlp.pipe((d["text"] for d in documents), batch_size=32):
            pass
    record("reference: bare nlp.pipe (fr_core_news_md)", t)

    with Timer() as t:
        languages = [detect_language(d["text"]) for d in documents]
    record("language (lingua)", t)

    analyzer = Analyzer()
    analyzer.analyze("warm-up", "", documents[0]["text"], "fr")  # load the model outside the timing
    with Timer() as t:
        list(analyzer.analyze_many((d["id"], d["title"], d["text"], "fr") for d in documents))
    record("analysis (analyze_many)", t)

    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    inputs = [StoryInput(d["id"], d["title"], d["text"], start + timedelta(minutes=10 * i), f"outlet-{i % 7}", "fr") for i, d in enumerate(documents)]
    with Timer() as t:
        cluster(inputs)
    record("dedup + clustering", t)

    with tempfile.TemporaryDirectory() as tmp:
        config = Config(data_dir=tmp, out_dir=str(Path(tmp) / "out"))
        engine = open_store(config.database_url)
        with Timer() as t:
            with session_scope(engine) as session:
                for item, language in zip(inputs, languages):
                    save_extracted(session, Extracted(url=f"https://wikinews.example/{item.id}", title=item.title, text=item.text, language=language, published=item.published), outlet=item.source, source_id=None, fetched_at=item.published)
            pipeline.analyze(engine, config, analyzer=analyzer)
            pipeline.cluster(engine, config)
            last_day = (inputs[-1].published + timedelta(days=1)).date()
            edition = pipeline.build(engine, config, slot_time(config, last_day, "morning"))
            pipeline.publish(engine, config, edition["id"])
        record("whole flow (store, analyse, cluster, build, publish)", t)

    reference = stages["reference: bare nlp.pipe (fr_core_news_md)"]
    analysis = stages["analysis (analyze_many)"]
    result = {
        "corpus": "shared/corpus/wikinews-fr",
        "articles": count,
        "words": words,
        "stages": stages,
        "analysis_vs_bare_nlp_pipe": round(analysis["articles_per_s"] / reference["articles_per_s"], 3),
        "analysis_vs_bare_nlp_pipe_cpu": round(analysis["articles_per_cpu_s"] / reference["articles_per_cpu_s"], 3),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    path = write_result("pipeline", result)
    print(f"Pipeline on {count} articles of wikinews-fr ({words:,} words), peak RSS {result['peak_rss_mb']} MB")
    for name, figures in stages.items():
        print(f"  {name:55s} {figures['articles_per_s']:8.1f} articles/s wall, {figures['articles_per_cpu_s']:8.1f} per CPU second")
    print(f"  analysis speed relative to bare nlp.pipe: {result['analysis_vs_bare_nlp_pipe']:.2f}x wall, {result['analysis_vs_bare_nlp_pipe_cpu']:.2f}x CPU")
    print(f"written to {path}")


if __name__ == "__main__":
    main()

"""Analysis benchmark: quotes and speakers, entities, throughput and multi-process scaling.

    .venv/bin/python bench/analysis/run.py [--limit N] [--no-scaling]

Reads ../shared (relative to the repo root):
- eval/quotes-fr/dev.jsonl + eval/score_quotes.py: quote F1 (lenient / strict), speaker and
  speaker-type accuracy, scored by the shared scorer, on the whole set and on each half;
- corpus/wikinews-fr/**/*.txt + .ann: exact-span entity P/R/F1 per type (PER/ORG/LOC vs the
  WiNER Person/Organization/Location annotations), on the part of each text that boilerplate
  removal left untouched (its common prefix with the file);
- throughput on the same corpus: articles/s of `Analyzer.analyze_many` (language detection,
  boilerplate patterns, spaCy, rules, sourcing) next to a bare `nlp.pipe` of the same loaded model
  (same components) in the same run, the two alternating chunk by chunk; and
  `analyze_many(n_process=2)` for scaling.
Writes bench/results/analysis.json and prints a summary.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from contextlib import redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT / "src"))

from entrelignes.analyze import Analyzer  # noqa: E402
from entrelignes.records import to_dict  # noqa: E402

ANN_LABELS = {"Person": "PER", "Organization": "ORG", "Location": "LOC"}
BASELINE = {"lenient_F1": 0.580, "strict_F1": 0.455, "speaker_acc": 0.406, "type_acc": 0.523,
            "source": "best open French rule-based quote extractor, run unchanged on dev (shared/eval/README.md)"}


def score_quotes(analyzer: Analyzer, out_dir: Path) -> dict:
    """Scores on the whole dev set and on its first and second halves (a two-fold check: a rule
    that helps one half and hurts the other is fitted to its articles)."""
    gold_path = SHARED / "eval" / "quotes-fr" / "dev.jsonl"
    spec = importlib.util.spec_from_file_location("score_quotes", SHARED / "eval" / "score_quotes.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    gold_lines = [line for line in gold_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    pred_lines = []
    for line in gold_lines:
        g = json.loads(line)
        text = (SHARED / "corpus" / "wikinews-fr" / g["file"]).read_text(encoding="utf-8")
        d = to_dict(analyzer.analyze(g["file"], text.split("\n", 1)[0], text, "fr"))
        d["file"] = g["file"]
        pred_lines.append(json.dumps(d, ensure_ascii=False))
    (out_dir / "analysis-dev-pred.jsonl").write_text("\n".join(pred_lines) + "\n", encoding="utf-8")
    half = len(gold_lines) // 2
    parts = {"all": slice(None), "first_half": slice(0, half), "second_half": slice(half, None)}
    scores = {}
    with tempfile.TemporaryDirectory() as tmp:  # the halves are scored from temporary files, never kept
        for name, part in parts.items():
            gold_file, pred_file = Path(tmp) / f"{name}-gold.jsonl", Path(tmp) / f"{name}-pred.jsonl"
            gold_file.write_text("\n".join(gold_lines[part]) + "\n", encoding="utf-8")
            pred_file.write_text("\n".join(pred_lines[part]) + "\n", encoding="utf-8")
            with redirect_stdout(io.StringIO()):
                res = mod.main(str(gold_file), str(pred_file))
            scores[name] = {k: {kk: (round(vv, 4) if isinstance(vv, float) else vv) for kk, vv in v.items()}
                            for k, v in res.items()}
    return scores


def read_ann(path: Path) -> set[tuple[int, int, str]]:
    out = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 2 or not parts[0].startswith("T"):
            continue
        bits = parts[1].split()
        if bits[0] in ANN_LABELS and ";" not in parts[1]:
            out.add((int(bits[1]), int(bits[2]), ANN_LABELS[bits[0]]))
    return out


def entity_scores(pairs) -> dict:
    tp, fp, fn = Counter(), Counter(), Counter()
    for gold, pred in pairs:
        for label in ("PER", "ORG", "LOC"):
            g = {x for x in gold if x[2] == label}
            p = {x for x in pred if x[2] == label}
            tp[label] += len(g & p)
            fp[label] += len(p - g)
            fn[label] += len(g - p)
    res = {}
    for label in ("PER", "ORG", "LOC", "ALL"):
        t = sum(tp.values()) if label == "ALL" else tp[label]
        f_p = sum(fp.values()) if label == "ALL" else fp[label]
        f_n = sum(fn.values()) if label == "ALL" else fn[label]
        P = t / (t + f_p) if t + f_p else 0.0
        R = t / (t + f_n) if t + f_n else 0.0
        res[label] = {"P": round(P, 4), "R": round(R, 4), "F1": round(2 * P * R / (P + R), 4) if P + R else 0.0,
                      "gold": t + f_n}
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=0, help="corpus articles for entities/throughput (0 = all)")
    ap.add_argument("--no-scaling", action="store_true", help="skip the n_process=2 run")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--chunk", type=int, default=256,
                    help="articles per alternation of the bare and the analysis runs (analyze_many makes one "
                         "nlp.pipe call per 8 batches, 256 articles by default)")
    ap.add_argument("--rounds", type=int, default=1, help="interleaved timing rounds; the best wall time is kept")
    args = ap.parse_args()
    if not SHARED.exists():
        sys.exit(f"shared data not found at {SHARED}")
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    analyzer = Analyzer()
    nlp = analyzer.nlp("fr")
    if nlp is None:
        sys.exit("fr_core_news_md is not installed")

    t0 = time.perf_counter()
    quotes = score_quotes(analyzer, out_dir)
    t_quotes = time.perf_counter() - t0

    files = sorted((SHARED / "corpus" / "wikinews-fr").rglob("*.txt"))
    if args.limit:
        files = files[: args.limit]
    texts = [f.read_text(encoding="utf-8").replace("\r\n", "\n") for f in files]
    docs = [(str(f.relative_to(SHARED)), t.split("\n", 1)[0], t, "") for f, t in zip(files, texts)]
    for _d in nlp.pipe(texts, batch_size=args.batch_size):  # warm up: the corpus words enter the vocabulary
        pass  # before any timed run, so that no run pays for them
    n = len(texts)

    def cpu() -> float:
        own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    def timed(fn):
        c0, t0 = cpu(), time.perf_counter()
        out = fn()
        return time.perf_counter() - t0, cpu() - c0, out

    load_before = os.getloadavg()
    walls: dict[str, list[float]] = {"bare": [], "one": [], "two": []}
    cpus: dict[str, list[float]] = {"bare": [], "one": [], "two": []}
    analyses2 = None
    bs = max(1, args.batch_size)
    for _ in range(max(1, args.rounds)):
        # bare and analysis alternate chunk by chunk (in alternating order), so that the load
        # other programs put on a shared machine falls on both alike; each is one nlp.pipe call
        wall, cpu_s = {"bare": 0.0, "one": 0.0}, {"bare": 0.0, "one": 0.0}
        analyses = []
        for k, start in enumerate(range(0, n, args.chunk)):
            chunk_texts, chunk_docs = texts[start : start + args.chunk], docs[start : start + args.chunk]
            runs = [("bare", lambda: [None for _d in nlp.pipe(chunk_texts, batch_size=bs)]),
                    ("one", lambda: list(analyzer.analyze_many(chunk_docs, n_process=1, batch_size=bs)))]
            for name, fn in runs[:: -1 if k % 2 else 1]:
                w, c, out = timed(fn)
                wall[name] += w
                cpu_s[name] += c
                if name == "one":
                    analyses += out
        for name in wall:
            walls[name].append(wall[name]), cpus[name].append(cpu_s[name])
        if not args.no_scaling:
            w, c, analyses2 = timed(lambda: list(analyzer.analyze_many(docs, n_process=2, batch_size=bs)))
            walls["two"].append(w), cpus["two"].append(c)
    load_after = os.getloadavg()
    t_bare, t_one = min(walls["bare"]), min(walls["one"])
    t_two = min(walls["two"]) if walls["two"] else None
    same = None
    if analyses2 is not None:
        same = all(a.quotes == b.quotes and a.entities == b.entities for a, b in zip(analyses, analyses2))
    pairs = []
    changed = 0
    for f, raw, a in zip(files, texts, analyses):
        ann = f.with_suffix(".ann")
        if not ann.exists() or not a.text:
            continue
        prefix = len(os.path.commonprefix([raw, a.text]))
        changed += prefix < len(raw)
        gold = {x for x in read_ann(ann) if x[1] <= prefix}
        pred = {(e.start, e.end, e.label) for e in a.entities if e.end <= prefix and e.label in ("PER", "ORG", "LOC")}
        pairs.append((gold, pred))
    ents = entity_scores(pairs)
    kinds = Counter(x.kind for a in analyses for x in a.attributions)
    result = {
        "quotes_dev": quotes["all"],
        "quotes_dev_halves": {k: quotes[k] for k in ("first_half", "second_half")},
        "quotes_baseline": BASELINE,
        "entities": ents,
        "entities_articles": len(pairs),
        "entities_articles_with_boilerplate_removed": changed,
        "throughput": {
            "articles": n,
            "chars": sum(len(t) for t in texts),
            "bare_nlp_pipe_articles_per_s": round(n / t_bare, 2),
            "analysis_articles_per_s": round(n / t_one, 2),
            "ratio_vs_bare": round(t_bare / t_one, 3),
            "ratio_vs_bare_per_round": [round(b / o, 3) for b, o in zip(walls["bare"], walls["one"])],
            "cpu_ratio_vs_bare_per_round": [round(b / o, 3) for b, o in zip(cpus["bare"], cpus["one"])],
            "analysis_2proc_articles_per_s": round(n / t_two, 2) if t_two else None,
            "scaling_2proc": round(t_one / t_two, 3) if t_two else None,
            "same_results_2proc": same,
            "cpu_count": os.cpu_count(),
            "cpu_seconds_per_article": {k: round(min(v) / n, 4) for k, v in cpus.items() if v},
            "cpu_ratio_vs_bare": round(min(cpus["bare"]) / min(cpus["one"]), 3),
            "rounds": max(1, args.rounds),
            "load_average_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
        },
        "attributions_by_kind": dict(kinds),
        "quotes_per_article": round(sum(len(a.quotes) for a in analyses) / max(1, n), 3),
        "rejected": sum(1 for a in analyses if a.notices and a.notices[0].startswith("rejected")),
        "model": "fr_core_news_md",
        "seconds": {"quotes_dev": round(t_quotes, 2), "bare": round(t_bare, 2), "analysis": round(t_one, 2),
                    "analysis_2proc": round(t_two, 2) if t_two else None},
    }
    (out_dir / "analysis.json").write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    for half in ("first_half", "second_half"):
        h = quotes[half]
        print(f"dev {half.replace('_', ' ')} ({h['lenient']['gold']} gold): lenient F1 {h['lenient']['F1']:.3f}, strict F1 "
              f"{h['strict']['F1']:.3f}, speaker acc {h['lenient']['speaker_acc']:.3f}, type acc {h['lenient']['type_acc']:.3f}")
    q = quotes["all"]
    print(f"quotes (dev, {q['lenient']['gold']} gold, {q['lenient']['pred']} predicted):")
    print(f"  lenient F1 {q['lenient']['F1']:.3f} (P {q['lenient']['P']:.3f} R {q['lenient']['R']:.3f})   baseline {BASELINE['lenient_F1']:.3f}")
    print(f"  strict  F1 {q['strict']['F1']:.3f} (P {q['strict']['P']:.3f} R {q['strict']['R']:.3f})   baseline {BASELINE['strict_F1']:.3f}")
    print(f"  speaker acc {q['lenient']['speaker_acc']:.3f} / {q['strict']['speaker_acc']:.3f} (lenient/strict)   baseline {BASELINE['speaker_acc']:.3f}")
    print(f"  speaker-type acc {q['lenient']['type_acc']:.3f}   baseline {BASELINE['type_acc']:.3f}")
    print("entities (exact span, %d articles):" % len(pairs), "  ".join(f"{k} F1 {v['F1']:.3f}" for k, v in ents.items()))
    th = result["throughput"]
    print(f"throughput ({n} articles): bare nlp.pipe {th['bare_nlp_pipe_articles_per_s']} art/s, analysis "
          f"{th['analysis_articles_per_s']} art/s (ratio {th['ratio_vs_bare']}; CPU-time ratio {th['cpu_ratio_vs_bare']})")
    print(f"  per round: wall ratios {th['ratio_vs_bare_per_round']}, CPU-time ratios {th['cpu_ratio_vs_bare_per_round']}")
    print(f"  load average before/after: {th['load_average_before_after']} on {os.cpu_count()} CPUs")
    if t_two:
        print(f"  n_process=2: {th['analysis_2proc_articles_per_s']} art/s (scaling {th['scaling_2proc']}x, "
              f"same results: {th['same_results_2proc']})")
    print(f"wrote {out_dir / 'analysis.json'}")


if __name__ == "__main__":
    main()

"""Extraction benchmark on ../shared/eval/article-extraction (181 real pages).

Scores entrelignes' `extract_page` with the benchmark's own scorer (word 4-gram shingles,
../shared/eval/score_extraction.py) next to plain `trafilatura.extract(html)` with its defaults,
run in the same process on the same pages.

    python bench/extract/run.py
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import Timer, peak_rss_mb, require_shared, write_result  # noqa: E402


def score(scorer: Path, predictions: dict[str, dict]) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(predictions, handle)
    output = subprocess.run([sys.executable, str(scorer), handle.name], capture_output=True, text=True, check=True).stdout
    Path(handle.name).unlink()
    precision, recall, f1 = (float(x) for x in re.search(r"precision ([\d.]+) recall ([\d.]+) F1 ([\d.]+)", output).groups())
    return {"precision": precision, "recall": recall, "f1": f1}


def main() -> None:
    root = require_shared("eval/article-extraction")
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    pages = {key: gzip.decompress((root / "html" / f"{key}.html.gz").read_bytes()).decode("utf-8", "replace") for key in truth}

    import trafilatura

    from entrelignes.extract import ExtractionError, extract_page

    runs = {}
    with Timer() as t:
        reference = {key: {"articleBody": trafilatura.extract(html) or ""} for key, html in pages.items()}
    runs["reference: trafilatura.extract defaults"] = (reference, t)

    ours, failures = {}, 0
    with Timer() as t:
        for key, html in pages.items():
            try:
                ours[key] = {"articleBody": extract_page(html, truth[key].get("url") or "").text}
            except ExtractionError:
                failures += 1
    runs["entrelignes extract_page"] = (ours, t)

    scorer = root.parent / "score_extraction.py"
    result = {"pages": len(pages), "extract_page_refused": failures, "runs": {}}
    for name, (predictions, timer) in runs.items():
        result["runs"][name] = {**score(scorer, predictions), "pages_per_s": round(len(pages) / timer.wall, 1)}
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    path = write_result("extract", result)
    print(f"Extraction on {len(pages)} pages of eval/article-extraction ({failures} refused by extract_page as having no article text)")
    for name, figures in result["runs"].items():
        print(f"  {name:42s} P {figures['precision']:.3f}  R {figures['recall']:.3f}  F1 {figures['f1']:.3f}  {figures['pages_per_s']} pages/s")
    print(f"written to {path}")


if __name__ == "__main__":
    main()

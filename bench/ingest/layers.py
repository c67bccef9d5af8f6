"""Where the CPU of a 304 goes: the same conditional GETs measured through each layer.

The bench's feed server (bench/ingest/feedserver.py, its own process, no added latency, one
host) answers 304 to every request, which carries the feed's current ETag. Each layer sends
`--requests` of them, `--concurrency` at a time, over kept connections, after a warm-up
round of the same size:

1. transport: `H11Transport.handle_async_request` with requests built beforehand (h11, the
   asyncio protocol, the kernel);
2. + request: the same with the `httpx.Request` built per request;
3. fetcher: `Fetcher.fetch` (its limits, checks and the parsing of a 304's headers);
4. whole poll: `poll_feeds` over 1,000 sources on a fresh SQLite store whose ETags are set by a
   first poll, measured on its second (syncing the config's sources, reading the due ones,
   the runner, one health write per source, the run's own connections).

Each figure is CPU milliseconds per 304 (user + system of this process), the best of
`--repeat` runs. Results go to bench/results/ingest_layers.json.

    .venv/bin/python bench/ingest/layers.py [--requests 2000] [--concurrency 50] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

from feedserver import host_address

HERE = Path(__file__).resolve().parent
RESULTS = HERE.parent / "results" / "ingest_layers.json"
FEEDS = 1000



async def _per_request(send, urls: list[str], concurrency: int) -> float:
    """CPU ms per request of `send(url)`, `concurrency` at a time, after a warm-up round."""

    async def round_() -> None:
        pending = iter(urls)

        async def worker() -> None:
            for url in pending:
                await send(url)

        await asyncio.gather(*(worker() for _ in range(concurrency)))

    await round_()
    cpu = time.process_time()
    await round_()
    return (time.process_time() - cpu) / len(urls) * 1000


async def _http_layers(port: int, requests: int, concurrency: int) -> dict[str, float]:
    from entrelignes.config import FetchConfig
    from entrelignes.ingest.fetcher import Fetcher
    from entrelignes.ingest.transport import ALLOW_PRIVATE, H11Transport

    urls = [f"http://{host_address(0)}:{port}/feed/{i % FEEDS}.xml" for i in range(requests)]
    etag = {url: f'"{i % FEEDS}-0"' for i, url in enumerate(urls)}
    extensions = {"timeout": {"connect": 30.0, "read": 30.0, "write": 30.0}, ALLOW_PRIVATE: True}

    def build(url: str) -> httpx.Request:
        return httpx.Request("GET", url, headers={"If-None-Match": etag[url], "Accept": "*/*"}, extensions=extensions)

    transport = H11Transport(max_idle=256)
    prebuilt = {url: build(url) for url in urls}

    async def prebuilt_request(url: str) -> None:
        response = await transport.handle_async_request(prebuilt[url])
        await response.aclose()
        assert response.status_code == 304

    async def built_request(url: str) -> None:
        response = await transport.handle_async_request(build(url))
        await response.aclose()

    figures = {
        "transport": await _per_request(prebuilt_request, urls, concurrency),
        "transport_and_request": await _per_request(built_request, urls, concurrency),
    }
    await transport.aclose()
    async with Fetcher(FetchConfig(concurrency=concurrency, per_host=concurrency, per_host_delay=0)) as fetcher:

        async def fetch(url: str) -> None:
            assert (await fetcher.fetch(url, etag=etag[url])).status == 304

        figures["fetcher"] = await _per_request(fetch, urls, concurrency)
    return figures


def _whole_poll(port: int, concurrency: int) -> float:
    from entrelignes.config import Config, FetchConfig, SourceConfig
    from entrelignes.ingest import poll_feeds
    from entrelignes.store import open_store, sqlite_url

    fetch = FetchConfig(concurrency=concurrency, per_host=concurrency, per_host_delay=0)
    sources = tuple(SourceConfig(name=f"Outlet {i}", url=f"http://{host_address(0)}:{port}/feed/{i}.xml") for i in range(FEEDS))
    store = Path(tempfile.mkdtemp(prefix="entrelignes-layers-"))
    engine = open_store(sqlite_url(store / "store.db"))
    config = Config(data_dir=str(store), fetch=fetch, sources=sources)
    now = datetime(2026, 11, 29, 6, 0, tzinfo=timezone.utc)
    poll_feeds(engine, config, now=now)  # sets every source's ETag
    cpu = time.process_time()
    report = poll_feeds(engine, config, now=now + timedelta(hours=1))
    cpu = time.process_time() - cpu
    engine.dispose()
    assert report.sources_not_modified == FEEDS, report
    return cpu / FEEDS * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, str(HERE / "feedserver.py"), "0", "0", "1"], stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())
        runs = []
        for _ in range(args.repeat):
            figures = asyncio.run(_http_layers(port, args.requests, args.concurrency))
            figures["whole_poll"] = _whole_poll(port, args.concurrency)
            runs.append(figures)
    finally:
        server.terminate()
        server.wait()
    best = {layer: round(min(run[layer] for run in runs), 4) for layer in runs[0]}
    result = {
        "benchmark": "CPU per 304 through each layer of ingestion",
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "load_average": round(os.getloadavg()[0], 1),
        "settings": {"requests": args.requests, "concurrency": args.concurrency, "repeat": args.repeat, "feeds_in_poll": FEEDS},
        "cpu_ms_per_304": best,
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"CPU ms per 304, best of {args.repeat} ({args.requests} requests, {args.concurrency} at a time; whole poll: {FEEDS} sources), "
          f"load {result['load_average']}")
    previous = 0.0
    for layer, label in (("transport", "transport, request built beforehand"), ("transport_and_request", "+ building the httpx.Request"),
                         ("fetcher", "Fetcher.fetch"), ("whole_poll", "whole poll (poll_feeds)")):
        print(f"  {label:<38} {best[layer]:.3f}   (+{best[layer] - previous:.3f})")
        previous = best[layer]
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

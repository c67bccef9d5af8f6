"""Ingestion: sources in, articles out.

`fetch_all` is what the pipeline and the CLI call. The parts, one concern each:
`fetcher` (the one HTTP client: politeness, conditional GET, limits, safety), `feeds` (RSS,
Atom, JSON Feed, sitemaps), `local` (files, directories, JSONL, WARC; charsets are
`entrelignes.encoding`'s, shared with the file commands), `urls` (canonical URLs), `discover` (feed auto-discovery, page canonical), `opml`, `safety`
(server-side request forgery guard), `run` (one ingestion run and source health).
"""

from entrelignes.ingest.run import FoundFeed, IngestReport, fetch_all, find_feed, ingest, poll_feeds

__all__ = ["FoundFeed", "IngestReport", "fetch_all", "find_feed", "ingest", "poll_feeds"]

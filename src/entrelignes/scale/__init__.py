"""Archive-scale analysis: `backfill` over JSONL, WARC, CSV, zip files and directories, on a
local process pool or on Ray Data, to Parquet or to the store, then (`cluster`) each day's
stories. See docs/SCALE.md."""

from entrelignes.scale.archives import ArchiveError, list_units, read_archives
from entrelignes.scale.backfill import BackfillReport, backfill
from entrelignes.scale.sinks import read_results, read_stories

__all__ = ["ArchiveError", "BackfillReport", "backfill", "list_units", "read_archives", "read_results", "read_stories"]

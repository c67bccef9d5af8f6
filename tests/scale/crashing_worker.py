"""Stand-ins for the analysis, for the local pool and Ray. `CrashingWorker` kills its process on
a document titled "boom" (and so on every batch holding one); it "writes" each other document
as an empty file named after its id in `folder`, so that `done(folder)` tells what the output
holds. `FailingWorker` cannot write at all, as when the disk is full."""

from __future__ import annotations

import os
from pathlib import Path

from entrelignes.scale.work import batch_summary, error_row


class CrashingWorker:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def __call__(self, batch: list[dict]) -> dict:
        if any(raw["title"] == "boom" for raw in batch):
            os._exit(13)  # as a segfault or the out-of-memory killer would
        for raw in batch:
            (self.folder / raw["article_id"]).touch()
        return batch_summary([{**error_row(raw, "", ""), "analysis": "{}"} for raw in batch])


def done(folder: Path) -> set[str]:
    return {path.name for path in Path(folder).iterdir()}


class FailingWorker:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def __call__(self, batch: list[dict]) -> dict:
        raise OSError(f"no space left on device: {self.folder}")

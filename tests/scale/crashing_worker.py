"""A stand-in for the analysis in the local pool: it kills its process on a document titled "boom"."""

from __future__ import annotations

import os

from entrelignes.scale.work import error_row


def init() -> None:
    pass


def work(batch: list[dict]) -> list[dict]:
    rows = []
    for raw in batch:
        if raw["title"] == "boom":
            os._exit(13)  # as a segfault or the out-of-memory killer would
        rows.append({**error_row(raw, "", ""), "analysis": "{}"})
    return rows

"""The local process pool survives a worker that dies: only the document that kills it is lost."""

from __future__ import annotations

import json

import pytest

from entrelignes.scale.archives import list_units
from entrelignes.scale.engines import run_local


@pytest.mark.slow
def test_a_dying_worker_costs_only_its_document(tmp_path):
    import crashing_worker

    lines = [{"id": str(n), "title": "boom" if n == 5 else f"t{n}", "text": "x"} for n in range(12)]
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    units = list_units([tmp_path / "a.jsonl"])
    rows = list(run_local(units, models=None, skip=set(), batch_size=3, workers=2, work=(crashing_worker.init, (), crashing_worker.work)))
    assert [r["doc_id"] for r in rows] == [str(n) for n in range(12)]  # every document, in order
    assert [r["doc_id"] for r in rows if r["error"]] == ["5"]
    assert "died" in rows[5]["error"]


@pytest.mark.slow
def test_workers_that_cannot_work_at_all_stop_the_run(tmp_path):
    import crashing_worker

    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps({"id": str(n), "title": "boom", "text": "x"}) for n in range(8)), encoding="utf-8")
    with pytest.raises(RuntimeError, match="keep dying"):
        list(run_local(list_units([tmp_path / "a.jsonl"]), models=None, skip=set(), batch_size=2, workers=1, work=(crashing_worker.init, (), crashing_worker.work)))

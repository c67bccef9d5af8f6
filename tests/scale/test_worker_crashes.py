"""A worker that dies costs only the document that kills it, on the local pool and on Ray: its
batch is retried a bounded number of times, then one document at a time, and the culprit goes to
the errors; the run completes. A worker that fails without dying (the disk is full) stops it."""

from __future__ import annotations

import json
from functools import partial

import pytest

import crashing_worker
from entrelignes.scale.archives import list_units
from entrelignes.scale.engines import run_local, run_ray

pytestmark = pytest.mark.slow


def _archive(tmp_path, poisoned: set[int], count: int = 12):
    lines = [{"id": str(n), "title": "boom" if n in poisoned else f"t{n}", "text": "x"} for n in range(count)]
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    written = tmp_path / "written"
    written.mkdir()
    return list_units([tmp_path / "a.jsonl"]), written


def _run(engine, units, written, worker=crashing_worker.CrashingWorker, **options):
    runner = {"local": run_local, "ray": run_ray}[engine]
    return list(runner(units, worker=(worker, (written,)), skip=set(), done=partial(crashing_worker.done, written), **options))


def _ray_if(engine, request) -> None:
    if engine == "ray":
        request.getfixturevalue("ray_session").cloudpickle.register_pickle_by_value(crashing_worker)


@pytest.mark.parametrize("engine", ["local", "ray"])
def test_a_dying_worker_costs_only_its_document(tmp_path, engine, request):
    _ray_if(engine, request)
    units, written = _archive(tmp_path, poisoned={5})
    summaries = _run(engine, units, written, batch_size=3, workers=2)
    errors = [error for summary in summaries for error in summary["errors"]]
    assert [(e["doc_id"], e["stage"]) for e in errors] == [("5", "analyze")]
    assert "died" in errors[0]["error"]
    assert sum(s["analysed"] for s in summaries) == 11
    assert len(crashing_worker.done(written)) == 11  # every other document written, once


def test_local_workers_that_cannot_work_at_all_stop_the_run(tmp_path):
    units, written = _archive(tmp_path, poisoned=set(range(8)), count=8)
    with pytest.raises(RuntimeError, match="keep dying"):
        _run("local", units, written, batch_size=2, workers=1)


@pytest.mark.parametrize("engine", ["local", "ray"])
def test_a_worker_that_fails_without_dying_stops_the_run(tmp_path, engine, request):
    _ray_if(engine, request)
    units, written = _archive(tmp_path, poisoned=set())
    with pytest.raises((OSError, RuntimeError), match="no space left on device"):
        _run(engine, units, written, worker=crashing_worker.FailingWorker, batch_size=3, workers=2)

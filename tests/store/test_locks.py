"""Claims: several workers on one store never do the same work or publish the same edition twice."""

from __future__ import annotations

import json
import multiprocessing
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from entrelignes.records import Extracted
from entrelignes.store import articles as queries
from entrelignes.store import session_scope
from entrelignes.store.locks import ANALYSIS, PUBLICATION, Claimer, claim, exclusive, lock_key, try_xact_lock
from entrelignes.store.schema import Analysis, Edition

NOW = datetime(2026, 3, 12, 6, 0, tzinfo=timezone.utc)


def test_lock_keys_are_stable_64_bit_and_distinct():
    assert lock_key("analysis", "abc") == lock_key("analysis", "abc")
    assert lock_key("analysis", "abc") != lock_key("publication", "abc")
    assert lock_key("a", "bc") != lock_key("ab", "c")
    keys = {lock_key("analysis", str(n)) for n in range(10_000)}
    assert len(keys) == 10_000 and all(-(2**63) <= k < 2**63 for k in keys)


def test_a_claim_held_by_one_worker_is_refused_to_another(store):
    with Claimer(store) as first, Claimer(store) as second:
        assert first.try_claim(ANALYSIS, "a1")
        assert first.try_claim(ANALYSIS, "a1")  # already its own
        assert not second.try_claim(ANALYSIS, "a1")
        assert second.try_claim(ANALYSIS, "a2")  # other keys are free
        assert second.try_claim(PUBLICATION, "a1")  # and other namespaces
        first.release(ANALYSIS, "a1")
        assert second.try_claim(ANALYSIS, "a1")


def test_closing_a_claimer_releases_its_claims(store):
    first = Claimer(store)
    assert first.try_claim(ANALYSIS, "a1")
    first.close()
    with claim(store, ANALYSIS, "a1") as mine:
        assert mine
        with claim(store, ANALYSIS, "a1") as again:
            assert not again


def test_pending_skips_what_is_claimed_or_done(store):
    done = {"b"}
    with Claimer(store) as other, Claimer(store) as me:
        other.try_claim(ANALYSIS, "c")
        assert list(me.pending(ANALYSIS, ["a", "b", "c", "d"], lambda key: key not in done)) == ["a", "d"]
        assert me.try_claim(ANALYSIS, "a") and me.try_claim(ANALYSIS, "d")  # released after each


def test_transaction_locks_end_with_the_transaction(store):
    with store.connect() as one, store.connect() as two:
        with one.begin():
            assert try_xact_lock(one, PUBLICATION, "e1")
            if store.dialect.name == "postgresql":
                with two.begin():
                    assert not try_xact_lock(two, PUBLICATION, "e1")
        with two.begin():
            assert try_xact_lock(two, PUBLICATION, "e1")


def test_exclusive_sections_take_turns(store):
    import threading
    import time

    inside, overlaps = [], []

    def section() -> None:
        with exclusive(store, "test", "turns"):
            if inside:
                overlaps.append(1)
            inside.append(1)
            time.sleep(0.02)
            inside.pop()

    threads = [threading.Thread(target=section) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == []


def _seed_articles(engine, count: int) -> list[str]:
    with session_scope(engine) as session:
        for n in range(count):
            queries.save_extracted(session, Extracted(url=f"https://example.org/{n}", title=f"t{n}", text="x", language="fr"), outlet="o", source_id=None, fetched_at=NOW)
    with session_scope(engine) as session:
        return [a.id for a in queries.articles_without_analysis(session)]


def _race(target, args_for, count: int = 2) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(count)
    processes = [context.Process(target=target, args=(*args_for(n), barrier)) for n in range(count)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
    assert [p.exitcode for p in processes] == [0] * count


@pytest.mark.slow
def test_two_processes_analyse_every_article_once(store, store_url, tmp_path):
    from store_workers import analysis_worker

    ids = _seed_articles(store, 40)
    logs = [tmp_path / f"worker{n}.json" for n in range(2)]
    _race(analysis_worker, lambda n: (store_url, str(logs[n])))
    done = [json.loads(log.read_text()) for log in logs]
    assert sorted(done[0] + done[1]) == sorted(ids)  # everything, and nothing twice
    assert not set(done[0]) & set(done[1])
    with session_scope(store) as session:
        assert session.query(Analysis).count() == 40


@pytest.mark.slow
def test_two_processes_publish_an_edition_once(store, store_url, tmp_path):
    from store_workers import publication_worker

    with session_scope(store) as session:
        session.add(Edition(id="2026-03-12-morning", date="2026-03-12", slot="morning", built_at=NOW, status="built", data={}))
    logs = [tmp_path / f"worker{n}.json" for n in range(2)]
    _race(publication_worker, lambda n: (store_url, "2026-03-12-morning", str(logs[n])))
    assert sorted(json.loads(log.read_text()) for log in logs) == [False, True]
    with session_scope(store) as session:
        assert session.scalar(select(Edition.status)) == "published"

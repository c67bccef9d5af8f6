"""Crash test: the publishing process is killed with SIGKILL at random moments, 30 times, while
it publishes multi-part editions to Telegram and email; after restarts every part has arrived
and no channel has more duplicates than kills (the one message in flight at each kill)."""

from __future__ import annotations

import multiprocessing
import random
import time
from collections import Counter
from datetime import datetime, timezone

import crash_worker
from publish_support import add_edition, edition_data, replace, story
from sqlalchemy import func, select

from entrelignes.editions.render import render_telegram
from entrelignes.publish.subscriptions import confirm, subscribe
from entrelignes.store import session_scope
from entrelignes.store.schema import Delivery, Edition

KILLS = 30
SUBSCRIBERS = 6


def _editions(engine, start: int, count: int) -> list[dict]:
    made = []
    for n in range(start, start + count):
        edition_id = f"2026-03-{1 + n // 2:02d}-{('morning', 'evening')[n % 2]}"
        stories = [story(i, f"{edition_id} histoire {i} " + "mot " * 300, sentences=2) for i in range(1, 10)]
        data = edition_data(edition_id, stories)
        add_edition(engine, data)
        made.append(data)
    return made


def _unpublished(engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(Edition).where(Edition.status != "published"))


def _attempts(engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.coalesce(func.sum(Delivery.attempts), 0)))


def _wait_for_a_send(engine, worker, before: int) -> None:
    deadline = time.monotonic() + 30
    while worker.is_alive() and _attempts(engine) == before and time.monotonic() < deadline:
        time.sleep(0.02)


def test_killed_thirty_times_nothing_lost_at_most_one_duplicate_per_kill(config, engine, telegram_server, smtp_server, capsys):
    config = replace(config, email={"retries": 2})
    telegram_server.latency = 0.01  # a message is "in flight" for a while before the server keeps it
    with session_scope(engine) as session:
        tokens = [subscribe(session, config, f"reader{n}@example.org", "both", send=False).token for n in range(SUBSCRIBERS)]
        for token in tokens:
            confirm(session, config, token, now=datetime.now(timezone.utc))
    editions = _editions(engine, 0, 4)

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(crash_worker.PRELOAD)
    rng = random.Random(20260312)
    kills = runs = in_flight = 0
    started = time.monotonic()
    while True:
        if not _unpublished(engine):
            if kills >= KILLS:
                break
            editions += _editions(engine, len(editions), 2)  # more work, so every kill lands mid-publishing
        attempts_before = _attempts(engine)
        ready = context.Event()
        worker = context.Process(target=crash_worker.publish_all, args=(config, ready))
        worker.start()
        runs += 1
        if kills < KILLS:
            ready.wait(30)
            _wait_for_a_send(engine, worker, attempts_before)  # so the kill lands while publishing
            worker.join(rng.uniform(0.0, 0.3))
            if worker.is_alive():
                worker.kill()  # SIGKILL
                worker.join()
                kills += 1
                with session_scope(engine) as session:  # what was under way when it died
                    sending = Counter(session.scalars(select(Delivery.channel).where(Delivery.status == "sending")))
                assert all(count <= 1 for count in sending.values()), f"at most one message in flight per channel, not {sending}"
                in_flight += bool(sending)
                continue
        else:
            worker.join(120)
        assert worker.exitcode == 0, f"the publisher failed (exit code {worker.exitcode})"
    elapsed = time.monotonic() - started

    expected_telegram = Counter()
    for data in editions:
        expected_telegram.update(render_telegram(data))
    received_telegram = Counter(m.html for m in telegram_server.sent())
    assert set(received_telegram) == set(expected_telegram), "every part arrived, and nothing else"
    telegram_duplicates = sum((received_telegram - expected_telegram).values())

    received_email = Counter(m["Message-ID"] for _, m in smtp_server.messages)
    assert len(received_email) == len(editions) * SUBSCRIBERS, "every subscriber got every edition"
    email_duplicates = sum(received_email.values()) - len(received_email)

    with session_scope(engine) as session:
        statuses = Counter(session.scalars(select(Delivery.status)))
        assert statuses == {"sent": sum(expected_telegram.values()) + len(editions) * SUBSCRIBERS}

    deliveries = sum(expected_telegram.values()) + len(received_email)
    with capsys.disabled():
        print(
            f"\ncrash test: {kills} kills ({in_flight} with a send in flight) in {runs} runs ({elapsed:.0f} s), {len(editions)} editions, "
            f"{deliveries} deliveries ({sum(expected_telegram.values())} Telegram messages, {len(received_email)} emails), "
            f"duplicates: {telegram_duplicates} Telegram, {email_duplicates} email"
        )
    assert kills == KILLS
    assert telegram_duplicates <= kills and email_duplicates <= kills

"""The Telegram channel against a local Bot API server with Telegram's limits and errors."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from publish_support import HOSTILE, add_edition, edition_data, replace, story
from fake_telegram import LIMIT, utf16_len

from entrelignes.publish import publish_edition
from entrelignes.publish.telegram import RateGovernor
from entrelignes.store import session_scope
from entrelignes.store.deliveries import deliveries
from entrelignes.store.schema import Edition

FAST = {"telegram_options": {"backoff": 0.01}}


def _telegram_only(config):
    return replace(config, email={"smtp_host": ""})


def test_the_fake_server_refuses_what_telegram_refuses(telegram_server):
    """The oracle itself: bad tags, unbalanced tags, long texts, unknown chats, blocked bots."""
    url = f"{telegram_server.url}/bot{telegram_server.token}/sendMessage"
    cases = {
        '<script>alert("x")</script>': (400, "Bad Request: can't parse entities: Unsupported start tag \"script\""),
        "<b>bold": (400, "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""),
        "<b>x</i>": (400, "Bad Request: can't parse entities: Unmatched end tag"),
        "x" * (LIMIT + 1): (400, "Bad Request: message is too long"),
        "<b>" + "é" * LIMIT + "</b>": (200, ""),  # the limit counts text after parsing
        "😀" * (LIMIT // 2 + 1): (400, "Bad Request: message is too long"),  # in UTF-16 code units
    }
    for text, (status, description) in cases.items():
        reply = httpx.post(url, data={"chat_id": "@desk", "text": text, "parse_mode": "HTML"})
        assert reply.status_code == status, (text[:20], reply.text)
        assert reply.json().get("description", "").startswith(description)
    assert httpx.post(url, data={"chat_id": "@nowhere", "text": "x"}).json()["description"] == "Bad Request: chat not found"
    telegram_server.chats[-1001].blocked = True
    assert httpx.post(url, data={"chat_id": "@desk", "text": "x"}).json() == {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}


def test_an_edition_goes_out_in_order_each_message_valid_and_under_the_limit(config, engine, telegram_server):
    config = _telegram_only(config)
    stories = [story(i, f"Histoire numéro {i} " + "très longue " * 20, sentences=3) for i in range(1, 60)]
    edition_id = add_edition(engine, edition_data(stories=stories))
    report = publish_edition(engine, config, edition_id, **FAST)
    messages = telegram_server.sent()
    assert report.complete and report.channels[0].sent == len(messages) > 3
    assert all(utf16_len(m.text) <= LIMIT for m in messages)
    text = "\n\n".join(m.text for m in messages)
    assert [text.index(f"{i}. Histoire numéro {i} ") for i in range(1, 60)] == sorted(text.index(f"{i}. Histoire numéro {i} ") for i in range(1, 60))
    for message in messages[1:]:  # every message starts with a story, never in the middle of one
        assert message.text.split(". Histoire numéro")[0].isdigit()
    first = json.loads(telegram_server.requests[1][1]["link_preview_options"])
    assert first == {"is_disabled": True}  # link previews are off by default
    with session_scope(engine) as session:
        rows = deliveries(session, edition_id, "telegram")
        assert session.get(Edition, edition_id).status == "published"
    assert sorted(int(r.external_id) for r in rows.values()) == [m.message_id for m in messages]
    again = publish_edition(engine, config, edition_id, **FAST)
    assert again.channels[0].sent == 0 and again.channels[0].already == len(messages)
    assert len(telegram_server.sent()) == len(messages)


def test_a_hostile_title_arrives_as_text(config, engine, telegram_server):
    config = _telegram_only(config)
    edition_id = add_edition(engine, edition_data(stories=[story(1, HOSTILE)]))
    publish_edition(engine, config, edition_id, **FAST)
    (message,) = telegram_server.sent()
    assert f"1. {HOSTILE}" in message.text  # shown literally, not interpreted
    assert "&lt;script&gt;alert(\"x\")&lt;/script&gt; &amp; \"q\"" in message.html


def test_flood_control_retry_after_is_honoured(config, engine, telegram_server):
    config = _telegram_only(config)
    edition_id = add_edition(engine, edition_data(stories=[story(1)]))
    telegram_server.retry_after = 1
    telegram_server.fail_next("sendMessage", "429", times=2)
    started = time.monotonic()
    report = publish_edition(engine, config, edition_id, **FAST)
    assert time.monotonic() - started >= 2.0  # twice retry_after
    assert report.complete and len(telegram_server.sent()) == 1
    assert telegram_server.calls.count("sendMessage") == 3


def test_the_rate_governor_keeps_under_the_chat_limit(config, engine, telegram_server):
    config = replace(_telegram_only(config), telegram={"min_interval": 0.15})
    telegram_server.flood_interval = 0.1  # the server refuses two messages closer than this
    stories = [story(i, "x " * 1500, sentences=0) for i in range(1, 6)]  # one story per message
    edition_id = add_edition(engine, edition_data(stories=stories))
    report = publish_edition(engine, config, edition_id, **FAST)
    assert report.complete and len(telegram_server.sent()) >= 5
    assert telegram_server.floods == 0


def test_the_governor_spaces_messages_and_keeps_a_sliding_minute():
    now = [0.0]
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)
        now[0] += seconds

    governor = RateGovernor(1.0, 20, clock=lambda: now[0], sleep=sleep)

    async def send(count: int) -> None:
        for _ in range(count):
            await governor.wait("@desk")

    asyncio.run(send(25))
    assert now[0] == pytest.approx(64.0)  # 20 in the first minute, the 21st a minute after the 1st, then 1 a second
    governor.hold("@desk", 30)
    start = now[0]
    asyncio.run(send(1))
    assert now[0] - start == pytest.approx(30.0)


def test_server_errors_and_dropped_connections_are_retried(config, engine, telegram_server):
    config = _telegram_only(config)
    edition_id = add_edition(engine, edition_data(stories=[story(1)]))
    for kind in ("500", "502", "drop-before"):
        telegram_server.fail_next("sendMessage", kind)
    report = publish_edition(engine, config, edition_id, **FAST)
    assert report.complete and len(telegram_server.sent()) == 1
    assert telegram_server.calls.count("sendMessage") == 4


def test_a_reply_lost_after_delivery_makes_at_most_one_duplicate(config, engine, telegram_server):
    config = _telegram_only(config)
    edition_id = add_edition(engine, edition_data(stories=[story(1)]))
    telegram_server.fail_next("sendMessage", "drop-after")
    report = publish_edition(engine, config, edition_id, **FAST)
    assert report.complete and len(telegram_server.sent()) == 2  # the in-flight message, sent again


@pytest.mark.parametrize("problem, expected", [("unknown chat", "chat not found"), ("blocked", "bot was blocked by the user")])
def test_final_errors_stop_the_channel_and_a_later_run_resumes(config, engine, telegram_server, problem, expected):
    config = _telegram_only(config)
    if problem == "unknown chat":
        config = replace(config, telegram={"chat_id": "@elsewhere"})
    else:
        telegram_server.chats[-1001].blocked = True
    edition_id = add_edition(engine, edition_data())
    report = publish_edition(engine, config, edition_id, **FAST)
    assert not report.complete and expected in report.channels[0].errors[0].lower()
    assert telegram_server.calls.count("sendMessage") == 1  # no retry of a final error
    with session_scope(engine) as session:
        assert session.get(Edition, edition_id).status == "publishing"
        (row,) = deliveries(session, edition_id, "telegram").values()
        assert row.status == "failed" and expected in row.error.lower()
    telegram_server.chats[-1001].blocked = False
    report = publish_edition(engine, replace(config, telegram={"chat_id": "@desk"}), edition_id, **FAST)
    assert report.complete and len(telegram_server.sent()) == 1


def test_a_correction_edits_the_published_message(config, engine, telegram_server):
    config = _telegram_only(config)
    stories = [story(i, f"Histoire {i} " + "longue " * 150) for i in range(1, 9)]
    edition_id = add_edition(engine, edition_data(stories=stories))
    publish_edition(engine, config, edition_id, **FAST)
    before = telegram_server.sent()
    assert len(before) >= 3
    with session_scope(engine) as session:
        edition = session.get(Edition, edition_id)
        data = json.loads(json.dumps(edition.data))
        data["stories"][0]["headline"] = "Histoire 1, corrigée"
        data["stories"] = data["stories"][:3]  # fewer stories: fewer messages
        edition.data = data
    report = publish_edition(engine, config, edition_id, **FAST)
    after = telegram_server.sent()
    assert report.channels[0].sent == 0 and report.channels[0].edited >= 1
    assert "sendMessage" not in telegram_server.calls[len(telegram_server.calls) - report.channels[0].edited - report.channels[0].deleted - 1 :]
    assert [m.message_id for m in after] == [m.message_id for m in before][: len(after)]
    assert "Histoire 1, corrigée" in after[0].text and after[0].edits == 1
    assert report.channels[0].deleted == len(before) - len(after)


def test_a_corrected_part_whose_message_was_deleted_by_hand_is_posted_again(config, engine, telegram_server):
    config = _telegram_only(config)
    edition_id = add_edition(engine, edition_data(stories=[story(1)]))
    publish_edition(engine, config, edition_id, **FAST)
    (message,) = telegram_server.sent()
    message.deleted = True  # an admin removed it from the channel
    with session_scope(engine) as session:
        edition = session.get(Edition, edition_id)
        edition.data = {**edition.data, "stories": [{**edition.data["stories"][0], "headline": "Corrigé"}]}
    report = publish_edition(engine, config, edition_id, **FAST)
    assert report.complete and report.channels[0].sent == 1
    (again,) = telegram_server.sent()
    assert "1. Corrigé" in again.text and again.message_id != message.message_id


def test_link_previews_can_be_turned_on(config, engine, telegram_server):
    config = replace(_telegram_only(config), telegram={"link_previews": True})
    publish_edition(engine, config, add_edition(engine, edition_data(stories=[story(1)])), **FAST)
    (params,) = [p for method, p in telegram_server.requests if method == "sendMessage"]
    assert json.loads(params["link_preview_options"]) == {"is_disabled": False} and params["parse_mode"] == "HTML"

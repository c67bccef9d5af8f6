"""Review before publication, and corrections after it, through the desk and `publish`."""

from __future__ import annotations

from publish_support import add_edition, edition_data, replace, story

from entrelignes.editions import desk
from entrelignes.editions.schedule import publish_approved
from entrelignes.publish import publish_edition, unfinished_editions
from entrelignes.store import session_scope
from entrelignes.store.schema import Edition

FAST = {"telegram_options": {"backoff": 0.01}, "email_options": {"backoff": 0.01}}


def test_with_review_on_an_edition_waits_for_approval(config, engine, telegram_server):
    config = replace(config, editions={"review": True}, email={"smtp_host": ""})
    edition_id = add_edition(engine, edition_data())
    report = publish_edition(engine, config, edition_id, **FAST)
    assert report.held and not report.files and telegram_server.calls == []
    assert "held for review" in report.summary()
    assert not (config.out_path / "atom.xml").exists()
    with session_scope(engine) as session:
        desk.drop(session, edition_id, "5", actor="chief")
        desk.approve(session, edition_id, actor="chief")
    assert unfinished_editions(engine, statuses=("approved",)) == [edition_id]
    publish_approved(engine, config)  # what serve does every minute
    with session_scope(engine) as session:
        assert session.get(Edition, edition_id).status == "published"
    text = "".join(m.text for m in telegram_server.sent())
    assert "4. Crue de la Loire" in text and "5. Crue" not in text  # as approved, after the drop
    assert (config.out_path / "editions" / f"{edition_id}.html").exists()


def test_held_editions_stay_out_of_the_feed_until_published(config, engine):
    config = replace(config, editions={"review": True}, email={"smtp_host": ""}, telegram={"token": ""})
    first = add_edition(engine, edition_data("2026-03-12-morning"))
    add_edition(engine, edition_data("2026-03-12-evening"))  # built, not approved
    with session_scope(engine) as session:
        desk.approve(session, first, actor="chief")
    publish_edition(engine, config, first)
    atom = (config.out_path / "atom.xml").read_text()
    assert "2026-03-12-morning" in atom and "2026-03-12-evening" not in atom


def test_a_correction_at_the_desk_edits_the_telegram_messages(config, engine, telegram_server, smtp_server):
    config = replace(config, email={"smtp_host": ""})
    stories = [story(i, f"Histoire {i} " + "longue " * 150) for i in range(1, 7)]
    edition_id = add_edition(engine, edition_data(stories=stories))
    publish_edition(engine, config, edition_id, **FAST)
    sent = telegram_server.sent()
    with session_scope(engine) as session:
        desk.drop(session, edition_id, "1", actor="chief")  # after publication: a correction
    report = publish_edition(engine, config, edition_id, **FAST)
    telegram = report.channels[0]
    assert telegram.sent == 0 and telegram.edited >= 1
    assert telegram_server.calls.count("sendMessage") == len(sent)  # no new post
    assert all("1. Histoire 1 " not in m.text for m in telegram_server.sent())
    assert "1. Histoire 2 " in telegram_server.sent()[0].text

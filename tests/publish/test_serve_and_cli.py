"""`serve` (schedule, resume at start, web app when present) and the publishing commands."""

from __future__ import annotations

import dataclasses

from publish_support import add_edition, edition_data
from typer.testing import CliRunner

from entrelignes.cli import app
from entrelignes.editions import schedule as schedule_module
from entrelignes.publish.telegram import digest
from entrelignes.store import deliveries as delivery_log
from entrelignes.store import session_scope
from entrelignes.store.schema import Edition, Subscriber


def test_serve_resumes_a_half_published_edition_then_runs_the_schedule(config, engine, telegram_server, smtp_server, monkeypatch):
    edition_id = add_edition(engine, edition_data(), status="publishing")
    with session_scope(engine) as session:  # a crash left part 0 sent and part 1 in flight
        from entrelignes.editions.render import render_telegram

        first = render_telegram(edition_data())[0]
        row = delivery_log.start(session, edition_id, "telegram", 0, "@desk")
        delivery_log.finish(session, row.id, external_id="999", digest=digest(first))
        delivery_log.start(session, edition_id, "telegram", 1, "@desk")
    started = {}

    class Scheduler(schedule_module.BlockingScheduler):
        def start(self, *args, **kwargs):
            started["jobs"] = sorted(job.id for job in self.get_jobs())

    monkeypatch.setattr(schedule_module, "BlockingScheduler", Scheduler)
    monkeypatch.setattr(schedule_module, "web_app", lambda config, engine: None)
    lines: list[str] = []
    schedule_module.serve(engine, config, on_start=lines.append)
    assert started["jobs"] == ["edition-evening", "edition-morning"]
    assert any(line.startswith("resumed Published 2026-03-12-morning") for line in lines), lines
    assert any("web app not installed" in line for line in lines)
    assert len(telegram_server.sent()) == len(render_telegram(edition_data())) - 1  # part 0 was already out
    with session_scope(engine) as session:
        assert session.get(Edition, edition_id).status == "published"


def test_serve_runs_the_web_app_beside_the_schedule(config, engine, monkeypatch):
    import uvicorn

    calls = {}
    monkeypatch.setattr(schedule_module, "web_app", lambda config, engine: "the app")
    monkeypatch.setattr(uvicorn, "run", lambda app, host, port: calls.update(app=app, host=host, port=port))
    schedule_module.serve(engine, config, on_start=lambda line: None)
    assert calls == {"app": "the app", "host": "127.0.0.1", "port": 8080}


def _write_config(config, path) -> None:
    t, e = config.telegram, config.email
    path.write_text(
        f'data_dir = "{config.data_dir}"\nout_dir = "{config.out_dir}"\n'
        f'[telegram]\ntoken = "{t.token}"\nchat_id = "{t.chat_id}"\napi_url = "{t.api_url}"\nmin_interval = 0.0\nper_minute = 0\n'
        f'[email]\nsmtp_host = "{e.smtp_host}"\nsmtp_port = {e.smtp_port}\nsecurity = "none"\nsender = "Desk <editions@desk.example>"\n'
        f'[web]\nbase_url = "https://desk.example"\nsecret_key = "k"\n'
    )


def test_the_commands(config, engine, telegram_server, smtp_server, tmp_path):
    path = tmp_path / "entrelignes.toml"
    _write_config(config, path)
    runner = CliRunner()
    edition_id = add_edition(engine, edition_data())

    result = runner.invoke(app, ["subscribers", "add", "cli@example.org", "--slots", "morning", "-c", str(path)])
    assert result.exit_code == 0 and len(smtp_server.to("cli@example.org")) == 1, result.output
    with session_scope(engine) as session:
        session.query(Subscriber).update({"status": "active", "slots": ["morning"]})

    result = runner.invoke(app, ["edition", "pin", edition_id, "3", "--actor", "chief", "-c", str(path)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["publish", "--edition", edition_id, "-c", str(path)])
    assert result.exit_code == 0, result.output
    assert "Published 2026-03-12-morning" in result.output and "telegram: 1 sent" in result.output and "email: 1 sent" in result.output
    result = runner.invoke(app, ["edition", "log", edition_id, "-c", str(path)])
    assert "chief" in result.output and "pin" in result.output

    result = runner.invoke(app, ["subscribers", "bounce", "cli@example.org", "-c", str(path)])
    assert "1 failure" in result.output
    result = runner.invoke(app, ["subscribers", "list", "-c", str(path)])
    assert "cli@example.org" in result.output

    result = runner.invoke(app, ["edition", "drop", edition_id, "1", "-c", str(path)])
    assert result.exit_code == 0 and "corrects it" in result.output
    result = runner.invoke(app, ["publish", "--edition", edition_id, "-c", str(path)])
    assert result.exit_code == 0 and "1 edited" in result.output, result.output

    result = runner.invoke(app, ["publish", "--edition", "2026-01-01-morning", "-c", str(path)])
    assert result.exit_code == 1


def test_approve_publishes_a_held_edition(config, engine, telegram_server, smtp_server, tmp_path):
    path = tmp_path / "entrelignes.toml"
    _write_config(dataclasses.replace(config), path)
    path.write_text(path.read_text().replace("[telegram]", "[editions]\nreview = true\n[telegram]"))
    edition_id = add_edition(engine, edition_data())
    runner = CliRunner()
    result = runner.invoke(app, ["publish", "--edition", edition_id, "-c", str(path)])
    assert result.exit_code == 0 and "held for review" in result.output and telegram_server.calls == []
    result = runner.invoke(app, ["edition", "approve", edition_id, "-c", str(path)])
    assert result.exit_code == 0 and "Published" in result.output, result.output
    assert len(telegram_server.sent()) == 1


def test_publishing_an_edition_first_finishes_an_earlier_half_sent_one(config, engine, telegram_server, smtp_server):
    from entrelignes import pipeline
    from entrelignes.editions.render import render_telegram
    from entrelignes.publish import unfinished_editions

    config = dataclasses.replace(config, email=dataclasses.replace(config.email, smtp_host=""))
    morning = edition_data("2026-03-12-morning", [dict(s, headline=f"Matin {s['rank']}") for s in edition_data()["stories"]])
    evening = edition_data("2026-03-12-evening", [dict(s, headline=f"Soir {s['rank']}") for s in edition_data()["stories"]])
    add_edition(engine, morning, status="publishing")  # a crash stopped it before anything went out
    add_edition(engine, dict(evening, id="2026-03-11-evening", date="2026-03-11", at="2026-03-11T19:00:00+01:00"), status="publishing")
    add_edition(engine, evening)
    assert unfinished_editions(engine) == ["2026-03-11-evening", "2026-03-12-morning"]  # in the order they were due
    report = pipeline.publish(engine, config, "2026-03-12-evening")
    assert [r.edition_id for r in report.earlier] == ["2026-03-11-evening", "2026-03-12-morning"]
    texts = [m.text for m in telegram_server.sent()]
    assert len(texts) == 3 * len(render_telegram(morning))
    tonight = next(i for i, t in enumerate(texts) if "Evening edition, 2026-03-12" in t)
    assert any("Matin" in t for t in texts[:tonight]) and not any("Matin" in t for t in texts[tonight:])
    assert "Published 2026-03-12-morning" in report.summary() and unfinished_editions(engine) == []

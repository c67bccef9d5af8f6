"""The schedule on the days clocks change in Europe/Paris: each edition once, at its local time.
No waiting: the trigger is asked for its fire times and the job is called at each of them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from entrelignes.config import Config, EditionsConfig
from entrelignes.editions.schedule import SlotTrigger, current_slot, run_slot, schedule
from entrelignes.store import open_store

PARIS = ZoneInfo("Europe/Paris")
UTC = timezone.utc
SPRING = datetime(2026, 3, 29).date()  # 02:00 CET -> 03:00 CEST
AUTUMN = datetime(2026, 10, 25).date()  # 03:00 CEST -> 02:00 CET


def _config(tmp_path, morning: str = "07:00", evening: str = "19:00") -> Config:
    return Config(path=tmp_path / "entrelignes.toml", data_dir=str(tmp_path / "data"), editions=EditionsConfig(morning=morning, evening=evening))


def _simulate(config: Config, start: datetime, end: datetime, engine) -> list:
    """Run the schedule from `start` to `end` as APScheduler would: each job at each fire time."""
    made = []
    for slot in ("morning", "evening"):
        trigger, previous, now = SlotTrigger(config, slot), None, start
        while (fire := trigger.get_next_fire_time(previous, now)) < end:
            made.append((fire, run_slot(engine, config, slot, runner=lambda e, c, target: target, now=fire)))
            previous, now = fire, fire + timedelta(seconds=1)
    return sorted(made, key=lambda item: item[0])


@pytest.mark.parametrize("day", [SPRING, AUTUMN], ids=["spring", "autumn"])
def test_each_edition_comes_out_once_at_its_local_time_around_a_clock_change(tmp_path, day):
    config = _config(tmp_path)
    engine = open_store(config.database_url)
    start = datetime.combine(day - timedelta(days=2), datetime.min.time(), PARIS)
    made = _simulate(config, start, start + timedelta(days=5), engine)
    ids = [target.edition_id for _, target in made]
    assert len(ids) == len(set(ids)) == 10, "one morning and one evening edition a day, never twice"
    for fire, target in made:
        local = fire.astimezone(PARIS)
        assert local.strftime("%H:%M") == ("07:00" if target.slot == "morning" else "19:00")
        assert target.date == local.date() and target.at == fire
    offsets = {target.date: fire.astimezone(UTC).hour for fire, target in made if target.slot == "morning"}
    before, after = (6, 5) if day == SPRING else (5, 6)  # 07:00 in Paris is 06:00 UTC in winter, 05:00 in summer
    assert offsets[day - timedelta(days=1)] == before and offsets[day] == after and offsets[day + timedelta(days=1)] == after


def test_a_slot_inside_the_spring_gap_comes_out_once_just_after_it(tmp_path):
    config = _config(tmp_path, morning="02:30")
    engine = open_store(config.database_url)
    start = datetime.combine(SPRING - timedelta(days=1), datetime.min.time(), PARIS)
    mornings = [(fire, t) for fire, t in _simulate(config, start, start + timedelta(days=3), engine) if t.slot == "morning"]
    assert [t.edition_id for _, t in mornings] == ["2026-03-28-morning", "2026-03-29-morning", "2026-03-30-morning"]
    assert [fire.astimezone(UTC).strftime("%d %H:%M") for fire, _ in mornings] == ["28 01:30", "29 01:30", "30 00:30"]
    assert mornings[1][0].astimezone(PARIS).strftime("%H:%M%z") == "03:30+0200"  # 02:30 does not exist that day


def test_a_slot_in_the_repeated_autumn_hour_comes_out_once(tmp_path):
    config = _config(tmp_path, morning="02:30")
    engine = open_store(config.database_url)
    start = datetime.combine(AUTUMN - timedelta(days=1), datetime.min.time(), PARIS)
    mornings = [(fire, t) for fire, t in _simulate(config, start, start + timedelta(days=3), engine) if t.slot == "morning"]
    assert [t.edition_id for _, t in mornings] == ["2026-10-24-morning", "2026-10-25-morning", "2026-10-26-morning"]
    assert [fire.astimezone(UTC).strftime("%d %H:%M") for fire, _ in mornings] == ["24 00:30", "25 00:30", "26 01:30"]


def test_a_late_job_still_makes_the_edition_of_its_slot(tmp_path):
    config = _config(tmp_path)
    at = datetime(2026, 10, 25, 7, 0, tzinfo=PARIS)
    assert current_slot(config, "morning", at).edition_id == "2026-10-25-morning"
    assert current_slot(config, "morning", at + timedelta(minutes=50)).edition_id == "2026-10-25-morning"
    assert current_slot(config, "morning", at - timedelta(minutes=1)).edition_id == "2026-10-24-morning"
    assert current_slot(config, "evening", at).edition_id == "2026-10-24-evening"


def test_apscheduler_plans_the_jobs_with_this_trigger(tmp_path):
    config = _config(tmp_path)
    scheduler = schedule(BackgroundScheduler(timezone=PARIS), open_store(config.database_url), config)
    scheduler.start(paused=True)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {"edition-morning", "edition-evening"}
        assert jobs["edition-morning"].max_instances == 1 and jobs["edition-morning"].coalesce
        now = datetime.now(PARIS)
        for slot, job in (("morning", jobs["edition-morning"]), ("evening", jobs["edition-evening"])):
            assert job.next_run_time.astimezone(PARIS).strftime("%H:%M") == ("07:00" if slot == "morning" else "19:00")
            assert now < job.next_run_time <= now + timedelta(days=1)
    finally:
        scheduler.shutdown(wait=False)

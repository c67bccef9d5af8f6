"""The schedule: each slot's edition at its local time, every day, in the configured time zone.

APScheduler 3 runs the jobs; the trigger is ours. Its cron trigger mishandles the days clocks
change (on the autumn day it fires twice at a repeated hour, then keeps returning that time),
so `SlotTrigger` asks, for each local date, the same question `build.slot_time` answers:
when is this slot today? A time that does not exist that day (a slot inside the spring gap) is
taken as the instant after the gap (02:30 becomes 03:30 in Paris); a time that happens twice
(autumn) is taken once, at its first occurrence. So an edition comes out once a day, at the
local time it names, and its id (date + slot) is the one `run --slot` would build.

`serve` runs this schedule and, when the web app is installed, the web app beside it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from entrelignes.config import Config
from entrelignes.editions.build import SLOTS, SlotTime, slot_time

log = logging.getLogger(__name__)
APPROVAL_POLL = 60  # seconds between two looks for editions approved by an editor
MISFIRE_GRACE = 3600  # seconds: an edition up to an hour late (the machine slept) still goes out

Runner = Callable[[Engine, Config, SlotTime], Any]


def slot_instant(config: Config, day: date, slot: str) -> datetime:
    """The real instant of a slot on a local date, in the configured zone (gap times moved past the gap)."""
    return slot_time(config, day, slot).at.astimezone(timezone.utc).astimezone(config.tz)


class SlotTrigger(BaseTrigger):
    """Fires once per local day at the slot's configured time."""

    def __init__(self, config: Config, slot: str):
        if slot not in SLOTS:
            raise ValueError(f"unknown slot {slot!r}")
        self.config, self.slot = config, slot

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        day = now.astimezone(self.config.tz).date() - timedelta(days=1)
        for offset in range(4):
            candidate = slot_instant(self.config, day + timedelta(days=offset), self.slot)
            if candidate >= now and (previous_fire_time is None or candidate > previous_fire_time):
                return candidate
        return None

    def __str__(self) -> str:
        return f"slot[{self.slot} at {getattr(self.config.editions, self.slot)} {self.config.timezone}]"

    def __getstate__(self) -> dict[str, Any]:  # only used by persistent job stores, which we do not use
        return {"config": self.config, "slot": self.slot}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.config, self.slot = state["config"], state["slot"]


def current_slot(config: Config, slot: str, now: datetime) -> SlotTime:
    """The latest occurrence of `slot` at or before `now`: the edition a (possibly late) job makes."""
    local_day = now.astimezone(config.tz).date()
    for back in range(3):
        candidate = slot_time(config, local_day - timedelta(days=back), slot)
        if candidate.at <= now:
            return candidate
    raise AssertionError("a slot happens every day")


def run_slot(engine: Engine, config: Config, slot: str, *, runner: Runner | None = None, now: datetime | None = None) -> Any:
    """The scheduled job: finish anything left half-published, then do this slot's edition."""
    from entrelignes.publish import resume_unfinished

    if runner is None:
        from entrelignes.pipeline import run as runner
    target = current_slot(config, slot, now or datetime.now(timezone.utc))
    for report in resume_unfinished(engine, config):
        log.info("resumed: %s", report.summary())
    log.info("edition %s", target.edition_id)
    return runner(engine, config, target)


def schedule(scheduler: BaseScheduler, engine: Engine, config: Config, *, runner: Runner | None = None) -> BaseScheduler:
    """Add one job per slot to `scheduler` (one run at a time, late runs coalesced into one)."""
    for slot in SLOTS:
        scheduler.add_job(
            run_slot, SlotTrigger(config, slot), args=(engine, config, slot), kwargs={"runner": runner},
            id=f"edition-{slot}", name=f"{slot} edition", max_instances=1, coalesce=True,
            misfire_grace_time=MISFIRE_GRACE, replace_existing=True,
        )
    if config.editions.review:  # an edition approved on the web goes out within a minute
        scheduler.add_job(
            publish_approved, IntervalTrigger(seconds=APPROVAL_POLL), args=(engine, config), id="approved-editions",
            name="approved editions", max_instances=1, coalesce=True, replace_existing=True,
        )
    return scheduler


def publish_approved(engine: Engine, config: Config) -> None:
    from entrelignes.publish import resume_unfinished

    for report in resume_unfinished(engine, config, statuses=("approved",)):
        log.info("approved: %s", report.summary())


def upcoming(config: Config, now: datetime, count: int = 4) -> list[tuple[str, datetime]]:
    """The next `count` editions as (slot, local time)."""
    found: list[tuple[str, datetime]] = []
    for slot in SLOTS:
        trigger, previous, moment = SlotTrigger(config, slot), None, now
        for _ in range(count):
            previous = trigger.get_next_fire_time(previous, moment)
            found.append((slot, previous))
            moment = previous
    return sorted(found, key=lambda item: item[1])[:count]


def web_app(config: Config, engine: Engine) -> Any | None:
    """The web app, when its module is installed; None otherwise."""
    try:
        from entrelignes.web.app import create_app
    except ImportError:
        return None
    return create_app(config, engine)


def serve(engine: Engine, config: Config, *, on_start: Callable[[str], None] = print) -> None:
    """Run the schedule (and the web app, if present) until interrupted."""
    from entrelignes.publish import resume_unfinished

    for report in resume_unfinished(engine, config):
        on_start(f"resumed {report.summary()}")
    app = web_app(config, engine)
    now = datetime.now(timezone.utc)
    for slot, at in upcoming(config, now, 2):
        on_start(f"next {slot} edition: {at.isoformat(timespec='minutes')}")
    if app is None:
        on_start("web app not installed: running the schedule only")
        schedule(BlockingScheduler(timezone=config.tz), engine, config).start()
        return
    import uvicorn

    scheduler = schedule(BackgroundScheduler(timezone=config.tz), engine, config)
    scheduler.start()
    try:
        on_start(f"web app on http://{config.web.host}:{config.web.port}")
        uvicorn.run(app, host=config.web.host, port=config.web.port)
    finally:
        scheduler.shutdown(wait=True)

"""Publishing: each channel in its own module, and the delivery log that makes it once per channel.

`publish_edition` is the one entry point: files always, Telegram when a token and a chat are
configured, email when an SMTP host is. Running it again resumes where the previous run
stopped (the delivery log says what went out), and after an editor's correction it converges
every channel on the corrected edition: files rewritten, Telegram messages edited in place
(email that went out cannot be recalled).

An edition goes built -> (approved) -> publishing -> published; with `editions.review = true`
a built edition is held until an editor approves it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from entrelignes.config import Config
from entrelignes.publish.files import write_edition_files
from entrelignes.publish.report import ChannelReport
from entrelignes.store import session_scope
from entrelignes.store.locks import PUBLICATION, exclusive
from entrelignes.store.schema import Edition

VISIBLE = ("publishing", "published")  # statuses of editions the public may see


@dataclass
class PublishReport:
    edition_id: str
    files: dict[str, Path] = field(default_factory=dict)
    channels: list[ChannelReport] = field(default_factory=list)
    held: bool = False  # waiting for approval: nothing was published
    earlier: list[PublishReport] = field(default_factory=list)  # half-sent editions finished first

    @property
    def complete(self) -> bool:
        return not self.held and all(channel.ok for channel in self.channels)

    def summary(self) -> str:
        if self.held:
            return f"{self.edition_id} is held for review: approve it with `entrelignes edition approve {self.edition_id}`."
        parts = [f"files: {self.files['html']}"] + [str(channel) for channel in self.channels]
        before = "".join(f"{report.summary()}\n" for report in self.earlier)
        return before + f"Published {self.edition_id}: " + " · ".join(parts)


def publish_edition(engine: Engine, config: Config, edition_id: str, *, telegram_options: dict[str, Any] | None = None, email_options: dict[str, Any] | None = None) -> PublishReport:
    """Publish (or resume, or correct) one edition on every configured channel."""
    from entrelignes.publish.mail import email_enabled, publish_email
    from entrelignes.publish.telegram import publish_telegram, telegram_enabled

    # one publisher per edition at a time (serve's scheduler, a `publish` by hand, another
    # machine on the same PostgreSQL): the second waits, then finds everything already sent
    with exclusive(engine, PUBLICATION, edition_id):
        with session_scope(engine) as session:
            edition = session.get(Edition, edition_id)
            if edition is None:
                raise LookupError(f"no edition {edition_id!r}: build it first (entrelignes edition build)")
            if config.editions.review and edition.status == "built":
                return PublishReport(edition_id, held=True)
            if edition.status not in VISIBLE:
                edition.status = "publishing"
            data = edition.data
            visible = [e.data for e in session.scalars(select(Edition).where(Edition.status.in_(VISIBLE)))]
        report = PublishReport(edition_id)
        report.files = write_edition_files(config.out_path, data, visible, base_url=config.web.base_url, join_link=config.telegram.join_link)
        if telegram_enabled(config):
            report.channels.append(publish_telegram(engine, config, data, **(telegram_options or {})))
        if email_enabled(config):
            report.channels.append(publish_email(engine, config, data, **(email_options or {})))
        if report.complete:
            with session_scope(engine) as session:
                session.get(Edition, edition_id).status = "published"
    return report


def _unfinished(engine: Engine, statuses: tuple[str, ...], within: timedelta, now: datetime | None) -> list[tuple[datetime, str]]:
    since = (now or datetime.now(timezone.utc)) - within
    with session_scope(engine) as session:
        rows = session.scalars(select(Edition).where(Edition.status.in_(statuses), Edition.built_at >= since))
        return sorted((datetime.fromisoformat(row.data["at"]), row.id) for row in rows)


def unfinished_editions(engine: Engine, *, statuses: tuple[str, ...] = ("publishing", "approved"), within: timedelta = timedelta(days=2), now: datetime | None = None) -> list[str]:
    """Editions approved but not sent, or whose publishing started and did not finish (a crash,
    a channel down), recent enough to be worth finishing; in the order they were due."""
    return [edition_id for _, edition_id in _unfinished(engine, statuses, within, now)]


def resume_unfinished(engine: Engine, config: Config, *, statuses: tuple[str, ...] = ("publishing", "approved"), **options: Any) -> list[PublishReport]:
    """Finish what a crash or an outage left half-published, and send what editors approved
    (`serve` calls it when it starts, before each edition, and every minute for approvals)."""
    return [publish_edition(engine, config, edition_id, **options) for edition_id in unfinished_editions(engine, statuses=statuses)]


def publish_in_order(engine: Engine, config: Config, edition_id: str, **options: Any) -> PublishReport:
    """Publish an edition after finishing any earlier one a crash left half-sent, so a channel
    never shows the evening edition before the end of the morning one (what `run` and
    `publish` do). The earlier editions' reports are in `report.earlier`."""
    with session_scope(engine) as session:
        edition = session.get(Edition, edition_id)
        at = datetime.fromisoformat(edition.data["at"]) if edition is not None else None
    earlier = [other for due, other in _unfinished(engine, ("publishing",), timedelta(days=2), None) if at is not None and due < at]
    reports = [publish_edition(engine, config, other, **options) for other in earlier]
    report = publish_edition(engine, config, edition_id, **options)
    report.earlier = reports
    return report

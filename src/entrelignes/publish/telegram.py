"""The Telegram channel: an edition posted to one chat through the Bot API (python-telegram-bot),
in HTML parse mode, one message per part, in order.

- A rate governor per chat keeps to Telegram's limits (about one message a second per chat,
  twenty a minute in groups); a 429 makes the chat wait its `retry_after`.
- 5xx replies and network errors are retried with exponential backoff; a request that timed out
  may have been delivered, so its retry is the one possible duplicate.
- 4xx replies (chat not found, bot blocked, bad HTML) are final: the part is recorded as
  failed and the channel stops there, so parts never arrive out of order.
- A part already sent whose text changed (an editor's correction) is edited in place with
  editMessageText; parts the corrected edition no longer has are deleted.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import Engine

from entrelignes.config import Config, TelegramConfig
from entrelignes.editions.render import render_telegram
from entrelignes.publish.report import ChannelReport
from entrelignes.store import deliveries, session_scope

CHANNEL = "telegram"
T = TypeVar("T")


class TelegramFailure(Exception):
    """A send that failed for good (final=True: retrying will not help) or for now."""

    def __init__(self, message: str, *, final: bool):
        super().__init__(message)
        self.final = final


def telegram_token(config: TelegramConfig) -> str:
    return config.token or os.environ.get("ENTRELIGNES_TELEGRAM_TOKEN", "")


def telegram_enabled(config: Config) -> bool:
    return bool(telegram_token(config.telegram) and config.telegram.chat_id)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class RateGovernor:
    """Spaces messages to one chat: at least `min_interval` seconds apart, at most `per_minute`
    in any sliding minute, and nothing before a 429's `retry_after` has passed."""

    def __init__(self, min_interval: float, per_minute: int, *, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep):
        self.min_interval, self.per_minute = min_interval, per_minute
        self.clock, self.sleep = clock, sleep
        self._sent: dict[str, deque[float]] = {}
        self._not_before: dict[str, float] = {}

    def delay(self, chat: str) -> float:
        """Seconds to wait before the next message to `chat` may go."""
        now = self.clock()
        sent = self._sent.setdefault(chat, deque())
        while sent and now - sent[0] >= 60:
            sent.popleft()
        wait = self._not_before.get(chat, 0.0) - now
        if sent:
            wait = max(wait, sent[-1] + self.min_interval - now)
        if self.per_minute and len(sent) >= self.per_minute:
            wait = max(wait, sent[-self.per_minute] + 60 - now)
        return max(wait, 0.0)

    async def wait(self, chat: str) -> None:
        while (delay := self.delay(chat)) > 0:
            await self.sleep(delay)
        self._sent.setdefault(chat, deque()).append(self.clock())

    def hold(self, chat: str, seconds: float) -> None:
        self._not_before[chat] = max(self._not_before.get(chat, 0.0), self.clock() + seconds)


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramSender:
    """A bot bound to one API server, with retries and the rate governor."""

    def __init__(self, config: TelegramConfig, *, governor: RateGovernor | None = None, backoff: float = 1.0, max_backoff: float = 60.0):
        from telegram import Bot, LinkPreviewOptions
        from telegram.request import HTTPXRequest

        self.config = config
        self.governor = governor or RateGovernor(config.min_interval, config.per_minute)
        self.backoff, self.max_backoff = backoff, max_backoff
        request = HTTPXRequest(connect_timeout=config.timeout, read_timeout=config.timeout, write_timeout=config.timeout, pool_timeout=config.timeout)
        base = config.api_url.rstrip("/")
        # one HTTP client for everything (the bot never polls for updates)
        self.bot = Bot(telegram_token(config), base_url=f"{base}/bot", base_file_url=f"{base}/file/bot", request=request, get_updates_request=request)
        self.preview = LinkPreviewOptions(is_disabled=not config.link_previews)

    async def __aenter__(self) -> TelegramSender:
        await self._call("getMe", None, self.bot.initialize)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.bot.shutdown()

    async def _call(self, what: str, chat: str | None, operation: Callable[[], Awaitable[T]]) -> T:
        from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError

        attempts = max(1, self.config.retries)
        for attempt in range(1, attempts + 1):
            if chat is not None:
                await self.governor.wait(chat)
            try:
                return await operation()
            except RetryAfter as error:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    seconds = _seconds(error.retry_after)
                if chat is not None:
                    self.governor.hold(chat, seconds)
                else:
                    await asyncio.sleep(seconds)
                problem = f"{what}: flood control, retry after {seconds:g} s"
            except (BadRequest, Forbidden, InvalidToken, ChatMigrated) as error:
                raise TelegramFailure(f"{what}: {error}", final=True) from None
            except NetworkError as error:  # 5xx, timeouts, refused or dropped connections
                problem = f"{what}: {error}"
                if attempt < attempts:
                    delay = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
                    await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            except TelegramError as error:
                raise TelegramFailure(f"{what}: {error}", final=True) from None
        raise TelegramFailure(f"{problem} (gave up after {attempts} attempts)", final=False)

    async def send(self, chat: str, text: str) -> int:
        message = await self._call("sendMessage", chat, lambda: self.bot.send_message(chat, text, parse_mode="HTML", link_preview_options=self.preview))
        return message.message_id

    async def edit(self, chat: str, message_id: int, text: str) -> None:
        try:
            await self._call("editMessageText", chat, lambda: self.bot.edit_message_text(text, chat_id=chat, message_id=message_id, parse_mode="HTML", link_preview_options=self.preview))
        except TelegramFailure as failure:
            if "message is not modified" not in str(failure).lower():
                raise

    async def delete(self, chat: str, message_id: int) -> None:
        try:
            await self._call("deleteMessage", chat, lambda: self.bot.delete_message(chat, message_id))
        except TelegramFailure as failure:
            if "message to delete not found" not in str(failure).lower():
                raise


def publish_telegram(engine: Engine, config: Config, edition: dict[str, Any], **sender_options: Any) -> ChannelReport:
    """Post (or correct) an edition in the configured chat, resuming after the last part sent."""
    return asyncio.run(_publish(engine, config, edition, sender_options))


async def _publish(engine: Engine, config: Config, edition: dict[str, Any], sender_options: dict[str, Any]) -> ChannelReport:
    report = ChannelReport(CHANNEL)
    chat = str(config.telegram.chat_id)
    messages = render_telegram(edition)
    with session_scope(engine) as session:
        done = {part: (row.status, row.digest, row.external_id) for (part, recipient), row in deliveries.deliveries(session, edition["id"], CHANNEL).items() if recipient == chat}
    try:
        async with TelegramSender(config.telegram, **sender_options) as sender:
            for part, text in enumerate(messages):
                status, sent_digest, message_id = done.get(part, ("", "", ""))
                if status == "sent" and sent_digest == digest(text):
                    report.already += 1
                    continue
                if status == "sent":  # a correction: edit the message in place
                    try:
                        await sender.edit(chat, int(message_id), text)
                    except TelegramFailure as failure:
                        if "message to edit not found" not in str(failure).lower():
                            raise
                        status = "gone"  # deleted from the chat by hand: post the part again
                    else:
                        with session_scope(engine) as session:
                            row = deliveries.start(session, edition["id"], CHANNEL, part, chat)
                            deliveries.finish(session, row.id, external_id=message_id, digest=digest(text))
                        report.edited += 1
                        continue
                with session_scope(engine) as session:
                    row_id = deliveries.start(session, edition["id"], CHANNEL, part, chat).id
                try:
                    new_id = await sender.send(chat, text)
                except TelegramFailure as failure:
                    with session_scope(engine) as session:
                        deliveries.fail(session, row_id, str(failure))
                    raise
                with session_scope(engine) as session:
                    deliveries.finish(session, row_id, external_id=str(new_id), digest=digest(text))
                report.sent += 1
            for part in sorted(p for p, (status, _, _) in done.items() if p >= len(messages) and status == "sent"):
                await sender.delete(chat, int(done[part][2]))
                with session_scope(engine) as session:
                    row = deliveries.start(session, edition["id"], CHANNEL, part, chat)
                    deliveries.finish(session, row.id, external_id=done[part][2], status="deleted")
                report.deleted += 1
    except TelegramFailure as failure:
        report.failed += 1
        report.errors.append(str(failure))
    return report

"""Real parts for the publishing tests: a fake Telegram Bot API server and an aiosmtpd SMTP
server, both on loopback, and a store in a temporary folder (helpers in publish_support.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from entrelignes.config import Config, EditionsConfig, EmailConfig, TelegramConfig, WebConfig
from entrelignes.store import open_store

sys.path.insert(0, str(Path(__file__).parent))
from fake_telegram import FakeTelegram  # noqa: E402
from publish_support import Mailbox, free_port  # noqa: E402


@pytest.fixture
def telegram_server():
    server = FakeTelegram().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server():
    mailbox = Mailbox()
    mailbox.port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    yield mailbox
    controller.stop()


@pytest.fixture
def config(tmp_path, telegram_server, smtp_server) -> Config:
    """Both channels on, pointed at the loopback servers, with fast rate limits."""
    return Config(
        path=tmp_path / "entrelignes.toml",
        data_dir=str(tmp_path / "data"),
        out_dir=str(tmp_path / "out"),
        editions=EditionsConfig(),
        telegram=TelegramConfig(token=telegram_server.token, chat_id="@desk", api_url=telegram_server.url, min_interval=0.0, per_minute=0, retries=4, timeout=5.0),
        email=EmailConfig(smtp_host="127.0.0.1", smtp_port=smtp_server.port, security="none", sender="Desk <editions@desk.example>", retries=3, timeout=5.0),
        web=WebConfig(base_url="https://desk.example", secret_key="test-secret"),
    )


@pytest.fixture
def engine(config):
    return open_store(config.database_url)

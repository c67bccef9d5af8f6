"""Helpers for the web tests, kept out of conftest.py so test modules import them by a name no
other test folder uses: the store with hostile content, a live server, an SMTP mailbox."""

from __future__ import annotations

import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from store_fixture import build_store  # noqa: E402

from entrelignes.config import Config, EmailConfig, TelegramConfig, WebConfig  # noqa: E402
from entrelignes.store import open_store, session_scope  # noqa: E402
from entrelignes.store.users import add_user, create_token  # noqa: E402


EDITOR, PASSWORD = "redaction", "un mot de passe solide"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Mailbox:
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def wait(self, count: int = 1, timeout: float = 10.0) -> list[Message]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.messages) >= count, f"expected {count} message(s), got {len(self.messages)}"
        return self.messages


@dataclass
class Desk:
    config: Config
    engine: object
    ids: dict
    token: str
    base_url: str = ""


_TEMPLATE: dict[str, object] = {}


def _template_store() -> tuple[Path, dict, str]:
    """The fixture store built once per session (migrations, rows, an editor, a token);
    every test gets a copy of the file."""
    if not _TEMPLATE:
        import atexit
        import shutil
        import tempfile

        root = Path(tempfile.mkdtemp(prefix="entrelignes-web-template-"))
        atexit.register(shutil.rmtree, root, True)
        engine = open_store(f"sqlite:///{root / 'store.db'}")
        ids = build_store(engine)
        with session_scope(engine) as db:
            user = add_user(db, EDITOR, PASSWORD)
            token = create_token(db, user, "tests")
        with engine.begin() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        _TEMPLATE.update(path=root / "store.db", ids=ids, token=token)
    return _TEMPLATE["path"], _TEMPLATE["ids"], _TEMPLATE["token"]


def make_desk(root: Path, smtp_port: int = 0, web_port: int = 0) -> Desk:
    import shutil

    root.mkdir(parents=True, exist_ok=True)
    base = f"http://127.0.0.1:{web_port or 8080}"
    config = Config(
        data_dir=str(root),
        timezone="Europe/Paris",
        web=WebConfig(base_url=base, secret_key="test-secret-" + "x" * 32),
        email=EmailConfig(smtp_host="127.0.0.1" if smtp_port else "", smtp_port=smtp_port or 25, security="none", sender="desk <desk@127.0.0.1>", timeout=5.0, retries=1),
        telegram=TelegramConfig(join_link="https://t.me/entrelignes_demo"),
    )
    template, ids, token = _template_store()
    shutil.copyfile(template, root / "store.db")
    engine = open_store(f"sqlite:///{root / 'store.db'}")
    return Desk(config, engine, dict(ids), token, base)


class LiveServer:
    def __init__(self, app, port: int) -> None:
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

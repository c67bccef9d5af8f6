"""Fixtures for the web app: a store with hostile content, the app, a live server on loopback,
an SMTP server that keeps what it receives, and Chromium (helpers in web_support.py)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from web_support import CHROMIUM, CHROMIUM_ARGS, Desk, LiveServer, Mailbox, free_port, make_desk  # noqa: E402


@pytest.fixture(scope="session")
def smtp() -> Iterator[tuple[Mailbox, int]]:
    from aiosmtpd.controller import Controller

    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture()
def desk(tmp_path) -> Desk:
    return make_desk(tmp_path / "desk", smtp_port=free_port())


@pytest.fixture()
def client(desk):
    from fastapi.testclient import TestClient

    from entrelignes.web import create_app

    with TestClient(create_app(desk.config, desk.engine), base_url="http://127.0.0.1") as c:
        yield c


def _serve(root: Path, smtp_port: int):
    from entrelignes.web import create_app
    from fake_feeds import transport

    port = free_port()
    desk = make_desk(root, smtp_port=smtp_port, web_port=port)
    app = create_app(desk.config, desk.engine, fetch_transport=transport())
    server = LiveServer(app, port)
    desk.base_url = server.url
    return desk, server


@pytest.fixture(scope="session")
def live(tmp_path_factory, smtp):
    """The app served by uvicorn on loopback, mail going to the test SMTP server (readers)."""
    desk, server = _serve(tmp_path_factory.mktemp("live"), smtp[1])
    with server:
        yield desk


@pytest.fixture(scope="module")
def live_desk(tmp_path_factory, smtp):
    """Another served store, for the editor's changes to stay out of the readers' tests."""
    desk, server = _serve(tmp_path_factory.mktemp("live-desk"), smtp[1])
    with server:
        yield desk


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):  # .ci/run installs it: missing there is a failure, not a skip
            pytest.fail("Chromium not installed in CI (apt-get install chromium)")
        pytest.skip("Chromium not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    """A fresh browser context; any dialog or console error or page error fails the test."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.problems = problems
    yield page
    context.close()
    assert not problems, problems

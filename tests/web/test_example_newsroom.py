"""The example newsroom, run through the real pipeline, read in Chromium: its hostile content
(a script in a title, javascript: links, event-handler attributes in pages) never runs on any
page, and every page answers."""

from __future__ import annotations

import dataclasses
import re
from datetime import date

import pytest
from web_support import LiveServer, free_port, screenshot

from entrelignes import pipeline
from entrelignes.config import WebConfig, load_config
from entrelignes.editions import slot_time
from entrelignes.store import open_store
from entrelignes.web import create_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]
DAY = "2026-03-12"


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory, examples_dir, analyzer):
    base = tmp_path_factory.mktemp("newsroom")
    config = load_config(examples_dir / "entrelignes.toml")
    port = free_port()
    config = dataclasses.replace(
        config, data_dir=str(base / "data"), out_dir=str(base / "out"), database="",
        web=WebConfig(base_url=f"http://127.0.0.1:{port}", secret_key="newsroom-" + "x" * 32),
    )
    engine = open_store(config.database_url)

    def run_both() -> None:
        for slot in ("morning", "evening"):
            pipeline.run(engine, config, slot_time(config, date.fromisoformat(DAY), slot), analyzer=analyzer)

    # in a thread of its own: Playwright's sync API keeps an event loop running on this one
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        pool.submit(run_both).result()
    with LiveServer(create_app(config, engine), port) as server:
        yield server.url


def test_no_page_of_the_example_newsroom_runs_its_hostile_content(page, newsroom):
    page.goto(newsroom + "/")
    assert page.locator("ol.stories > li").count() >= 3
    links = page.eval_on_selector_all("a[href^='/stories/']", "els => [...new Set(els.map(e => e.getAttribute('href')))]")
    outlets = page.eval_on_selector_all("a[href^='/outlets/']", "els => [...new Set(els.map(e => e.getAttribute('href')))]")
    screenshot(page, "newsroom-today")
    for path in links + outlets + ["/editions", "/search?q=musee", "/outlets"]:
        response = page.goto(newsroom + path)
        assert response.status == 200, path
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        assert not [h for h in hrefs if re.match(r"\s*(javascript|data|vbscript):", h, re.I)], path
        assert page.locator("[onerror], [onload], [onclick], iframe, object, embed").count() == 0, path
    page.goto(newsroom + links[0])
    assert page.locator("svg.timeline circle.dot").count() >= 1
    screenshot(page, "newsroom-story")

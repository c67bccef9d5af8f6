"""In real Chromium: a reader opens today's edition and a story, subscribes by email and
unsubscribes; an editor logs in, adds a source, drops a story from the next edition and
approves it. Hostile content from the store never runs: any dialog, console error or page
error fails the test (see the `page` fixture). Screenshots go to tests/artifacts/."""

from __future__ import annotations

import re

import pytest
from web_support import EDITOR, PASSWORD, screenshot
from fake_feeds import SINGLE

from entrelignes.store import session_scope
from entrelignes.store.schema import Edition, Source, Subscriber

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _link(message, path: str) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            text = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
            found = re.search(r"https?://\S*" + re.escape(path) + r"\?token=[\w.\-]+", text)
            if found:
                return found.group(0)
    raise AssertionError(f"no {path} link in the message")


def test_reader_reads_subscribes_and_unsubscribes(page, live, smtp):
    box, _ = smtp
    box.messages.clear()
    page.goto(live.base_url + "/")
    assert page.locator("h1").first.inner_text().startswith("Morning edition")
    assert page.locator("ol.stories > li").count() == 2
    headline = page.locator("#story-1 h2 a")
    assert "<script>" in headline.inner_text()  # shown as text, not run
    assert page.locator(".reason").first.is_visible()
    screenshot(page, "today")

    headline.click()
    page.wait_for_url(re.compile(r"/stories/"))
    timeline = page.locator("svg.timeline")
    assert timeline.is_visible() and timeline.locator("circle.dot").count() == 3
    quotes = page.locator("section.quotes")
    assert quotes.locator(".speaker h3").first.inner_text().startswith("Sophie Binet")
    assert "Nous ne céderons pas" in quotes.inner_text()
    assert page.locator("svg.sourcing").count() == 3
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    assert not [h for h in hrefs if h.lower().lstrip().startswith(("javascript:", "data:"))]
    screenshot(page, "story")
    page.get_by_role("link", name="Show removed boilerplate").click()
    assert page.locator("details.boilerplate").first.is_visible()

    page.goto(live.base_url + "/")
    page.fill("#sub-email", "lectrice@example.org")
    page.get_by_role("button", name="Subscribe").click()
    assert "confirmation link" in page.locator(".message").inner_text()
    confirm = _link(box.wait(1)[0], "/subscribe/confirm")
    assert confirm.startswith(live.base_url)
    page.goto(confirm)
    page.get_by_role("button", name="Confirm").click()
    assert "confirmed" in page.locator(".message").inner_text()
    with session_scope(live.engine) as db:
        subscriber = db.query(Subscriber).filter_by(email="lectrice@example.org").one()
        assert subscriber.status == "active"
        edition = db.get(Edition, live.ids["published"]).data

    from entrelignes.publish.mail import publish_email

    publish_email(live.engine, live.config, edition, backoff=0.01)  # the edition, with its unsubscribe link
    unsubscribe = _link(box.wait(2)[1], "/unsubscribe")
    page.goto(unsubscribe)
    page.get_by_role("button", name="Unsubscribe").click()
    assert "unsubscribed" in page.locator(".message").inner_text()
    with session_scope(live.engine) as db:
        assert db.query(Subscriber).filter_by(email="lectrice@example.org").one().status == "unsubscribed"


def test_reader_pages_screenshots_phone_and_french(page, live):
    for path, name in [("/editions", "archive"), ("/outlets/Radio Ouest", "outlet"), ("/search?q=greve", "search")]:
        page.goto(live.base_url + path)
        assert page.locator("main").is_visible()
        screenshot(page, name)
    page.goto(live.base_url + "/")
    page.get_by_role("link", name="FR").click()
    assert page.locator("h1").first.inner_text().startswith("Édition du matin")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live.base_url + f"/stories/{live.ids['story_a']}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, width  # nothing overflows sideways on a phone
    screenshot(page, "story-phone-fr")


def test_editor_adds_a_source_drops_a_story_and_approves(page, live_desk):
    page.goto(live_desk.base_url + "/desk")
    page.wait_for_url(re.compile(r"/login"))
    page.fill("input[name=username]", EDITOR)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/desk$"))
    assert page.locator(".next-edition li.desk-story").count() == 2
    screenshot(page, "desk")

    page.get_by_role("link", name="Sources").first.click()
    page.fill("input[name=url]", SINGLE)
    page.fill("input[name=name]", "L'Écho local")
    page.locator("#add-source button[type=submit]").click()
    assert "Source added" in page.locator(".flash").inner_text()
    with session_scope(live_desk.engine) as db:
        assert db.query(Source).filter_by(url=SINGLE + "rss.xml", origin="web").count() == 1
    page.fill("input[name=url]", "http://127.0.0.1:1/feed.xml")
    page.locator("#add-source button[type=submit]").click()
    assert "error" in page.locator(".flash").get_attribute("class")
    screenshot(page, "desk-sources")

    page.get_by_role("link", name="Next edition").click()
    second = page.locator("li.desk-story").nth(1)
    dropped = second.locator("strong").inner_text()
    second.get_by_role("button", name="Drop").click()
    assert page.locator("li.desk-story").count() == 1
    assert dropped.split(". ", 1)[1] in page.locator(".audit").inner_text()
    page.get_by_role("button", name="Approve").click()
    assert "approved" in page.locator(".next-edition h2 .badge").inner_text()
    with session_scope(live_desk.engine) as db:
        edition = db.get(Edition, live_desk.ids["next"])
        assert edition.status == "approved" and len(edition.data["stories"]) == 1
    screenshot(page, "desk-approved")
    page.goto(live_desk.base_url + "/desk/deliveries?failed=true")
    assert "550" in page.locator("main").inner_text()

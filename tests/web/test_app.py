"""The web app through its HTTP interface (no browser): escaping, security headers, CSRF,
logging in, rate limits, API tokens, sources over the web, language and time zone."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from web_support import EDITOR, PASSWORD
from fake_feeds import SINGLE, SITE, transport

from entrelignes.store import session_scope
from entrelignes.store.schema import Source
from entrelignes.web import create_app
from entrelignes.web.security import local_redirect, safe_url


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def assert_inert(html: str) -> None:
    """Nothing from a feed became markup: the only script is ours, no event handler, no
    javascript:/data: link."""
    for tag, attrs in tags_of(html):
        if tag == "script":
            assert attrs.get("src") == "/static/app.js", attrs
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, value)
            if name in ("href", "src", "action", "formaction") and value:
                assert not re.match(r"\s*(javascript|data|vbscript):", value, re.I), (tag, name, value)
        assert tag not in ("iframe", "object", "embed", "img", "svg" if False else "base"), tag


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def login(client) -> None:
    page = client.get("/login")
    response = client.post("/login", data={"username": EDITOR, "password": PASSWORD, "csrf": csrf_of(page.text), "next": "/desk"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/desk"


def test_pages_escape_hostile_content_and_send_security_headers(client, desk):
    paths = [
        "/", "/editions", f"/editions/{desk.ids['published']}", f"/stories/{desk.ids['story_a']}",
        f"/stories/{desk.ids['story_a']}?boilerplate=true", f"/stories/{desk.ids['story_b']}", "/outlets",
        "/outlets/Radio Ouest", "/outlets/La Gazette <b>du soir</b>", "/search?q=grève", "/login",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_inert(response.text)
        assert "<script>alert" not in response.text and "onerror=alert" not in response.text.replace("onerror=alert(1)&gt;", "")
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "default-src 'none'" in csp and "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
    story = client.get(f"/stories/{desk.ids['story_a']}").text
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;" in story  # shown as text
    for tag, attrs in tags_of(story):
        if tag == "a" and attrs.get("href", "").startswith("http"):
            assert "noopener" in attrs.get("rel", ""), attrs


def test_today_shows_the_published_edition_not_the_held_one(client, desk):
    html = client.get("/").text
    assert "Morning edition" in html and "Evening edition" not in html
    assert "https://t.me/entrelignes_demo" in html and 'name="email"' in html
    assert client.get(f"/editions/{desk.ids['next']}").status_code == 404
    assert client.get(f"/api/editions/{desk.ids['next']}").status_code == 404
    assert client.get("/api/editions/latest").json()["id"] == desk.ids["published"]


def test_story_page_has_timeline_quotes_sourcing_and_local_times(client, desk):
    html = client.get(f"/stories/{desk.ids['story_a']}").text
    assert '<svg class="timeline"' in html and html.count('class="dot c') == 3
    assert "Sophie Binet" in html and "unnamed source" in html
    assert html.count('<svg class="sourcing"') == 3
    assert "06:00" in html  # 05:00 UTC is 06:00 in Paris in March
    assert "Removed boilerplate" not in html
    assert "Abonnez-vous" in client.get(f"/stories/{desk.ids['story_a']}?boilerplate=true").text
    data = client.get(f"/api/stories/{desk.ids['story_a']}").json()
    assert [a["url"] for a in data["articles"]][0] == "#"  # javascript: neutralised
    assert data["quotes"][0]["speaker"] == "Sophie Binet" and len(data["quotes"][0]["quotes"]) == 2


def test_outlet_page_profile_health_speakers(client):
    data = client.get("/api/outlets/Radio Ouest").json()
    assert data["articles"] == 2 and data["health"][0]["consecutive_failures"] == 3
    assert data["speakers"][0]["speaker"] == "SNCF Voyageurs"
    assert data["profile"][0]["week"] == "2026-W11"
    html = client.get("/outlets/Radio Ouest").text
    assert "HTTP 503 &lt;script&gt;" in html and '<svg class="lines"' in html


def test_search_folds_accents_and_survives_any_input(client, desk):
    data = client.get("/api/search", params={"q": "greve SNCF"}).json()
    assert {a["story_id"] for a in data["articles"]} == {desk.ids["story_a"]}
    for nasty in ['"', "AND OR NOT", "*", "NEAR(", "a:b", "'; DROP TABLE articles; --", "\x00", "^"]:
        assert client.get("/api/search", params={"q": nasty}).status_code == 200
        assert client.get("/search", params={"q": nasty}).status_code == 200


def test_forms_need_their_csrf_token(client):
    assert client.post("/subscribe", data={"email": "a@example.org"}).status_code == 403
    assert client.post("/login", data={"username": EDITOR, "password": PASSWORD}).status_code == 403
    assert client.post("/login", data={"username": EDITOR, "password": PASSWORD, "csrf": "forged"}).status_code == 403


def test_login_desk_logout(client):
    assert client.get("/desk", follow_redirects=False).status_code == 303
    page = client.get("/login")
    bad = client.post("/login", data={"username": EDITOR, "password": "wrong password", "csrf": csrf_of(page.text)})
    assert bad.status_code == 401 and "Wrong username or password" in bad.text
    login(client)
    cookie = client.cookies.get("entrelignes_session")
    desk = client.get("/desk")
    assert desk.status_code == 200 and "Approve" in desk.text and desk.headers["cache-control"] == "no-store"
    assert_inert(desk.text)
    assert client.get("/desk/sources").status_code == 200
    failures = client.get("/desk/deliveries?failed=true").text
    assert "550 &lt;script&gt;" in failures
    assert client.post("/logout", data={"csrf": csrf_of(desk.text)}, follow_redirects=False).status_code == 303
    assert client.get("/desk", follow_redirects=False).status_code == 303
    assert cookie  # the session cookie was signed and HttpOnly
    client.cookies.set("entrelignes_session", cookie[:-3] + "AAA")
    assert client.get("/desk", follow_redirects=False).status_code == 303  # a tampered cookie is no session


def test_session_cookie_flags(client):
    response = client.get("/login")
    header = response.headers["set-cookie"]
    assert "HttpOnly" in header and "SameSite=lax" in header.replace("Lax", "lax")


def test_login_is_rate_limited(client):
    page = client.get("/login")
    token = csrf_of(page.text)
    codes = [client.post("/login", data={"username": EDITOR, "password": "nope nope nope", "csrf": token}).status_code for _ in range(7)]
    assert codes[:5] == [401] * 5 and codes[-1] == 429


def test_subscribe_is_rate_limited(client):
    token = csrf_of(client.get("/").text)
    codes = [client.post("/subscribe", data={"email": f"r{i}@example.org", "csrf": token}).status_code for i in range(7)]
    assert 429 in codes


def test_api_tokens(client, desk):
    assert client.get("/api/desk/sources").status_code == 401
    headers = {"Authorization": f"Bearer {desk.token}"}
    sources = client.get("/api/desk/sources", headers=headers).json()
    assert len(sources) == 3
    assert client.get("/api/desk/sources", headers={"Authorization": "Bearer elt_wrong"}).status_code == 401
    first = sources[0]["id"]
    changed = client.patch(f"/api/desk/sources/{first}", json={"enabled": False, "tags": ["a", "b"]}, headers=headers).json()
    assert changed["enabled"] is False and changed["tags"] == ["a", "b"]
    # a logged-in browser cannot write through the API (no CSRF token there)
    login(client)
    assert client.patch(f"/api/desk/sources/{first}", json={"enabled": True}).status_code == 401
    assert client.get("/api/desk/sources").status_code == 200


@pytest.fixture()
def net_client(desk):
    from fastapi.testclient import TestClient

    with TestClient(create_app(desk.config, desk.engine, fetch_transport=transport()), base_url="http://127.0.0.1") as c:
        yield c


def test_sources_over_the_web_follow_the_safety_rules(net_client, desk):
    login(net_client)
    token = csrf_of(net_client.get("/desk/sources").text)
    for url in ["http://127.0.0.1:8080/feed.xml", "file:///etc/passwd", "http://10.0.0.1/rss", "http://[::1]/rss", "http://169.254.169.254/latest", "gopher://93.184.216.34/"]:
        response = net_client.post("/desk/sources", data={"url": url, "csrf": token})
        assert response.status_code == 200
        assert "flash error" in response.text, url
    with session_scope(desk.engine) as db:
        assert db.query(Source).count() == 3
    # a page announcing two feeds: the editor chooses
    choose = net_client.post("/desk/sources", data={"url": SITE, "csrf": token})
    assert "Several feeds were found" in choose.text and 'value="http://93.184.216.34/sport.xml"' in choose.text
    # a page announcing one feed: added at once, as an untrusted web source
    added = net_client.post("/desk/sources", data={"url": SINGLE, "csrf": token, "tags": "local, test"})
    assert "Source added" in added.text
    assert_inert(added.text)
    with session_scope(desk.engine) as db:
        source = db.query(Source).filter_by(url=SINGLE + "rss.xml").one()
        assert source.origin == "web" and source.tags == ["local", "test"]
    api = net_client.post("/api/desk/sources", json={"url": "http://192.168.1.1/rss"}, headers={"Authorization": f"Bearer {desk.token}"})
    assert api.status_code == 422


def test_opml_export_and_import(net_client, desk):
    login(net_client)
    opml = net_client.get("/desk/sources.opml")
    assert opml.status_code == 200 and "xmlUrl" in opml.text
    token = csrf_of(net_client.get("/desk/sources").text)
    document = """<?xml version="1.0"?><opml version="2.0"><body><outline text="Actu">
      <outline type="rss" text="Public" xmlUrl="http://93.184.216.40/rss.xml"/>
      <outline type="rss" text="Private" xmlUrl="http://192.168.0.10/rss.xml"/>
      <outline type="rss" text="File" xmlUrl="file:///etc/passwd"/></outline></body></opml>"""
    response = net_client.post("/desk/sources-import", data={"csrf": token}, files={"file": ("s.opml", document, "text/xml")})
    assert "Sources imported: 1" in response.text and "refused" in response.text
    with session_scope(desk.engine) as db:
        urls = {s.url for s in db.query(Source)}
    assert "http://93.184.216.40/rss.xml" in urls and "http://192.168.0.10/rss.xml" not in urls


def test_language_from_accept_language_and_switch(client):
    assert "Connexion" in client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}).text
    assert "Today" in client.get("/", headers={"Accept-Language": "de, en;q=0.3"}).text
    response = client.get("/lang/fr?next=/editions", follow_redirects=False)
    assert response.headers["location"] == "/editions"
    assert "Archives" in client.get("/editions", headers={"Accept-Language": "en"}).text  # the switch wins
    assert client.get("/lang/en?next=//evil.example.org", follow_redirects=False).headers["location"] == "/"


def test_atom_feed(client, desk):
    response = client.get("/atom.xml")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/atom+xml")
    assert desk.ids["published"] in response.text and desk.ids["next"] not in response.text


def test_unknown_pages_and_ids(client):
    assert client.get("/stories/nope").status_code == 404
    assert client.get("/api/stories/nope").status_code == 404
    assert client.get("/outlets/nobody").status_code == 404
    assert client.get("/editions/" + "x" * 500).status_code == 404


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://example.org/a?b=1", "https://example.org/a?b=1"),
        ("javascript:alert(1)", "#"),
        (" JaVaScRiPt:alert(1)", "#"),
        ("java\tscript:alert(1)", "#"),
        ("data:text/html,x", "#"),
        ("//evil.example.org", "#"),
        ("vbscript:x", "#"),
        ("", "#"),
    ],
)
def test_safe_url(url, expected):
    assert safe_url(url) == expected


def test_local_redirect():
    assert local_redirect("/desk") == "/desk"
    for bad in ("//evil.org", "https://evil.org", "/\\evil.org", "desk", "/\nx"):
        assert local_redirect(bad) == "/"


def test_desk_edits_the_next_edition_with_an_audit_log(client, desk):
    login(client)
    html = client.get("/desk").text
    token = csrf_of(html)
    assert "2026-03-12-evening" in html or "Evening" in html or "evening" in html
    url = f"/desk/editions/{desk.ids['next']}"
    client.post(f"{url}/pin", data={"csrf": token, "story": desk.ids["story_b"]})
    stories = client.get("/api/desk/edition", headers={"Authorization": f"Bearer {desk.token}"}).json()["stories"]
    assert stories[0]["story_id"] == desk.ids["story_b"] and stories[0]["pinned"]
    client.post(f"{url}/split", data={"csrf": token, "story": desk.ids["story_a"], "articles": ["a3" * 12]})
    stories = client.get("/api/desk/edition", headers={"Authorization": f"Bearer {desk.token}"}).json()["stories"]
    assert len(stories) == 3
    client.post(f"{url}/merge", data={"csrf": token, "story": desk.ids["story_a"], "other": stories[2]["story_id"]})
    client.post(f"{url}/drop", data={"csrf": token, "story": desk.ids["story_b"]})
    response = client.post(f"{url}/approve", data={"csrf": token})
    assert "Done." in response.text and "Audit log" in response.text
    edition = client.get(f"/api/editions/{desk.ids['next']}").json()  # approved: readers see it
    assert [s["story_id"] for s in edition["stories"]] == [desk.ids["story_a"]] and len(edition["stories"][0]["articles"]) == 3
    assert edition["status"] == "approved"
    bad = client.post(f"{url}/drop", data={"csrf": token, "story": "99"})
    assert "flash error" in bad.text
    # the same through the API, with a token
    api = client.post(f"/api/desk/editions/{desk.ids['next']}/drop", json={"story": "42"}, headers={"Authorization": f"Bearer {desk.token}"})
    assert api.status_code == 422


def test_api_opml_and_audit(net_client, desk):
    headers = {"Authorization": f"Bearer {desk.token}"}
    assert "xmlUrl" in net_client.get("/api/desk/sources.opml", headers=headers).text
    document = '<opml version="2.0"><body><outline type="rss" text="P" xmlUrl="http://93.184.216.41/rss.xml"/><outline type="rss" text="L" xmlUrl="http://127.0.0.1/rss.xml"/></body></opml>'
    result = net_client.post("/api/desk/sources.opml", content=document, headers={**headers, "Content-Type": "text/x-opml"}).json()
    assert result["added"] == ["http://93.184.216.41/rss.xml"] and result["refused"][0]["url"] == "http://127.0.0.1/rss.xml"
    assert net_client.post("/api/desk/sources.opml", content="<nope", headers=headers).status_code == 422
    net_client.post(f"/api/desk/editions/{desk.ids['next']}/drop", json={"story": "2"}, headers=headers)
    log = net_client.get("/api/desk/audit", params={"edition": desk.ids["next"]}, headers=headers).json()
    assert log[0]["action"] == "drop" and log[0]["actor"] == "redaction"


def test_opml_text_is_never_taken_for_a_path(net_client, desk, tmp_path):
    trap = tmp_path / "server.opml"
    trap.write_text('<opml version="2.0"><body><outline type="rss" text="x" xmlUrl="http://93.184.216.42/rss.xml"/></body></opml>')
    headers = {"Authorization": f"Bearer {desk.token}"}
    for body in (str(trap), "/etc/passwd", "x" * 3000):
        assert net_client.post("/api/desk/sources.opml", content=body, headers=headers).status_code == 422


def test_head_requests(client, desk):
    assert client.head("/").status_code == 200
    assert client.head(f"/stories/{desk.ids['story_a']}").status_code == 200


def test_archive_by_day(client, desk):
    html = client.get("/editions").text
    assert "Thursday 12 March 2026" in html and f"/editions/{desk.ids['published']}" in html
    assert f"/editions/{desk.ids['published']}" in client.get("/editions?date=2026-03-12").text
    assert "No result." in client.get("/editions?date=2026-03-13").text
    assert client.get("/editions?date=yesterday").status_code == 422
    assert client.get("/api/editions", params={"date": "2026-03-12"}).json()["total"] == 1


def test_atom_links_lead_to_edition_pages(client, desk):
    import re as _re

    atom = client.get("/atom.xml").text
    links = _re.findall(r'rel="alternate" type="text/html" href="http://[^/"]+(/editions/[^"]+)"', atom)
    assert links and all(client.get(link).status_code == 200 for link in links)
    assert "tag:" in atom  # the same entry ids as the files channel's feed


def test_subscription_api_and_bad_links(client, desk):
    accepted = client.post("/api/subscriptions", json={"email": "lecteur@example.org", "slots": "morning"})
    assert accepted.status_code == 202  # the same answer whether the confirmation could be sent or not
    assert client.post("/api/subscriptions", json={"email": "not an address"}).status_code == 422
    assert client.post("/api/subscriptions", json={"email": "a@example.org", "slots": "noon"}).status_code == 422
    token = csrf_of(client.get("/subscribe/confirm?token=forged").text)
    bad = client.post("/subscribe/confirm", data={"token": "forged", "csrf": token})
    assert bad.status_code == 400 and "invalid or has expired" in bad.text
    bad = client.post("/unsubscribe", data={"token": "forged", "csrf": token})
    assert bad.status_code == 400


def test_a_new_password_ends_every_session(client, desk):
    from entrelignes.store.users import add_user

    login(client)
    assert client.get("/desk", follow_redirects=False).status_code == 200
    with session_scope(desk.engine) as db:
        add_user(db, EDITOR, "un tout autre mot de passe", replace=True)
    assert client.get("/desk", follow_redirects=False).status_code == 303

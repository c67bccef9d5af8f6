"""Schemathesis against the app's OpenAPI description: whatever it generates (a bounded number
of examples per operation), the app never answers with a server error. Run anonymously and
with an editor's token, so the desk's endpoints are explored past their 401."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from entrelignes.web import create_app

MAX_EXAMPLES = 25


def _desk():
    """Built at import: schemathesis collects one test per operation from the live schema."""
    import atexit
    import shutil
    import tempfile
    from pathlib import Path

    from web_support import make_desk
    from fake_feeds import transport

    root = Path(tempfile.mkdtemp(prefix="entrelignes-openapi-"))
    atexit.register(shutil.rmtree, root, True)
    desk = make_desk(root / "desk")
    desk.app = create_app(desk.config, desk.engine, fetch_transport=transport())
    return desk


DESK = _desk()
schema = schemathesis.openapi.from_asgi("/api/openapi.json", DESK.app)


@pytest.fixture(scope="module")
def fuzz_desk():
    return DESK


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_anonymous(case):
    case.call_and_validate(checks=[not_a_server_error])


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_as_editor(case, fuzz_desk):
    case.call_and_validate(checks=[not_a_server_error], headers={"Authorization": f"Bearer {fuzz_desk.token}"})


def test_openapi_describes_every_api_route(fuzz_desk):
    from fastapi.testclient import TestClient

    spec = TestClient(fuzz_desk.app).get("/api/openapi.json").json()
    paths = set(spec["paths"])
    for expected in ("/api/editions", "/api/editions/latest", "/api/stories/{story_id}", "/api/outlets/{name}", "/api/search", "/api/subscriptions", "/api/desk/sources", "/api/desk/edition", "/api/desk/deliveries"):
        assert expected in paths
    assert not [p for p in paths if not p.startswith("/api/")]  # the HTML pages are not API

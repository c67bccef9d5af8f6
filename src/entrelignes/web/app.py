"""The application: shared plumbing (sessions, language, security headers, templates, errors)
and `create_app`, which mounts the reader pages, the desk and the JSON API."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from entrelignes.config import Config
from entrelignes.store import session_scope
from entrelignes.store.search import ensure_search_index
from entrelignes.web import charts, i18n
from entrelignes.web.security import (
    LANG_COOKIE,
    SECURITY_HEADERS,
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    RateLimiter,
    Sessions,
    csrf_matches,
    new_csrf_token,
    password_fingerprint,
    safe_url,
    secret_key,
)

HERE = Path(__file__).parent
log = logging.getLogger(__name__)


@dataclass
class Limits:
    """Rate limits, per client address (and per account name for login, per address for subscribe)."""

    login_ip: RateLimiter = field(default_factory=lambda: RateLimiter(10, 60))
    login_user: RateLimiter = field(default_factory=lambda: RateLimiter(5, 300))
    subscribe_ip: RateLimiter = field(default_factory=lambda: RateLimiter(5, 600))
    subscribe_email: RateLimiter = field(default_factory=lambda: RateLimiter(3, 3600))


@dataclass
class Web:
    """Everything a request handler needs, stored on `app.state.web`."""

    config: Config
    engine: Engine
    sessions: Sessions
    templates: Environment
    limits: Limits
    secure_cookies: bool
    secret: str
    fetch_transport: Any = None  # tests hand the fetcher a mock transport

    def session(self):
        return session_scope(self.engine)


def _templates(config: Config) -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html", "xml", "svg"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    tz = config.tz
    env.filters["safe_url"] = safe_url
    env.filters["hhmm"] = lambda value: i18n.format_time(value, tz)
    env.globals["charts"] = charts
    env.globals["edition_title"] = config.editions.title
    env.globals["join_link"] = safe_url(config.telegram.join_link) if config.telegram.join_link else ""
    env.globals["email_enabled"] = bool(config.email.smtp_host)
    env.globals["timezone"] = config.timezone
    env.globals["tz"] = tz
    env.globals["timeline_points"] = _timeline_points
    env.globals["profile_series"] = lambda outlet: [(row["week"], row) for row in outlet.get("profile", [])]
    return env


def _timeline_points(story: dict[str, Any]) -> list[charts.Point]:
    points = []
    for article in story.get("articles", []):
        moment = i18n.as_datetime(article.get("published"))
        if moment is not None:
            points.append(charts.Point(article["outlet"], moment, article.get("title", ""), f"a-{article['id']}"))
    return points


def create_app(config: Config, engine: Engine, *, fetch_transport: Any = None) -> FastAPI:
    """The web app over `engine`'s store. `fetch_transport` (an httpx transport) replaces the
    network for feed discovery, in tests."""
    ensure_search_index(engine)
    secret = secret_key(config)
    web = Web(
        config=config,
        engine=engine,
        sessions=Sessions(secret),
        templates=_templates(config),
        limits=Limits(),
        secure_cookies=config.web.base_url.lower().startswith("https://"),
        secret=secret,
        fetch_transport=fetch_transport,
    )
    app = FastAPI(
        title="entrelignes",
        version="0.1.0",
        description="A self-hosted news desk: editions, stories, outlets, search, and the desk (editors, with an API token).",
        docs_url=None,  # the interactive docs load scripts from a CDN: the OpenAPI description is enough
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.web = web

    app.add_middleware(Plumbing, web=web)
    try:  # load the story helpers now, not on the first reader's request
        import entrelignes.stories  # noqa: F401
    except ImportError:  # pragma: no cover
        pass

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException):
        if error.status_code in (301, 302, 303, 307, 308) and error.headers and "Location" in error.headers:
            return RedirectResponse(error.headers["Location"], status_code=error.status_code)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=getattr(error, "headers", None))
        message = {404: "Page not found.", 429: "Too many attempts: wait a little and try again.", 403: "The form expired: please try again."}.get(error.status_code, str(error.detail))
        return render(request, "message.html", status_code=error.status_code, message=message, headers=getattr(error, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": _plain_errors(error)}, status_code=422)
        return render(request, "message.html", status_code=422, message=str(_plain_errors(error)[0].get("msg", "invalid request")) if _plain_errors(error) else "invalid request")

    from entrelignes.web import api, desk, pages

    app.include_router(pages.router)
    app.include_router(desk.router)
    app.include_router(api.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    return app


class Plumbing:
    """Pure ASGI middleware: loads the signed session and the reader's language into the
    request state, then adds the security headers and, when the session changed, its cookie."""

    def __init__(self, app, web: Web) -> None:
        self.app, self.web = app, web

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from starlette.datastructures import MutableHeaders
        from starlette.requests import HTTPConnection

        import time

        started = time.perf_counter()
        web = self.web
        connection = HTTPConnection(scope)
        session = web.sessions.load(connection.cookies.get(SESSION_COOKIE))
        state = scope.setdefault("state", {})
        state["session"], state["session_before"] = session, dict(session)
        state["lang"] = i18n.pick_language(connection.cookies.get(LANG_COOKIE), connection.headers.get("accept-language"))
        path = scope.get("path", "")

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if state["session"] != state["session_before"]:
                    from http.cookies import SimpleCookie

                    cookie = SimpleCookie()
                    cookie[SESSION_COOKIE] = web.sessions.dump(state["session"])
                    morsel = cookie[SESSION_COOKIE]
                    morsel["max-age"], morsel["path"], morsel["httponly"], morsel["samesite"] = SESSION_MAX_AGE, "/", True, "lax"
                    if web.secure_cookies:
                        morsel["secure"] = True
                    headers.append("set-cookie", morsel.OutputString())
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
                if path.startswith(("/desk", "/login", "/api/desk")):
                    headers["Cache-Control"] = "no-store"
                if "vary" not in headers:
                    headers["Vary"] = "Accept-Language, Cookie"
                headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
            await send(message)

        if scope.get("method") == "HEAD":  # answered as GET; the server drops the body
            scope = {**scope, "method": "GET"}
        await self.app(scope, receive, send_with_headers)


def _plain_errors(error: RequestValidationError) -> list[dict[str, Any]]:
    """Validation errors without the offending input echoed back (it may be hostile or huge)."""
    return [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))} for e in error.errors()]


# -- helpers the route modules share -------------------------------------------------------


def web_of(request: Request) -> Web:
    return request.app.state.web


def csrf_token(request: Request) -> str:
    session = request.state.session
    if not session.get("csrf"):
        session["csrf"] = new_csrf_token()
    return session["csrf"]


def check_csrf(request: Request, given: str | None) -> None:
    if not csrf_matches(request.state.session.get("csrf"), given):
        raise HTTPException(403, "The form expired: please try again.")


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def current_user(request: Request):
    """The logged-in editor, or None. The session names the user and a fingerprint of their
    password hash: a changed password or a disabled account ends every session."""
    if hasattr(request.state, "user"):
        return request.state.user
    user = None
    session = request.state.session
    if isinstance(session.get("uid"), int):
        from entrelignes.store.users import get_user

        with web_of(request).session() as db:
            found = get_user(db, session["uid"])
            if found is not None and session.get("pw") == password_fingerprint(found.password_hash):
                user = {"id": found.id, "username": found.username}
        if user is None:
            session.pop("uid", None)
            session.pop("pw", None)
    request.state.user = user
    return user


def render(request: Request, template: str, *, status_code: int = 200, headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    web = web_of(request)
    lang = request.state.lang
    tz = web.config.tz

    def _(message: str, **values: Any) -> str:
        return i18n.translate(lang, message, **values)

    page = web.templates.get_template(template).render(
        request=request,
        lang=lang,
        _=_,
        csrf=csrf_token(request),
        user=current_user(request),
        path=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        fmt_date=lambda value: i18n.format_date(value, lang, tz),
        fmt_datetime=lambda value: i18n.format_datetime(value, lang, tz),
        sourcing_labels={k: _(v) for k, v in _sourcing_labels().items()},
        **context,
    )
    return HTMLResponse(page, status_code=status_code, headers=headers)


def _sourcing_labels() -> dict[str, str]:
    from entrelignes.web.views import SOURCING_LABELS

    return SOURCING_LABELS


def redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)

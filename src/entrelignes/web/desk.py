"""The desk, for editors: log in and out, sources (add with feed discovery, edit, disable,
remove, OPML import and export), the next edition (pin, drop, merge, split, approve), and
deliveries with their failures. Every form carries a CSRF token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import Response

from entrelignes.store import browse
from entrelignes.web import views
from entrelignes.web.actions import ACTIONS, ActionError, audit, run_action
from entrelignes.web.app import check_csrf, client_address, current_user, redirect, render, web_of
from entrelignes.web.security import local_redirect, password_fingerprint
from entrelignes.web.sources import add_from_web, discover, import_opml_upload, parse_tags, update_source

router = APIRouter(include_in_schema=False)
Field = Annotated[str, Form(max_length=2000)]
Csrf = Annotated[str, Form(max_length=200)]
OPML_MAX_BYTES = 5_000_000


def _editor(request: Request) -> dict:
    user = current_user(request)
    if user is None:
        raise HTTPException(303, headers={"Location": f"/login?next={request.url.path}"})
    return user


def _flash(request: Request, message: str, kind: str = "ok", detail: str = "") -> None:
    """A message for the next page: `message` is translated there, `detail` shown as is."""
    request.state.session["flash"] = [kind, message[:200], detail[:400]]


def _take_flash(request: Request):
    return request.state.session.pop("flash", None)


# -- logging in ----------------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request, next: Annotated[str, Query(max_length=2000)] = "/desk"):
    return render(request, "login.html", next=local_redirect(next, "/desk"), error="")


@router.post("/login")
def login(request: Request, username: Annotated[str, Form(max_length=100)] = "", password: Annotated[str, Form(max_length=1000)] = "", next: Field = "/desk", csrf: Csrf = ""):
    check_csrf(request, csrf)
    web = web_of(request)
    wait = web.limits.login_ip.hit(client_address(request)) or web.limits.login_user.hit(username.strip().lower())
    if wait:
        raise HTTPException(429, headers={"Retry-After": str(int(wait) + 1)})
    from entrelignes.store.users import authenticate

    with web.session() as db:
        user = authenticate(db, username.strip(), password)
        identity = (user.id, password_fingerprint(user.password_hash)) if user else None
    if identity is None:
        return render(request, "login.html", next=local_redirect(next, "/desk"), error="Wrong username or password.", status_code=401)
    session = request.state.session
    session.clear()  # a fresh session (and CSRF token) on login: no fixation
    from entrelignes.web.security import new_csrf_token

    session.update({"uid": identity[0], "pw": identity[1], "csrf": new_csrf_token()})
    return redirect(local_redirect(next, "/desk"))


@router.post("/logout")
def logout(request: Request, csrf: Csrf = ""):
    check_csrf(request, csrf)
    request.state.session.clear()
    return redirect("/")


# -- overview ------------------------------------------------------------------------------


@router.get("/desk")
def desk_home(request: Request):
    user = _editor(request)
    web = web_of(request)
    with web.session() as db:
        row = browse.next_edition(db)
        edition = views.edition_full(row) if row else None
        failed = browse.deliveries(db, limit=10, failed_only=True)
        failures = [_delivery(d) for d in failed]
        sources = [views.source_health(s) for s in _sources(db)[:8]]
        log = audit(db, row.id) if row else []
    return render(request, "desk/home.html", me=user, edition=edition, failures=failures, sources=sources, flash=_take_flash(request), actions=ACTIONS, log=log)


def _sources(db):
    from entrelignes.store.sources import list_sources

    return list_sources(db)


def _delivery(d) -> dict:
    return {
        "id": d.id, "edition_id": d.edition_id, "channel": d.channel, "part": d.part, "recipient": d.recipient,
        "status": d.status, "attempts": d.attempts, "error": d.error or "", "updated_at": d.updated_at.isoformat() if d.updated_at else None,
    }


# -- sources -------------------------------------------------------------------------------


@router.get("/desk/sources")
def sources_page(request: Request):
    user = _editor(request)
    with web_of(request).session() as db:
        sources = [views.source_health(s) for s in _sources(db)]
    return render(request, "desk/sources.html", me=user, sources=sources, flash=_take_flash(request), choices=None, form={})


@router.post("/desk/sources")
def add_source(request: Request, url: Field = "", name: Annotated[str, Form(max_length=300)] = "", language: Annotated[str, Form(max_length=16)] = "", tags: Field = "", csrf: Csrf = ""):
    user = _editor(request)
    check_csrf(request, csrf)
    web = web_of(request)
    found = discover(web.config, url, web.fetch_transport)
    form = {"url": url, "name": name, "language": language, "tags": tags}
    if found.error:
        _flash(request, "This address cannot be followed", "error", f"{url}: {found.error}")
        return redirect("/desk/sources")
    if not found.feed_url:
        with web.session() as db:
            sources = [views.source_health(s) for s in _sources(db)]
        return render(request, "desk/sources.html", me=user, sources=sources, flash=["ok", "Several feeds were found: choose one.", ""], choices=found.choices, form=form)
    from entrelignes.ingest.safety import UnsafeURL

    try:
        with web.session() as db:
            source = add_from_web(db, url=found.feed_url, name=name.strip() or found.title or found.feed_url, language=language.strip(), tags=parse_tags(tags), site_url=found.site_url)
            label = source.name
    except (UnsafeURL, ValueError) as error:
        _flash(request, "This address cannot be followed", "error", f"{url}: {error}")
        return redirect("/desk/sources")
    _flash(request, "Source added", detail=f"{label} ({found.feed_url})")
    return redirect("/desk/sources")


@router.post("/desk/sources/{source_id}")
def edit_source(
    request: Request,
    source_id: int,
    name: Annotated[str, Form(max_length=300)] = "",
    language: Annotated[str, Form(max_length=16)] = "",
    tags: Field = "",
    poll_interval: Annotated[int, Form(ge=60, le=7 * 24 * 3600)] = 900,
    fetch_full_page: Annotated[bool, Form()] = False,
    selector: Annotated[str, Form(max_length=500)] = "",
    csrf: Csrf = "",
):
    _editor(request)
    check_csrf(request, csrf)
    with web_of(request).session() as db:
        source = update_source(db, source_id, name=name.strip() or None, language=language.strip(), tags=parse_tags(tags), poll_interval=poll_interval, fetch_full_page=fetch_full_page, selector=selector.strip())
        if source is None:
            raise HTTPException(404)
        _flash(request, "Source saved", detail=source.name)
    return redirect("/desk/sources")


@router.post("/desk/sources/{source_id}/toggle")
def toggle_source(request: Request, source_id: int, csrf: Csrf = ""):
    _editor(request)
    check_csrf(request, csrf)
    from entrelignes.store.schema import Source

    with web_of(request).session() as db:
        source = db.get(Source, source_id)
        if source is None:
            raise HTTPException(404)
        update_source(db, source_id, enabled=not source.enabled)
        _flash(request, "enabled" if source.enabled else "disabled", detail=source.name)
    return redirect("/desk/sources")


@router.post("/desk/sources/{source_id}/remove")
def remove_source(request: Request, source_id: int, csrf: Csrf = ""):
    _editor(request)
    check_csrf(request, csrf)
    from entrelignes.store.sources import remove_source as remove

    with web_of(request).session() as db:
        if not remove(db, source_id):
            raise HTTPException(404)
    _flash(request, "Done.")
    return redirect("/desk/sources")


@router.post("/desk/sources-import")
async def import_sources(request: Request, file: Annotated[UploadFile, File()], csrf: Csrf = ""):
    _editor(request)
    check_csrf(request, csrf)
    raw = await file.read(OPML_MAX_BYTES + 1)
    if len(raw) > OPML_MAX_BYTES:
        _flash(request, "OPML file too large", "error")
        return redirect("/desk/sources")
    from entrelignes.ingest.opml import OPMLError

    try:
        added, refused = await import_opml_upload(web_of(request), raw)
    except OPMLError as error:
        _flash(request, "Import OPML", "error", str(error))
        return redirect("/desk/sources")
    detail = str(len(added))
    if refused:
        detail += "; refused: " + "; ".join(f"{u} ({r})" for u, r in refused[:5])
    _flash(request, "Sources imported", "error" if refused else "ok", detail)
    return redirect("/desk/sources")


@router.get("/desk/sources.opml")
def export_sources(request: Request):
    _editor(request)
    from entrelignes.ingest.opml import export_opml

    with web_of(request).session() as db:
        body = export_opml(_sources(db), title=f"{web_of(request).config.editions.title} sources")
    return Response(body, media_type="text/x-opml; charset=utf-8", headers={"Content-Disposition": 'attachment; filename="sources.opml"'})


# -- the next edition ----------------------------------------------------------------------


@router.post("/desk/editions/{edition_id}/{action}")
def edition_action(
    request: Request,
    edition_id: str,
    action: str,
    story: Annotated[str, Form(max_length=100)] = "",
    other: Annotated[str, Form(max_length=100)] = "",
    articles: Annotated[list[str], Form(max_length=500)] = [],
    csrf: Csrf = "",
):
    user = _editor(request)
    check_csrf(request, csrf)
    web = web_of(request)
    try:
        with web.session() as db:
            run_action(db, action, edition_id[:64], actor=user["username"], story=story, other=other, articles=[a[:64] for a in articles])
    except ActionError as error:
        _flash(request, "This action cannot be done", "error", str(error))
    else:
        _flash(request, "Done.")
    return redirect("/desk")


# -- deliveries ----------------------------------------------------------------------------


@router.get("/desk/deliveries")
def deliveries_page(request: Request, failed: bool = False):
    user = _editor(request)
    with web_of(request).session() as db:
        items = [_delivery(d) for d in browse.deliveries(db, limit=200, failed_only=failed)]
        counts = browse.delivery_counts(db)
    return render(request, "desk/deliveries.html", me=user, deliveries=items, counts=counts, failed=failed)

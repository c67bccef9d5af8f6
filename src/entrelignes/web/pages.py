"""The reader's pages: today's edition, the archive and search, a story, an outlet, the Atom
feed, the language switch, and the email subscription flow."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import Response

from entrelignes.store import browse
from entrelignes.web import views
from entrelignes.web.app import check_csrf, client_address, redirect, render, web_of
from entrelignes.web.i18n import LANGUAGES
from entrelignes.web.security import LANG_COOKIE, local_redirect

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)
PAGE_SIZE = 30
Text = Annotated[str, Query(max_length=300)]


@router.get("/")
def today(request: Request):
    web = web_of(request)
    with web.session() as db:
        row = browse.latest_edition(db)
        edition = views.edition_full(row) if row else None
    return render(request, "edition.html", edition=edition, is_today=True)


@router.get("/editions")
def archive(request: Request, page: Annotated[int, Query(ge=1, le=10_000)] = 1, q: Text = "", date: Annotated[str, Query(max_length=10, pattern=r"^(\d{4}-\d{2}-\d{2})?$")] = ""):
    web = web_of(request)
    with web.session() as db:
        if q.strip():
            results = views.search(db, q, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
            return render(request, "search.html", q=q, results=results, page=page, page_size=PAGE_SIZE)
        editions, total = views.archive(db, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, day=date)
    days: dict[str, list[dict]] = {}
    for summary in editions:
        days.setdefault(summary["date"], []).append(summary)
    return render(request, "archive.html", days=days, page=page, pages=max(1, -(-total // PAGE_SIZE)), q="", date=date)


@router.get("/search")
def search(request: Request, q: Text = "", page: Annotated[int, Query(ge=1, le=10_000)] = 1):
    return archive(request, page=page, q=q, date="")


@router.get("/editions/{edition_id}")
def edition(request: Request, edition_id: str):
    web = web_of(request)
    with web.session() as db:
        row = browse.edition(db, edition_id.removesuffix(".html")[:64])  # the Atom entries link to .html
        if row is None:
            raise HTTPException(404)
        data = views.edition_full(row)
    return render(request, "edition.html", edition=data, is_today=False)


@router.get("/stories/{story_id}")
def story(request: Request, story_id: str, boilerplate: bool = False):
    web = web_of(request)
    with web.session() as db:
        data = views.story(db, web.config, story_id[:64], boilerplate=boilerplate)
    if data is None:
        raise HTTPException(404)
    return render(request, "story.html", story=data, show_boilerplate=boilerplate)


@router.get("/outlets")
def outlets(request: Request):
    with web_of(request).session() as db:
        items = views.outlets(db)
    return render(request, "outlets.html", outlets=items)


@router.get("/outlets/{name:path}")
def outlet(request: Request, name: str):
    web = web_of(request)
    with web.session() as db:
        data = views.outlet(db, web.config, name[:300])
    if data is None:
        raise HTTPException(404)
    return render(request, "outlet.html", outlet=data)


@router.get("/atom.xml")
def atom(request: Request):
    web = web_of(request)
    with web.session() as db:
        body = views.atom_feed(db, web.config.web.base_url)
    return Response(body, media_type="application/atom+xml; charset=utf-8")


@router.get("/lang/{code}")
def switch_language(code: str, next: Annotated[str, Query(max_length=2000)] = "/"):
    response = redirect(local_redirect(next))
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, httponly=True, samesite="lax", path="/")
    return response


# -- email subscriptions -------------------------------------------------------------------


@router.post("/subscribe")
def subscribe(
    request: Request,
    email: Annotated[str, Form(max_length=400)] = "",
    slots: Annotated[str, Form(max_length=20)] = "both",
    csrf: Annotated[str, Form(max_length=200)] = "",
):
    check_csrf(request, csrf)
    web = web_of(request)
    if not web.config.email.smtp_host:
        return render(request, "message.html", message="Email subscriptions are not available on this desk.", status_code=404)
    wait = web.limits.subscribe_ip.hit(client_address(request)) or web.limits.subscribe_email.hit(email.strip().lower())
    if wait:
        raise HTTPException(429, headers={"Retry-After": str(int(wait) + 1)})
    from entrelignes.publish.subscriptions import SubscriptionError
    from entrelignes.publish.subscriptions import subscribe as ask

    try:
        with web.session() as db:
            ask(db, web.config, email, slots)
    except SubscriptionError as error:
        return render(request, "message.html", message=str(error), status_code=422)
    except Exception:  # the mail server is down: say the same as on success, log for the operator
        log.exception("could not send a confirmation email")
    return render(request, "message.html", message="Check your inbox: a confirmation link is on its way.")


@router.get("/subscribe/confirm")
def confirm_page(request: Request, token: Annotated[str, Query(max_length=1000)] = ""):
    return render(request, "confirm.html", token=token, action="/subscribe/confirm", button="Confirm")


@router.post("/subscribe/confirm")
def confirm(request: Request, token: Annotated[str, Form(max_length=1000)] = "", csrf: Annotated[str, Form(max_length=200)] = ""):
    check_csrf(request, csrf)
    web = web_of(request)
    from entrelignes.publish.subscriptions import confirm as do_confirm

    with web.session() as db:
        done = do_confirm(db, web.config, token) is not None
    message = "Your subscription is confirmed." if done else "This link is invalid or has expired."
    return render(request, "message.html", message=message, status_code=200 if done else 400)


@router.get("/unsubscribe")
def unsubscribe_page(request: Request, token: Annotated[str, Query(max_length=1000)] = ""):
    return render(request, "confirm.html", token=token, action="/unsubscribe", button="Unsubscribe")


@router.post("/unsubscribe")
async def unsubscribe(request: Request):
    """The button on the page (with its CSRF token), or a mail client's one-click POST
    (RFC 8058: `List-Unsubscribe=One-Click` with the token in the URL, no cookie)."""
    form = await request.form()
    token = str(form.get("token") or request.query_params.get("token") or "")[:1000]
    one_click = form.get("List-Unsubscribe") == "One-Click"
    if not one_click:
        check_csrf(request, str(form.get("csrf") or ""))
    web = web_of(request)
    from entrelignes.publish.subscriptions import unsubscribe as do_unsubscribe

    with web.session() as db:
        done = do_unsubscribe(db, web.config, token)
    message = "You are unsubscribed. No more emails will be sent." if done else "This link is invalid or has expired."
    return render(request, "message.html", message=message, status_code=200 if done else 400)


@router.get("/healthz")
def health():
    return {"ok": True}

"""The JSON API: everything the pages show, described by OpenAPI (/api/openapi.json).

Reading is open, like the pages. The desk's endpoints need an editor: an API token
(`Authorization: Bearer ...`, from `entrelignes users token`) or, for reading, the session
cookie. Writing with a cookie is refused (no CSRF token in JSON calls): use a token."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from entrelignes.store import browse
from entrelignes.web import views
from entrelignes.web.actions import ActionError, run_action
from entrelignes.web.app import client_address, current_user, web_of

router = APIRouter(prefix="/api")


# -- models --------------------------------------------------------------------------------


class EditionSummary(BaseModel):
    id: str
    date: str
    slot: str
    status: str
    at: str
    stories: int
    headlines: list[str]
    stats: dict[str, Any]


class EditionList(BaseModel):
    total: int
    editions: list[EditionSummary]


class EditionStory(BaseModel):
    rank: int
    story_id: str
    story_ids: list[str] = []
    headline: str
    reason: str
    is_update: bool = False
    pinned: bool = False
    first_published: str = ""
    summary: list[dict[str, Any]] = []
    articles: list[dict[str, Any]] = []
    outlets: list[str] = []
    quotes: list[dict[str, Any]] = []
    sourcing: dict[str, Any] = {}


class EditionOut(BaseModel):
    id: str
    date: str
    slot: str
    status: str
    at: str = ""
    title: str = ""
    timezone: str = ""
    stats: dict[str, Any] = {}
    stories: list[EditionStory]


class StoryArticle(BaseModel):
    id: str
    outlet: str
    title: str
    url: str
    author: str
    language: str
    published: str
    lead: str
    duplicate_of: str | None
    quotes: int
    boilerplate: list[str] | None = None


class QuoteOut(BaseModel):
    quote: str
    type: str
    speaker_type: str
    role: str | None = None
    outlet: str
    article_id: str
    link: str


class SpeakerQuotes(BaseModel):
    speaker: str | None
    quotes: list[QuoteOut]


class StoryOut(BaseModel):
    id: str
    story_ids: list[str]
    headline: str
    reason: str
    is_update: bool
    summary: list[dict[str, Any]]
    editions: list[dict[str, Any]]
    outlets: list[str]
    articles: list[StoryArticle]
    quotes: list[SpeakerQuotes]
    sourcing: dict[str, dict[str, float]] = Field(description="outlet -> share of person, organization, anonymous, outlet, unsourced")
    contrast: dict[str, list[str]]
    first_published: str
    last_published: str


class OutletBrief(BaseModel):
    name: str
    articles: int


class SourceOut(BaseModel):
    id: int
    name: str
    url: str
    enabled: bool
    origin: str
    language: str
    tags: list[str]
    poll_interval: int
    fetch_full_page: bool
    selector: str
    last_status: str
    last_error: str
    last_polled_at: str | None
    last_success_at: str | None
    consecutive_failures: int
    polls: int
    items_seen: int
    not_modified_share: float | None
    mean_latency_ms: float | None
    extraction_failures: int


class OutletOut(BaseModel):
    name: str
    articles: int
    latest: str | None
    sourcing: dict[str, float]
    profile: list[dict[str, Any]]
    speakers: list[dict[str, Any]]
    health: list[SourceOut]
    recent: list[dict[str, Any]]


class SearchOut(BaseModel):
    query: str
    stories: list[dict[str, Any]]
    articles: list[dict[str, Any]]


class SubscriptionIn(BaseModel):
    email: str = Field(max_length=320)
    slots: Literal["both", "morning", "evening"] = "both"


class Message(BaseModel):
    detail: str


class SourceIn(BaseModel):
    url: str = Field(max_length=2000)
    name: str = Field("", max_length=300)
    language: str = Field("", max_length=16)
    tags: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list, max_length=20)


class SourceAdded(BaseModel):
    source: SourceOut | None = None
    choices: list[str] = []
    detail: str = ""


class SourcePatch(BaseModel):
    name: str | None = Field(None, max_length=300)
    language: str | None = Field(None, max_length=16)
    tags: list[Annotated[str, Field(max_length=100)]] | None = Field(None, max_length=20)
    poll_interval: int | None = Field(None, ge=60, le=7 * 24 * 3600)
    enabled: bool | None = None
    fetch_full_page: bool | None = None
    selector: str | None = Field(None, max_length=500)


class ActionIn(BaseModel):
    story: str = Field("", max_length=100, description="the story: its rank in the edition or its story id")
    other: str = Field("", max_length=100, description="merge: the story folded into the first")
    articles: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=500, description="split: the article ids moved to a new story")


class DeliveryOut(BaseModel):
    id: int
    edition_id: str
    channel: str
    part: int
    recipient: str
    status: str
    attempts: int
    error: str
    updated_at: str | None


# -- auth ----------------------------------------------------------------------------------


def _token_user(request: Request) -> dict | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    from entrelignes.store.users import user_for_token

    with web_of(request).session() as db:
        user = user_for_token(db, token.strip())
        return {"id": user.id, "username": user.username} if user else None


def editor_reader(request: Request) -> dict:
    user = _token_user(request) or current_user(request)
    if user is None:
        raise HTTPException(401, "an editor's API token (Authorization: Bearer ...) is required", headers={"WWW-Authenticate": "Bearer"})
    return user


def editor_writer(request: Request) -> dict:
    user = _token_user(request)
    if user is None:
        raise HTTPException(401, "an editor's API token (Authorization: Bearer ...) is required", headers={"WWW-Authenticate": "Bearer"})
    return user


NOT_FOUND = {404: {"model": Message}}
AUTH = {401: {"model": Message}}
EditionId = Annotated[str, Path(max_length=64)]


# -- reading -------------------------------------------------------------------------------


@router.get("/editions", response_model=EditionList, summary="Published editions, newest first")
def list_editions(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=200)] = 30,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    date: Annotated[str, Query(max_length=10, pattern=r"^(\d{4}-\d{2}-\d{2})?$", description="only this day's editions (YYYY-MM-DD)")] = "",
):
    with web_of(request).session() as db:
        editions, total = views.archive(db, limit=limit, offset=offset, day=date)
        return {"total": total, "editions": editions}


@router.get("/editions/latest", response_model=EditionOut, responses=NOT_FOUND, summary="Today's edition: the latest published")
def latest_edition(request: Request):
    with web_of(request).session() as db:
        row = browse.latest_edition(db)
        if row is None:
            raise HTTPException(404, "no edition published yet")
        return views.edition_full(row)


@router.get("/editions/{edition_id}", response_model=EditionOut, responses=NOT_FOUND, summary="One published edition")
def get_edition(request: Request, edition_id: EditionId):
    with web_of(request).session() as db:
        row = browse.edition(db, edition_id)
        if row is None:
            raise HTTPException(404, "no such edition")
        return views.edition_full(row)


@router.get("/stories/{story_id}", response_model=StoryOut, responses=NOT_FOUND, summary="A story: articles, quotes, sourcing, contrast")
def get_story(request: Request, story_id: Annotated[str, Path(max_length=64)], boilerplate: bool = False):
    web = web_of(request)
    with web.session() as db:
        data = views.story(db, web.config, story_id, boilerplate=boilerplate)
    if data is None:
        raise HTTPException(404, "no such story")
    return data


@router.get("/outlets", response_model=list[OutletBrief], summary="Every outlet with its number of articles")
def list_outlets(request: Request):
    with web_of(request).session() as db:
        return views.outlets(db)


@router.get("/outlets/{name:path}", response_model=OutletOut, responses=NOT_FOUND, summary="An outlet: sourcing profile, health, most quoted")
def get_outlet(request: Request, name: Annotated[str, Path(max_length=300)]):
    web = web_of(request)
    with web.session() as db:
        data = views.outlet(db, web.config, name)
    if data is None:
        raise HTTPException(404, "no such outlet")
    return data


@router.get("/search", response_model=SearchOut, summary="Full-text search over articles and stories")
def search(request: Request, q: Annotated[str, Query(max_length=300)] = "", limit: Annotated[int, Query(ge=1, le=100)] = 30, offset: Annotated[int, Query(ge=0, le=10_000)] = 0):
    with web_of(request).session() as db:
        return views.search(db, q, limit=limit, offset=offset)


@router.post("/subscriptions", response_model=Message, status_code=202, responses={422: {"model": Message}, 429: {"model": Message}, 404: {"model": Message}}, summary="Ask for editions by email (a confirmation email follows)")
def subscribe(request: Request, body: SubscriptionIn):
    web = web_of(request)
    if not web.config.email.smtp_host:
        raise HTTPException(404, "email subscriptions are not available on this desk")
    wait = web.limits.subscribe_ip.hit(client_address(request)) or web.limits.subscribe_email.hit(body.email.strip().lower())
    if wait:
        raise HTTPException(429, "too many attempts", headers={"Retry-After": str(int(wait) + 1)})
    from entrelignes.publish.subscriptions import SubscriptionError
    from entrelignes.publish.subscriptions import subscribe as ask

    try:
        with web.session() as db:
            ask(db, web.config, body.email, body.slots)
    except SubscriptionError as error:
        raise HTTPException(422, str(error)) from None
    except Exception:
        import logging

        logging.getLogger(__name__).exception("could not send a confirmation email")
    return {"detail": "check your inbox: a confirmation link is on its way"}


# -- the desk ------------------------------------------------------------------------------


@router.get("/desk/sources", response_model=list[SourceOut], responses=AUTH, summary="Sources, worst health first")
def desk_sources(request: Request, user: dict = Depends(editor_reader)):
    from entrelignes.store.sources import list_sources

    with web_of(request).session() as db:
        return [views.source_health(s) for s in list_sources(db)]


@router.post("/desk/sources", response_model=SourceAdded, responses={**AUTH, 422: {"model": Message}}, summary="Follow a feed, or a site's announced feed")
def desk_add_source(request: Request, body: SourceIn, user: dict = Depends(editor_writer)):
    from entrelignes.ingest.safety import UnsafeURL
    from entrelignes.web.sources import add_from_web, discover

    web = web_of(request)
    found = discover(web.config, body.url, web.fetch_transport)
    if found.error:
        raise HTTPException(422, found.error)
    if not found.feed_url:
        return {"choices": found.choices, "detail": "several feeds found: add one of them"}
    try:
        with web.session() as db:
            source = add_from_web(db, url=found.feed_url, name=body.name or found.title, language=body.language, tags=body.tags, site_url=found.site_url)
            return {"source": views.source_health(source)}
    except (UnsafeURL, ValueError) as error:
        raise HTTPException(422, str(error)) from None


@router.patch("/desk/sources/{source_id}", response_model=SourceOut, responses={**AUTH, **NOT_FOUND}, summary="Edit, disable or enable a source")
def desk_edit_source(request: Request, source_id: Annotated[int, Path(ge=1, le=2**31)], body: SourcePatch, user: dict = Depends(editor_writer)):
    from entrelignes.web.sources import update_source

    with web_of(request).session() as db:
        source = update_source(db, source_id, **body.model_dump(exclude_none=True))
        if source is None:
            raise HTTPException(404, "no such source")
        return views.source_health(source)


@router.delete("/desk/sources/{source_id}", response_model=Message, responses={**AUTH, **NOT_FOUND}, summary="Stop following a source (its articles stay)")
def desk_remove_source(request: Request, source_id: Annotated[int, Path(ge=1, le=2**31)], user: dict = Depends(editor_writer)):
    from entrelignes.store.sources import remove_source

    with web_of(request).session() as db:
        if not remove_source(db, source_id):
            raise HTTPException(404, "no such source")
    return {"detail": "removed"}


@router.get("/desk/sources.opml", responses={**AUTH, 200: {"content": {"text/x-opml": {}}, "description": "OPML 2.0"}}, summary="Every source as OPML", response_class=Response)
def desk_export_opml(request: Request, user: dict = Depends(editor_reader)):
    from entrelignes.ingest.opml import export_opml
    from entrelignes.store.sources import list_sources

    web = web_of(request)
    with web.session() as db:
        body = export_opml(list_sources(db), title=f"{web.config.editions.title} sources")
    return Response(body, media_type="text/x-opml; charset=utf-8")


class ImportOut(BaseModel):
    added: list[str]
    refused: list[dict[str, str]]


@router.post(
    "/desk/sources.opml", response_model=ImportOut, responses={**AUTH, 422: {"model": Message}, 413: {"model": Message}},
    summary="Follow the feeds of an OPML document (request body), through the safety rules",
    openapi_extra={"requestBody": {"required": True, "content": {"text/x-opml": {"schema": {"type": "string"}}, "application/xml": {"schema": {"type": "string"}}}}},
)
async def desk_import_opml(request: Request, user: dict = Depends(editor_writer)):
    from entrelignes.ingest.opml import OPMLError
    from entrelignes.web.desk import OPML_MAX_BYTES
    from entrelignes.web.sources import import_opml_upload

    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > OPML_MAX_BYTES:
            raise HTTPException(413, "OPML document too large")

    try:
        added, refused = await import_opml_upload(web_of(request), raw)
    except OPMLError as error:
        raise HTTPException(422, str(error)) from None
    return {"added": added, "refused": [{"url": u, "reason": r} for u, r in refused]}


@router.get("/desk/audit", response_model=list[dict[str, Any]], responses=AUTH, summary="The desk's audit log for an edition (newest first)")
def desk_audit(request: Request, edition: Annotated[str, Query(max_length=64)], user: dict = Depends(editor_reader)):
    from entrelignes.web.actions import audit

    with web_of(request).session() as db:
        return audit(db, edition, limit=200)


@router.get("/desk/edition", response_model=EditionOut, responses={**AUTH, **NOT_FOUND}, summary="The next edition, before it goes out")
def desk_next_edition(request: Request, user: dict = Depends(editor_reader)):
    with web_of(request).session() as db:
        row = browse.next_edition(db)
        if row is None:
            raise HTTPException(404, "no edition waiting")
        return views.edition_full(row)


@router.post("/desk/editions/{edition_id}/{action}", response_model=Message, responses={**AUTH, 422: {"model": Message}}, summary="Pin, drop, merge, split or approve (audit-logged)")
def desk_action(request: Request, edition_id: EditionId, action: Literal["pin", "drop", "merge", "split", "approve"], body: ActionIn, user: dict = Depends(editor_writer)):
    web = web_of(request)
    try:
        with web.session() as db:
            run_action(db, action, edition_id, actor=user["username"], story=body.story, other=body.other, articles=body.articles)
    except ActionError as error:
        raise HTTPException(422, str(error)) from None
    return {"detail": "done"}


@router.get("/desk/deliveries", response_model=list[DeliveryOut], responses=AUTH, summary="Deliveries, newest first")
def desk_deliveries(request: Request, failed: bool = False, limit: Annotated[int, Query(ge=1, le=500)] = 100, user: dict = Depends(editor_reader)):
    from entrelignes.web.desk import _delivery

    with web_of(request).session() as db:
        return [_delivery(d) for d in browse.deliveries(db, limit=limit, failed_only=failed)]

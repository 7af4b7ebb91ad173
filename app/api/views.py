"""Public read-only API, /api/v1/: events, programmes, projects, venues and speakers.

Every answer is built from the same data versions as the public pages (the
catalogue stamp for lists, the event page stamp for one event), so its ETag moves
exactly when a page would, and a body is cached under that stamp: a hit costs one
aggregate query. Public answers carry CORS headers for GET; nothing here reads a
join link, a registrant or a draft.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from math import ceil
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Response, current_app, render_template, request, url_for
from pydantic import BaseModel, ValidationError

from app.api import bp, schemas
from app.api import serialize as out
from app.api.spec import api_route as route
from app.api.spec import openapi_document
from app.cache import get_cache
from app.directory import services as directory
from app.events import services as catalogue
from app.events.models import Event, Project, Session, Speaker, Venue, session_speakers
from app.extensions import csrf, db

# Part of every cache key and ETag: a deploy that changes the shape of answers
# must not serve bodies cached by the previous code.
ANSWER_REVISION = "1"
PUBLIC_PREFIX = "/api/v1/"
PRIVATE_PREFIX = "/api/v1/organiser/"

csrf.exempt(bp)  # the only POST authenticates with a bearer key, never with a cookie


class ApiError(Exception):
    def __init__(self, status: int, title: str, detail: str | None = None,
                 errors: dict[str, list[str]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(title)
        self.problem = schemas.Problem(status=status, title=title, detail=detail, errors=errors)
        self.headers = headers or {}


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return problem_response(exc.problem, exc.headers)


def problem_response(problem: schemas.Problem, headers: dict[str, str] | None = None) -> Response:
    resp = Response(problem.model_dump_json(exclude_none=True), status=problem.status,
                    mimetype="application/problem+json")
    for name, value in (headers or {}).items():
        resp.headers[name] = value
    return resp


@bp.after_request
def _cors(resp: Response) -> Response:
    """Any site may read the public API from a browser; organisers' endpoints stay closed."""
    if request.path.startswith(PUBLIC_PREFIX) and not request.path.startswith(PRIVATE_PREFIX):
        resp.headers["Access-Control-Allow-Origin"] = "*"
        resp.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        resp.headers["Access-Control-Allow-Headers"] = "If-None-Match"
        resp.headers["Access-Control-Expose-Headers"] = "ETag, Link"
        resp.headers["Access-Control-Max-Age"] = "86400"
    return resp


def parse(model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        errors: dict[str, list[str]] = {}
        for err in exc.errors(include_url=False, include_input=False):
            name = str(err["loc"][0]) if err["loc"] else "query"
            errors.setdefault(name, []).append(err["msg"])
        raise ApiError(400, "Invalid parameters", errors=errors) from None


def conditional(stamp: str | None, build: Callable[[], tuple[BaseModel, dict[str, str]]]) -> Response:
    """Answer 304 when If-None-Match holds the ETag of `stamp`, else the (cached) body."""
    if stamp is None:
        raise ApiError(404, "Not found")
    key = f"api:{ANSWER_REVISION}:{request.full_path}:{stamp}"
    etag = hashlib.sha1(key.encode()).hexdigest()[:24]
    headers = {"ETag": f'"{etag}"', "Cache-Control": "public, no-cache"}
    if request.if_none_match.contains(etag):
        resp = Response(status=304)
    else:
        cache = get_cache()
        cached = cache.get(key)
        if cached is None:
            model, extra = build()
            # The extra headers (Link) on the first line, the body as served after it.
            cached = json.dumps(extra).encode() + b"\n" + model.model_dump_json().encode()
            cache.set(key, cached, ttl=3600)
        extra_line, body = cached.split(b"\n", 1)
        resp = Response(body, mimetype="application/json")
        headers.update(json.loads(extra_line))
    for name, value in headers.items():
        resp.headers[name] = value
    return resp


def _list_stamp() -> str:
    return f"{catalogue.catalogue_stamp()}|{directory.people_stamp()}"


def paginate(stmt: sa.Select, query: schemas.PageQuery, endpoint: str, args: dict[str, str]):
    """One page of `stmt` with its links: the body's `links` and the Link header."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    per_page = min(query.per_page, current_app.config["API_PER_PAGE_MAX"])
    last = max(1, ceil(total / per_page))
    items = list(db.session.scalars(
        stmt.limit(per_page).offset((query.page - 1) * per_page)
    ).unique())

    def link(page: int) -> str:
        return out.absolute(endpoint, **args, page=page, per_page=per_page)

    links = schemas.PageLinks(
        self=link(query.page), first=link(1), last=link(last),
        prev=link(min(query.page - 1, last)) if query.page > 1 else None,
        next=link(query.page + 1) if query.page < last else None,
    )
    rels = [("first", links.first), ("prev", links.prev), ("next", links.next),
            ("last", links.last)]
    header = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in rels if url)
    page = dict(page=query.page, per_page=per_page, total=total, links=links)
    return items, page, {"Link": header}


def _echo(query: BaseModel) -> dict[str, str]:
    """The query's own parameters as given (by alias), for the links between pages."""
    data = query.model_dump(by_alias=True, exclude_none=True, exclude={"page", "per_page"},
                            exclude_defaults=True, mode="json")
    return {k: str(v) for k, v in data.items()}


# --- events -----------------------------------------------------------------------


def _day_start(day: date) -> datetime:
    # Days are read in the site's zone; years far outside any event are clamped so the
    # arithmetic cannot overflow.
    day = min(max(day, date(1900, 1, 1)), date(9000, 1, 1))
    return datetime.combine(day, time.min, ZoneInfo(current_app.config["DEFAULT_TIMEZONE"]))


def events_query(q: schemas.EventQuery) -> sa.Select:
    filters = catalogue.EventFilters(
        when=q.when, kind=q.kind.value if q.kind else "", project=q.project or "",
        q=" ".join((q.q or "").split()),
    )
    stmt = catalogue.public_events_query(filters)
    if q.format is not None:
        stmt = stmt.where(Event.format == q.format)
    if q.language is not None:
        stmt = stmt.where(Event.language == q.language.value)
    if q.from_ is not None:
        stmt = stmt.where(Event.ends_at >= _day_start(q.from_))
    if q.to is not None:
        stmt = stmt.where(Event.starts_at < _day_start(q.to) + timedelta(days=1))
    if q.venue:
        stmt = stmt.where(Event.venue_id.in_(sa.select(Venue.id).where(Venue.slug == q.venue)))
    if q.speaker:
        stmt = stmt.where(Event.id.in_(
            sa.select(Session.event_id)
            .join(session_speakers, session_speakers.c.session_id == Session.id)
            .join(Speaker, Speaker.id == session_speakers.c.speaker_id)
            .where(Speaker.slug == q.speaker)
        ))
    return stmt


@route(bp, "/v1/events", summary="Public events", tags=("Events",),
       response=schemas.EventList, query=schemas.EventQuery, paginated=True,
       description="Published and cancelled events, with the filters of the event list. "
                   "Upcoming events come soonest first; past and all, newest first.")
def events():
    q = parse(schemas.EventQuery)

    def build():
        items, page, headers = paginate(events_query(q), q, "api.events", _echo(q))
        return schemas.EventList(items=[out.event_summary(e) for e in items], **page), headers

    return conditional(_list_stamp(), build)


@route(bp, "/v1/events/<slug>", summary="One event with its programme", tags=("Events",),
       response=schemas.EventDetail, errors=(404,),
       path_docs={"slug": "the event's slug, as in its page address"})
def event(slug: str):
    """The event with its parts, programme, speakers, venue, and public materials and recordings."""

    def build():
        e = catalogue.get_public_event(slug)
        if e is None:  # unpublished between the stamp and now
            raise ApiError(404, "Not found")
        return out.event_detail(e), {}

    return conditional(catalogue.event_page_stamp(slug), build)


# --- projects, venues, speakers ---------------------------------------------------


@route(bp, "/v1/projects", summary="Projects", tags=("Projects",),
       response=schemas.ProjectList, query=schemas.PageQuery, paginated=True)
def projects():
    stmt = sa.select(Project).order_by(Project.name, Project.id)
    return _page(stmt, "api.projects", schemas.ProjectList, out.project)


@route(bp, "/v1/projects/<slug>", summary="One project", tags=("Projects",),
       response=schemas.Project, errors=(404,))
def project(slug: str):
    return _one(catalogue.get_project, slug, out.project)


@route(bp, "/v1/venues", summary="Venues of public events", tags=("Venues",),
       response=schemas.VenueList, query=schemas.PageQuery, paginated=True)
def venues():
    return _page(directory.public_venues_query(), "api.venues", schemas.VenueList, out.venue)


@route(bp, "/v1/venues/<slug>", summary="One venue", tags=("Venues",),
       response=schemas.Venue, errors=(404,))
def venue(slug: str):
    return _one(directory.get_public_venue, slug, out.venue)


@route(bp, "/v1/speakers", summary="Speakers of public events", tags=("Speakers",),
       response=schemas.SpeakerList, query=schemas.PageQuery, paginated=True)
def speakers():
    return _page(directory.public_speakers_query(), "api.speakers", schemas.SpeakerList,
                 out.speaker)


@route(bp, "/v1/speakers/<slug>", summary="One speaker", tags=("Speakers",),
       response=schemas.Speaker, errors=(404,))
def speaker(slug: str):
    return _one(directory.get_public_speaker, slug, out.speaker)


def _page(stmt: sa.Select, endpoint: str, list_schema: type, serialize: Callable[[Any], Any]):
    """A page of a directory list (projects, venues, speakers), under the lists' stamp."""
    q = parse(schemas.PageQuery)

    def build():
        items, page, headers = paginate(stmt, q, endpoint, {})
        return list_schema(items=[serialize(item) for item in items], **page), headers

    return conditional(_list_stamp(), build)


def _one(lookup: Callable[[str], Any], slug: str, serialize: Callable[[Any], Any]):
    """One directory record by slug, under the lists' stamp; 404 when there is none."""

    def build():
        found = lookup(slug)
        if found is None:
            raise ApiError(404, "Not found")
        return serialize(found), {}

    return conditional(_list_stamp(), build)


# --- the description and its documentation page ----------------------------------


@bp.get("/v1/openapi.json")
def openapi():
    resp = current_app.json.response(openapi_document(current_app.config["BASE_URL"]))
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


@bp.get("/")
def docs():
    return render_template("api/docs.html", spec_url=url_for("api.openapi"))


@bp.route("/v1/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(rest: str):
    """Anything else under /api/v1/: a 405 for a known path, a 404 in the API's shape otherwise."""
    adapter = current_app.url_map.bind("")
    for method in ("GET", "POST"):
        if method == request.method:
            continue
        try:
            endpoint, _ = adapter.match(request.path, method=method)
        except Exception:  # noqa: S112 - no such route for this method
            continue
        if endpoint != "api.unknown":
            raise ApiError(405, "Method not allowed")
    raise ApiError(404, "Not found")


@bp.errorhandler(429)
def _too_many(exc):
    retry = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry)} if retry else {}
    return problem_response(schemas.Problem(status=429, title="Too many requests"), headers)

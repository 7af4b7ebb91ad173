"""Embeds for partner sites: small pages in the site's style, each item opening the full
page in a new tab, and the guide with the one-line snippet that inserts them."""
from __future__ import annotations

from flask import Response, abort, current_app, render_template, request, url_for

from app.cache import get_cache
from app.embeds import bp
from app.events import services as catalogue
from app.events.models import EventKind
from app.extensions import db
from app.i18n import current_language
from app.security.headers import embeddable

MAX_LIMIT = 20


def _limit() -> int:
    value = request.args.get("limit", "5")
    return min(max(int(value), 1), MAX_LIMIT) if value.isdigit() else 5


def _cached(key: str, render) -> Response:
    cache = get_cache()
    body = cache.get(key)
    if body is None:
        body = render().encode()
        cache.set(key, body, ttl=3600)
    resp = Response(body, mimetype="text/html")
    resp.headers["Cache-Control"] = "public, max-age=300"
    return resp


@bp.get("/embed/events")
@embeddable
def events():
    project_slug = request.args.get("project", "")[:120]
    kind = request.args.get("kind", "")
    filters = catalogue.EventFilters(
        when="upcoming", project=project_slug,
        kind=kind if kind in {k.value for k in EventKind} else "",
    )
    limit = _limit()
    key = (f"embed-events:{current_language()}:{filters}:{limit}:"
           f"{catalogue.catalogue_stamp()}")

    def render() -> str:
        project = catalogue.get_project(project_slug) if project_slug else None
        events = list(db.session.scalars(
            catalogue.public_events_query(filters).limit(limit)).unique())
        more = url_for("events.index", **filters.as_args(), _external=False)
        return render_template("embeds/events.html", events=events, project=project,
                               more_url=current_app.config["BASE_URL"] + more)

    return _cached(key, render)


@bp.get("/embed/events/<slug>")
@embeddable
def event(slug: str):
    stamp = catalogue.event_page_stamp(slug)
    if stamp is None:
        abort(404)

    def render() -> str:
        e = catalogue.get_public_event(slug)
        if e is None:
            abort(404)
        return render_template("embeds/event.html", event=e, days=catalogue.event_days(e))

    return _cached(f"embed-event:{slug}:{current_language()}:{stamp}", render)


@bp.get("/embed/")
def guide():
    """For partners: what the embeds show and the snippet to paste."""
    projects = catalogue.all_projects()
    return render_template("embeds/guide.html", projects=projects)

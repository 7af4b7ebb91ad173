"""sitemap.xml with every public page and its last change; robots.txt keeping private
pages out; the share image of each event."""
from __future__ import annotations

from datetime import datetime
from xml.sax.saxutils import escape

import sqlalchemy as sa
from flask import Response, abort, current_app, request, url_for

from app.cache import get_cache
from app.directory import services as directory
from app.events import services as catalogue
from app.events.models import Event, Project
from app.extensions import db
from app.seo import bp
from app.seo.share_image import render_share_image

# Token pages, personal feeds, the back-office and the API's organiser part: never indexed.
PRIVATE_PATHS = (
    "/admin/", "/registrations/", "/calendar/", "/newsletter/confirm/",
    "/newsletter/preferences/", "/newsletter/unsubscribe/", "/api/v1/organiser/", "/embed/",
    "/language",
)


def _absolute(endpoint: str, **values) -> str:
    return current_app.config["BASE_URL"] + url_for(endpoint, **values)


@bp.get("/robots.txt")
def robots():
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in PRIVATE_PATHS), "",
             f"Sitemap: {_absolute('seo.sitemap')}", ""]
    return Response("\n".join(lines), mimetype="text/plain")


def _lastmod(at: datetime | None) -> str:
    return at.date().isoformat() if at else ""


def sitemap_entries() -> list[tuple[str, str]]:
    """(absolute URL, lastmod date) of every public page."""
    entries: list[tuple[str, str]] = []
    events = list(db.session.execute(
        sa.select(Event.slug, Event.updated_at)
        .where(Event.status.in_(catalogue.PUBLIC_STATUSES))
        .order_by(Event.starts_at.desc(), Event.id.desc())
    ))
    latest = max((at for _, at in events), default=None)
    for endpoint in ("main.home", "events.index", "projects.index", "newsletter.index"):
        entries.append((_absolute(endpoint), _lastmod(latest)))
    entries.append((_absolute("api.docs"), ""))
    entries.extend((_absolute("events.detail", slug=slug), _lastmod(at)) for slug, at in events)
    for slug, at in db.session.execute(sa.select(Project.slug, Project.updated_at)
                                       .order_by(Project.name)):
        entries.append((_absolute("projects.detail", slug=slug), _lastmod(at)))
    for sp in db.session.scalars(directory.public_speakers_query()):
        entries.append((_absolute("directory.speaker", slug=sp.slug), _lastmod(sp.updated_at)))
    for v in db.session.scalars(directory.public_venues_query()):
        entries.append((_absolute("directory.venue", slug=v.slug), _lastmod(v.updated_at)))
    return entries


@bp.get("/sitemap.xml")
def sitemap():
    key = f"sitemap:{catalogue.catalogue_stamp()}:{directory.people_stamp()}"

    def build() -> bytes:
        rows = []
        for loc, lastmod in sitemap_entries():
            row = f"<url><loc>{escape(loc)}</loc>"
            if lastmod:
                row += f"<lastmod>{lastmod}</lastmod>"
            rows.append(row + "</url>")
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                + "\n".join(rows) + "\n</urlset>\n").encode()

    cache = get_cache()
    body = cache.get(key)
    if body is None:
        body = build()
        cache.set(key, body, ttl=3600)
    return Response(body, mimetype="application/xml")


@bp.get("/events/<slug>/share.png")
def share_image(slug: str):
    """The picture social networks show with a link to the event, drawn once per version."""
    stamp = catalogue.event_page_stamp(slug)
    if stamp is None:
        abort(404)
    version = stamp.split(":", 1)[0]
    lang = request.args.get("lang", current_app.config["BABEL_DEFAULT_LOCALE"])
    lang = lang if lang in ("it", "en") else "it"
    # The picture shows title, dates and place: the event's version covers them all
    # (a venue edit bumps the version of the events held there).
    key = f"share-image:{slug}:{version}:{lang}"
    cache = get_cache()
    body = cache.get(key)
    if body is None:
        event = catalogue.get_public_event(slug)
        if event is None:
            abort(404)
        body = render_share_image(event, current_app.config["SITE_NAME"], lang)
        cache.set(key, body, ttl=7 * 86400)
    resp = Response(body, mimetype="image/png")
    resp.headers["Cache-Control"] = "public, max-age=3600"
    return resp

"""Public event pages: the list with its filters, and the event page."""
from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from app.cache import get_cache, not_modified
from app.events import bp, services
from app.events.fastpath import fast_path_slug, page_etag, page_headers, page_key
from app.events.filter_form import EventFilterForm
from app.events.models import Material
from app.events.panels import panels_for
from app.extensions import db
from app.files import services as files
from app.files.responses import blob_response
from app.files.templating import picture_sources
from app.i18n import current_language


@bp.get("/events/")
def index():
    if _shared(max_query=300):
        stamp = services.catalogue_stamp()
        key = f"events-list:{current_language()}:{request.full_path}:{stamp}"
        cache = get_cache()
        body = cache.get(key)
        if body is None:
            body = _render_index().encode()
            if session.modified:
                return Response(body, mimetype="text/html")
            cache.set(key, body, ttl=3600)
        return Response(body, mimetype="text/html")
    return _render_index()


def _render_index() -> str:
    projects = services.all_projects()
    form = EventFilterForm(formdata=request.args)
    form.fill_choices(projects)
    errors = form.errors if request.args and not form.validate() else {}
    # A field that fails validation is ignored rather than refusing the whole search.
    filters = services.EventFilters.from_args(
        {name: value for name, value in request.args.items() if name not in errors}
    )
    page = db.paginate(
        services.public_events_query(filters),
        per_page=current_app.config["EVENTS_PER_PAGE"],
        error_out=False,
        count=True,
    )
    return render_template(
        "events/index.html", page=page, filters=filters, form=form, projects=projects,
        covers=files.pictures_of("event", [e.id for e in page.items]),
    )


def _page_url(slug: str) -> str:
    # The configured public address, not the Host header: cached pages must not
    # carry whatever host a visitor sent.
    return current_app.config["BASE_URL"] + url_for("events.detail", slug=slug)


def _render_detail(slug: str) -> bytes | None:
    event = services.get_public_event(slug, programme=True)
    if event is None:
        return None
    page_url = _page_url(event.slug)
    cover = picture_sources(files.picture_of("event", event.id))
    share_image_url = current_app.config["BASE_URL"] + url_for(
        "seo.share_image", slug=event.slug, lang=current_language(), v=event.version)
    share_size = (1200, 630)
    if cover:  # the organiser's cover picture is the better share image
        share_image_url = current_app.config["BASE_URL"] + cover["jpeg"]
        share_size = (cover["width"], cover["height"])
    html = render_template(
        "events/detail.html",
        event=event,
        page_url=page_url,
        days=services.event_days(event),
        programme=services.programme_by_day(event),
        materials=services.public_materials(event),
        map_url=services.map_url(event.venue) if event.has_venue else "",
        structured_data=services.json_for_script(
            services.event_structured_data(
                event, page_url, current_app.config["ORGANISATION_NAME"],
                base_url=current_app.config["BASE_URL"], image_url=share_image_url,
            )
        ),
        og_description=services.event_description_text(event),
        share_image_url=share_image_url,
        share_size=share_size,
        cover=cover,
        api_url=current_app.config["BASE_URL"] + url_for("api.event", slug=event.slug),
        panels=panels_for("page", event),
    )
    return html.encode()


def _shared(max_query: int = 0) -> bool:
    """Only pages every anonymous visitor sees alike go to the shared cache."""
    return (
        current_app.config["EVENT_PAGE_CACHE"]
        and len(request.query_string) <= max_query
        and "_flashes" not in session
        and "_user_id" not in session
        # a remember-me cookie may log someone in: leave that to Flask-Login
        and current_app.config["REMEMBER_COOKIE_NAME"] not in request.cookies
    )


@bp.get("/events/<slug>/")
def detail(slug: str):
    if fast_path_slug(request.environ, current_app.config) == slug or not _shared():
        # Either the fast path in front of the app keeps and shares this answer (a
        # cookie-less visitor), or the page is this visitor's own: only render it.
        return _plain_detail(slug)
    stamp = services.event_page_stamp(slug)
    if stamp is None:
        abort(404)
    key = page_key(slug, stamp, current_language())
    etag = page_etag(key)
    if not_modified(etag):
        resp = Response(status=304)
    else:
        cache = get_cache()
        body = cache.get(key)
        if body is None:
            body = _render_detail(slug)
            if body is None:  # unpublished between the two queries
                abort(404)
            if session.modified:
                return _private_copy(body)
            cache.set(key, body)
        resp = Response(body, mimetype="text/html")
    for name, value in page_headers(etag):
        resp.headers[name] = value
    return resp


def _plain_detail(slug: str) -> Response:
    body = _render_detail(slug)
    if body is None:
        abort(404)
    return _private_copy(body) if session.modified else Response(body, mimetype="text/html")


def _private_copy(body: bytes) -> Response:
    # Something personal went into the session while rendering (a CSRF token from an
    # included form, say): this copy is not for sharing.
    resp = Response(body, mimetype="text/html")
    resp.headers["Cache-Control"] = "private, no-cache"
    return resp


@bp.get("/events/<slug>/materials/<int:material_id>")
def material_file(slug: str, material_id: int):
    """A public material's file. Registrants-only files are served from the attendee's
    private page (/registrations/<token>/materials/<id>), never here."""
    material = db.get_or_404(Material, material_id)
    if material.event.slug != slug:
        # Shared under the event's former address: the file lives on at the new one.
        services.public_event_or_404(material.event.slug)
        return redirect(url_for(".material_file", slug=material.event.slug,
                                material_id=material_id), 301)
    event = services.public_event_or_404(slug)
    material = next((m for m in services.public_materials(event) if m.id == material_id), None)
    stored = files.material_file(material_id) if material is not None else None
    if stored is None:
        abort(404)
    return blob_response(stored.blob, filename=stored.filename,
                         content_type=stored.content_type, private=False)

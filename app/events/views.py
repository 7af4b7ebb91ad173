"""Public event pages."""
from __future__ import annotations

from flask import abort, current_app, render_template, request

from app.events import bp, services
from app.extensions import db


@bp.get("/events/")
def index():
    filters = services.EventFilters.from_args(request.args)
    page = db.paginate(
        services.public_events_query(filters),
        per_page=current_app.config["EVENTS_PER_PAGE"],
        error_out=False,
    )
    return render_template("events/index.html", page=page, filters=filters)


@bp.get("/events/<slug>/")
def detail(slug: str):
    event = services.get_public_event(slug)
    if event is None:
        abort(404)
    return render_template("events/detail.html", event=event)

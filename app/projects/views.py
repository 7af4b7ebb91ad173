"""Public project pages: the list of projects and each project with its events."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency
from flask import abort, render_template

from app.events import services
from app.files import services as files
from app.files.templating import picture_sources
from app.i18n import current_language
from app.projects import bp


def format_long_date(day: date) -> str:
    return format_date(day, "d MMMM y", locale=current_language())


def format_euro(amount: Decimal) -> str:
    return format_currency(amount, "EUR", locale=current_language())


@bp.get("/projects/")
def index():
    return render_template(
        "projects/index.html",
        projects=(projects := services.all_projects()),
        counts=services.public_event_counts(),
        logos={pid: picture_sources(pic, "card") for pid, pic
               in files.pictures_of("project", [p.id for p in projects]).items()},
    )


@bp.get("/projects/<slug>/")
def detail(slug: str):
    project = services.get_project(slug) or abort(404)
    upcoming, past = services.project_events(project)
    return render_template(
        "projects/detail.html",
        project=project,
        upcoming=upcoming,
        past=past,
        recordings=services.project_recordings(project),
        logo=picture_sources(files.picture_of("project", project.id), "card"),
        format_long_date=format_long_date,
        format_euro=format_euro,
    )

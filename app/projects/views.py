"""Public project pages."""
from __future__ import annotations

import sqlalchemy as sa
from flask import render_template

from app.events.models import Event, Project
from app.events.services import PUBLIC_STATUSES
from app.extensions import db
from app.projects import bp


@bp.get("/projects/")
def index():
    projects = db.session.scalars(sa.select(Project).order_by(Project.name)).all()
    return render_template("projects/index.html", projects=projects)


@bp.get("/projects/<slug>/")
def detail(slug: str):
    project = db.one_or_404(sa.select(Project).where(Project.slug == slug))
    events = db.session.scalars(
        sa.select(Event)
        .where(Event.project_id == project.id, Event.status.in_(PUBLIC_STATUSES))
        .order_by(Event.starts_at.desc())
    ).all()
    return render_template("projects/detail.html", project=project, events=events)

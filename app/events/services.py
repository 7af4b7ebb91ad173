"""Queries of the public catalogue. Drafts never leave this module."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.db import utcnow
from app.events.models import (
    Event,
    EventKind,
    EventStatus,
    Material,
    MaterialKind,
    Project,
    Session,
    Visibility,
)
from app.extensions import db

PUBLIC_STATUSES = (EventStatus.PUBLISHED, EventStatus.CANCELLED)


@dataclass(frozen=True)
class EventFilters:
    when: str = "upcoming"  # upcoming | past | all
    kind: str = ""
    project: str = ""
    q: str = ""

    @classmethod
    def from_args(cls, args) -> EventFilters:
        when = args.get("when", "upcoming")
        kind = args.get("kind", "")
        return cls(
            when=when if when in ("upcoming", "past", "all") else "upcoming",
            kind=kind if kind in {k.value for k in EventKind} else "",
            project=args.get("project", "")[:120],
            q=args.get("q", "").strip()[:200],
        )


def public_events_query(filters: EventFilters, now: datetime | None = None) -> sa.Select:
    now = now or utcnow()
    stmt = sa.select(Event).where(Event.status.in_(PUBLIC_STATUSES))
    if filters.when == "upcoming":
        stmt = stmt.where(Event.ends_at >= now).order_by(Event.starts_at, Event.id)
    elif filters.when == "past":
        stmt = stmt.where(Event.ends_at < now).order_by(Event.starts_at.desc(), Event.id.desc())
    else:
        stmt = stmt.order_by(Event.starts_at.desc(), Event.id.desc())
    if filters.kind:
        stmt = stmt.where(Event.kind == EventKind(filters.kind))
    if filters.project:
        stmt = stmt.join(Event.project).where(Project.slug == filters.project)
    if filters.q:
        like = f"%{filters.q.lower()}%"
        stmt = stmt.where(
            sa.or_(sa.func.lower(Event.title).like(like), sa.func.lower(Event.summary).like(like))
        )
    return stmt


def upcoming_events(limit: int = 6) -> list[Event]:
    stmt = public_events_query(EventFilters(when="upcoming")).limit(limit)
    return list(db.session.scalars(stmt).unique())


def latest_recordings(limit: int = 4) -> list[Material]:
    stmt = (
        sa.select(Material)
        .join(Material.event)
        .where(
            Material.kind == MaterialKind.RECORDING,
            Material.visibility == Visibility.PUBLIC,
            Event.status.in_(PUBLIC_STATUSES),
        )
        .options(so.contains_eager(Material.event))
        .order_by(Material.published_at.desc(), Material.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt).unique())


def get_public_event(slug: str) -> Event | None:
    """The event with its programme loaded in a fixed number of queries."""
    stmt = (
        sa.select(Event)
        .where(Event.slug == slug, Event.status.in_(PUBLIC_STATUSES))
        .options(
            so.selectinload(Event.sessions).selectinload(Session.speakers),
            so.selectinload(Event.materials),
        )
    )
    return db.session.scalars(stmt).unique().one_or_none()

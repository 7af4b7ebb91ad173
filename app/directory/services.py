"""Speakers and venues as the public sees them: only through published or cancelled events.

A speaker or venue that appears only in drafts is not public yet (the programme may
not be announced): every query here goes through PUBLIC_STATUSES, like the catalogue.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.db import utcnow
from app.events.models import Event, Session, Speaker, Venue, session_speakers
from app.events.services import PUBLIC_STATUSES
from app.extensions import db


def _public_speaker_ids() -> sa.Select:
    return (
        sa.select(session_speakers.c.speaker_id)
        .join(Session, Session.id == session_speakers.c.session_id)
        .join(Event, Event.id == Session.event_id)
        .where(Event.status.in_(PUBLIC_STATUSES))
    )


def public_speakers_query() -> sa.Select:
    return (
        sa.select(Speaker)
        .where(Speaker.id.in_(_public_speaker_ids()))
        .order_by(Speaker.name, Speaker.id)
    )


def public_venues_query() -> sa.Select:
    used = sa.select(Event.venue_id).where(Event.status.in_(PUBLIC_STATUSES))
    return sa.select(Venue).where(Venue.id.in_(used)).order_by(Venue.name, Venue.id)


def get_public_speaker(slug: str) -> Speaker | None:
    return db.session.scalar(public_speakers_query().where(Speaker.slug == slug))


def get_public_venue(slug: str) -> Venue | None:
    return db.session.scalar(public_venues_query().where(Venue.slug == slug))


def speaker_sessions(speaker: Speaker) -> list[Session]:
    """The speaker's sessions in public events, newest event first, with their event."""
    stmt = (
        sa.select(Session)
        .join(session_speakers, session_speakers.c.session_id == Session.id)
        .join(Session.event)
        .where(session_speakers.c.speaker_id == speaker.id, Event.status.in_(PUBLIC_STATUSES))
        .options(so.contains_eager(Session.event))
        .order_by(Event.starts_at.desc(), Session.starts_at, Session.id)
    )
    return list(db.session.scalars(stmt).unique())


def venue_events(venue: Venue, now: datetime | None = None) -> tuple[list[Event], list[Event]]:
    """(upcoming, past) public events held at the venue."""
    now = now or utcnow()
    events = list(db.session.scalars(
        sa.select(Event)
        .where(Event.venue_id == venue.id, Event.status.in_(PUBLIC_STATUSES))
        .order_by(Event.starts_at, Event.id)
    ).unique())
    return [e for e in events if e.ends_at >= now], [e for e in reversed(events) if e.ends_at < now]


def people_stamp() -> str:
    """Changes whenever a speaker or venue is added, removed or edited."""
    s, v = Speaker.__table__.c, Venue.__table__.c
    row = db.session.execute(sa.select(
        sa.select(sa.func.count(s.id)).scalar_subquery(),
        sa.select(sa.func.max(s.updated_at)).scalar_subquery(),
        sa.select(sa.func.count(v.id)).scalar_subquery(),
        sa.select(sa.func.max(v.updated_at)).scalar_subquery(),
    )).one()
    return ":".join(str(value) for value in row)


def directions_url(venue: Venue) -> str:
    """OpenStreetMap's route planner with the venue as destination."""
    if venue.latitude is not None and venue.longitude is not None:
        return ("https://www.openstreetmap.org/directions?route="
                f"%3B{venue.latitude:.6f}%2C{venue.longitude:.6f}")
    from urllib.parse import quote

    return "https://www.openstreetmap.org/directions?to=" + quote(venue.one_line)

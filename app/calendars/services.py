"""What the feeds contain, and the cheap database fingerprints that validate and key them."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from app.calendars import ical
from app.calendars.models import CalendarFeedToken, find_feed_token
from app.db import utcnow
from app.events.models import Event, Project, Session, Venue
from app.events.services import EventFilters, is_public, public_events_query
from app.extensions import db
from app.registrations.models import Registration, RegistrationStatus

# Bump when the output format changes, so cached feeds built by older code are not served.
FORMAT_VERSION = "3"
FEED_HISTORY = timedelta(days=365)
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Fingerprint:
    """Identifies one state of a feed: the cache key, the ETag and Last-Modified."""

    key: str
    last_modified: datetime

    @property
    def etag(self) -> str:
        return hashlib.sha256(self.key.encode()).hexdigest()[:32]


def _aware(value: datetime | None) -> datetime:
    if value is None:
        return EPOCH
    if isinstance(value, str):  # SQLite returns aggregates of datetimes as text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _config_key() -> str:
    cfg = current_app.config
    return f"{FORMAT_VERSION}|{cfg['BASE_URL']}|{cfg.get('UID_DOMAIN')}"


# --- public feed --------------------------------------------------------------------------

def feed_filters(args) -> EventFilters:
    """The /events/ filters (kind, project, q); the feed always spans the last year onwards."""
    f = EventFilters.from_args(args)
    return EventFilters(when="all", kind=f.kind, project=f.project, q=f.q)


def window_start(now: datetime) -> datetime:
    """The feed starts a year back, counted in whole days so the set only moves at midnight."""
    return datetime.combine(now.astimezone(UTC).date(), time(0), UTC) - FEED_HISTORY


def _feed_query(filters: EventFilters, now: datetime) -> sa.Select:
    return (
        public_events_query(filters, now)
        .where(Event.ends_at >= window_start(now))
        .order_by(None)
    )


# One cheap aggregate over the whole catalogue: any edit bumps an event's version and
# updated_at; an event created or deleted changes the count and the id sum. Built once.
_CATALOGUE_STATE = sa.select(
    sa.func.count(Event.id),
    sa.func.coalesce(sa.func.sum(Event.id), 0),
    sa.func.coalesce(sa.func.sum(Event.version), 0),
    sa.func.max(Event.updated_at),
    sa.select(sa.func.max(Venue.updated_at)).scalar_subquery(),
    sa.select(sa.func.max(Project.updated_at)).scalar_subquery(),
)


def public_feed_fingerprint(filters: EventFilters, language: str, now: datetime | None = None) -> Fingerprint:
    """The public feeds' validator: a site-wide catalogue version, the filters and the day.

    Site-wide rather than per filter: one fixed query of a few hundred microseconds
    instead of the filtered one; an edit anywhere refreshes every filtered feed, which
    calendar clients then fetch once. The day is in the key because the one-year
    window moves at midnight.
    """
    now = now or utcnow()
    count, ids, versions, latest, venues, projects = db.session.execute(_CATALOGUE_STATE).one()
    key = "|".join(str(v) for v in (
        "feed", _config_key(), language, filters.kind, filters.project, filters.q,
        window_start(now).date().isoformat(), count, ids, versions, _aware(latest).isoformat(),
        _aware(venues).isoformat(), _aware(projects).isoformat(),
    ))
    return Fingerprint(key, max(_aware(latest), _aware(venues), _aware(projects)))


def public_feed_events(filters: EventFilters, now: datetime | None = None) -> tuple[list[Event], dict[int, list[Session]]]:
    """The feed's events and their registrable parts: two queries, whatever the count."""
    now = now or utcnow()
    events = list(db.session.scalars(_feed_query(filters, now).order_by(Event.starts_at, Event.id)).unique())
    parts: dict[int, list[Session]] = {}
    if events:
        rows = db.session.scalars(
            sa.select(Session)
            .where(Session.registrable.is_(True), Session.event_id.in_([e.id for e in events]))
            .options(so.selectinload(Session.speakers))
            .order_by(Session.starts_at, Session.position, Session.id)
        )
        for session in rows:
            parts.setdefault(session.event_id, []).append(session)
    return events, parts


def render_public_feed(filters: EventFilters, *, name: str, description: str = "") -> bytes:
    events, parts = public_feed_events(filters)
    return ical.render_public_feed(events, parts, name=name, description=description)


# --- one event ----------------------------------------------------------------------------

def event_fingerprint(event: Event, programme: bool, language: str) -> Fingerprint:
    venue = event.venue.updated_at.isoformat() if event.venue else ""
    project = event.project.updated_at.isoformat() if event.project else ""
    key = "|".join(str(v) for v in (
        "event", _config_key(), language, event.id, event.version, int(programme), venue, project,
    ))
    return Fingerprint(key, max(_aware(event.updated_at), _aware(event.venue.updated_at if event.venue else None)))


# --- personal feed ------------------------------------------------------------------------

FEED_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)


def personal_feed_owner(token: str) -> CalendarFeedToken | None:
    return find_feed_token(token)


def _personal_query(email: str) -> sa.Select:
    return (
        sa.select(Registration)
        .join(Registration.event)
        .where(
            Registration.email == email,
            Registration.status.in_(FEED_STATUSES),
            is_public(),
        )
    )


def personal_feed_fingerprint(owner: CalendarFeedToken) -> Fingerprint:
    matched = _personal_query(owner.email).with_only_columns(
        Registration.id.label("rid"), Registration.updated_at.label("rup"),
        Event.version.label("ever"), Event.updated_at.label("eup"), Event.venue_id.label("vid"),
    ).subquery()
    stmt = (
        sa.select(
            sa.func.count(matched.c.rid),
            sa.func.coalesce(sa.func.sum(matched.c.rid), 0),
            sa.func.coalesce(sa.func.sum(matched.c.ever), 0),
            sa.func.max(matched.c.rup),
            sa.func.max(matched.c.eup),
            sa.func.max(Venue.updated_at),
        )
        .select_from(matched)
        .outerjoin(Venue, Venue.id == matched.c.vid)
    )
    count, ids, versions, regs, events, venues = db.session.execute(stmt).one()
    key = "|".join(str(v) for v in (
        "personal", _config_key(), owner.id, owner.token, count, ids, versions,
        _aware(regs).isoformat(), _aware(events).isoformat(), _aware(venues).isoformat(),
    ))
    last = max(_aware(regs), _aware(events), _aware(venues), _aware(owner.updated_at))
    return Fingerprint(key, last)


def personal_registrations(owner: CalendarFeedToken) -> list[Registration]:
    stmt = (
        _personal_query(owner.email)
        .options(
            so.contains_eager(Registration.event)
            .selectinload(Event.sessions).selectinload(Session.speakers),
            so.selectinload(Registration.parts).selectinload(Session.speakers),
        )
        .order_by(Event.starts_at, Registration.id)
    )
    return list(db.session.scalars(stmt).unique())


def feed_language(registrations: list[Registration]) -> str:
    """The personal feed speaks the language of the person's latest registration."""
    if not registrations:
        return "it"
    return max(registrations, key=lambda r: (r.created_at, r.id)).language or "it"

"""What the feeds contain, and the cheap database fingerprints that validate and key them."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from app.cache import get_cache
from app.calendars import ical
from app.calendars.models import CalendarFeedToken, find_feed_token
from app.db import utcnow
from app.events.models import Event, Project, Session, Venue
from app.events.services import EventFilters, catalogue_version, is_public, public_events_query
from app.extensions import db
from app.registrations.models import Registration, RegistrationStatus

# Bump when the output format changes, so cached feeds built by older code are not served.
FORMAT_VERSION = "3"
FEED_HISTORY = timedelta(days=365)
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
# Event fragments of the public feed outlive a day's feed: an edit changes their key.
FRAGMENT_TTL = 7 * 86400


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


def public_feed_fingerprint(filters: EventFilters, language: str, now: datetime | None = None) -> Fingerprint:
    """The public feeds' validator: the catalogue version, the filters and the day.

    Site-wide rather than per filter: one indexed read instead of the filtered query;
    an edit anywhere refreshes every filtered feed, which is then joined again from the
    per-event fragments (only the edited event is serialised anew). The day is in the
    key because the one-year window moves at midnight.
    """
    now = now or utcnow()
    version, changed_at = catalogue_version()
    key = "|".join(str(v) for v in (
        "feed", _config_key(), language, filters.kind, filters.project, filters.q,
        window_start(now).date().isoformat(), version,
    ))
    return Fingerprint(key, _aware(changed_at))


def _fragment_key(language: str, event_id: int, version: int, venue_at, project_at) -> str:
    # Everything an event's VEVENTs are made of: the event and its programme (its
    # version), its venue and project (their edit times), the language and the site.
    return "|".join(str(v) for v in (
        "vevents", _config_key(), language, event_id, version,
        _aware(venue_at).isoformat() if venue_at else "-",
        _aware(project_at).isoformat() if project_at else "-",
    ))


def _feed_rows(filters: EventFilters, now: datetime) -> list[sa.Row]:
    """Id, version and the venue's and project's edit times of each event in the feed:
    one narrow query, no objects loaded."""
    stmt = (
        _feed_query(filters, now)
        .with_only_columns(Event.id, Event.version, Venue.updated_at, Project.updated_at)
        .outerjoin(Venue, Venue.id == Event.venue_id)
        .outerjoin(Project, Project.id == Event.project_id)
        .order_by(Event.starts_at, Event.id)
    )
    return list(db.session.execute(stmt))


def _parts_of(event_ids: list[int]) -> dict[int, list[Session]]:
    parts: dict[int, list[Session]] = {}
    if event_ids:
        rows = db.session.scalars(
            sa.select(Session)
            .where(Session.registrable.is_(True), Session.event_id.in_(event_ids))
            .options(so.selectinload(Session.speakers))
            .order_by(Session.starts_at, Session.position, Session.id)
        )
        for session in rows:
            parts.setdefault(session.event_id, []).append(session)
    return parts


def public_feed_events(filters: EventFilters, now: datetime | None = None) -> tuple[list[Event], dict[int, list[Session]]]:
    """The feed's events and their registrable parts: two queries, whatever the count."""
    now = now or utcnow()
    events = list(db.session.scalars(_feed_query(filters, now).order_by(Event.starts_at, Event.id)).unique())
    return events, _parts_of([e.id for e in events])


def public_feed_fragments(filters: EventFilters, language: str, now: datetime | None = None) -> list[bytes]:
    """Each event's VEVENTs in feed order, from the shared cache where they are (keyed by
    the event's version and language); the others are loaded, serialised and kept."""
    now = now or utcnow()
    rows = _feed_rows(filters, now)
    keys = [_fragment_key(language, *row) for row in rows]
    cache = get_cache()
    fragments = cache.get_many(keys)
    missing = {row[0]: i for i, row in enumerate(rows) if fragments[i] is None}
    if missing:
        events = db.session.scalars(sa.select(Event).where(Event.id.in_(list(missing)))).unique()
        parts = _parts_of(list(missing))
        built = {}
        for event in events:
            i = missing[event.id]
            fragments[i] = ical.event_fragment(event, parts.get(event.id))
            built[keys[i]] = fragments[i]
        cache.set_many(built, ttl=FRAGMENT_TTL)
    # An event that left the public catalogue between the two queries is skipped.
    return [f for f in fragments if f is not None]


def render_public_feed(filters: EventFilters, *, name: str, description: str = "",
                       language: str = "it") -> bytes:
    return ical.join_feed(public_feed_fragments(filters, language), name=name, description=description)


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

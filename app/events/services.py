"""Queries of the public catalogue, the programme by day and the event's structured data.

Drafts never leave this module: every public query filters on PUBLIC_STATUSES.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort, url_for
from markupsafe import Markup

from app.db import utcnow
from app.events.models import (
    CATALOGUE_ROW,
    CatalogueVersion,
    Event,
    EventFormat,
    EventKind,
    EventStatus,
    Material,
    MaterialKind,
    Project,
    RegistrationMode,
    Session,
    Venue,
    Visibility,
)
from app.extensions import db
from app.i18n import localized, tr
from app.text import markdown_to_text

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
            q=" ".join(args.get("q", "").split())[:200],
        )

    def as_args(self, **overrides: str) -> dict[str, str]:
        """The non-empty filters as query arguments, for links that keep the search."""
        values = {"when": self.when, "kind": self.kind, "project": self.project, "q": self.q}
        values.update(overrides)
        if values.get("when") == "upcoming":
            values.pop("when")
        return {k: v for k, v in values.items() if v}

    @property
    def is_narrowed(self) -> bool:
        return bool(self.kind or self.project or self.q)


def public_events_query(filters: EventFilters, now: datetime | None = None) -> sa.Select:
    """Published and cancelled events matching the filters, in reading order."""
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
        project_ids = sa.select(Project.id).where(Project.slug == filters.project)
        stmt = stmt.where(Event.project_id.in_(project_ids.scalar_subquery()))
    if filters.q:
        needle = filters.q.lower()
        stmt = stmt.where(
            sa.or_(
                sa.func.lower(Event.title).contains(needle, autoescape=True),
                sa.func.lower(Event.summary).contains(needle, autoescape=True),
            )
        )
    return stmt


def upcoming_events(limit: int = 6) -> list[Event]:
    stmt = public_events_query(EventFilters(when="upcoming")).limit(limit)
    return list(db.session.scalars(stmt).unique())


def latest_recordings(limit: int = 4) -> list[Material]:
    """Public recordings of public events, newest event first."""
    return public_recordings(limit=limit)


def all_projects() -> list[Project]:
    return list(db.session.scalars(sa.select(Project).order_by(Project.name)))


def is_public() -> sa.ColumnElement[bool]:
    """The condition every public query puts on events: published or cancelled, never a draft."""
    return Event.status.in_(PUBLIC_STATUSES)


def get_public_event(slug: str, *, programme: bool = True) -> Event | None:
    """The public event with this slug; with `programme`, its sessions, speakers and
    materials loaded in a fixed number of queries."""
    stmt = sa.select(Event).where(Event.slug == slug, is_public())
    if programme:
        stmt = stmt.options(
            so.selectinload(Event.sessions).selectinload(Session.speakers),
            so.selectinload(Event.materials),
        )
    return db.session.scalars(stmt).unique().one_or_none()


def public_event_or_404(slug: str, *, programme: bool = False) -> Event:
    """The public event with this slug; a 404 for drafts and unknown addresses alike."""
    event = get_public_event(slug, programme=programme)
    if event is None:
        abort(404)
    return event


_STAMP_QUERY: sa.Select | None = None


def _stamp_query() -> sa.Select:
    # Built once: this runs on every anonymous event page view, and building a select
    # costs more than running it.
    global _STAMP_QUERY
    if _STAMP_QUERY is None:
        e, v, p = Event.__table__.c, Venue.__table__.c, Project.__table__.c
        # Seats taken, summed over the event's capacity counters (the page prints the
        # seats left): a registration moves them without touching the event row.
        counters = db.metadata.tables["capacity_counters"].c
        seats_taken = (
            sa.select(sa.func.coalesce(sa.func.sum(counters.used), 0))
            .where(counters.event_id == e.id)
            .scalar_subquery()
        )
        _STAMP_QUERY = (
            sa.select(
                e.version, e.status, e.registration_opens_at, e.registration_closes_at,
                e.starts_at, e.ends_at, v.updated_at, p.updated_at, seats_taken,
            )
            .select_from(
                Event.__table__.outerjoin(Venue.__table__, v.id == e.venue_id)
                .outerjoin(Project.__table__, p.id == e.project_id)
            )
            .where(e.slug == sa.bindparam("slug"), e.status.in_([s.value for s in PUBLIC_STATUSES]))
        )
    return _STAMP_QUERY


def event_page_stamp(slug: str, now: datetime | None = None) -> str | None:
    """A short string that changes whenever the public page of the event may change.

    One indexed query: the event's data version, the edit times of its venue and
    project (shared rows an edit of which does not touch the event), the seats taken, and which side
    of its registration window and dates `now` is on, so a cached page turns from
    "register" to "closed" to "past" at the right instant without anyone editing it.
    None when there is no public event with that slug.
    """
    return event_page_stamp_on(db.session.connection(), slug, now)


def event_page_stamp_on(conn: sa.Connection, slug: str, now: datetime | None = None) -> str | None:
    """event_page_stamp on a given connection (the fast path runs outside Flask)."""
    now = now or utcnow()
    row = conn.execute(_stamp_query(), {"slug": slug}).first()
    if row is None:
        return None
    version, status, opens, closes, starts, ends, venue_at, project_at, seats_taken = row
    phase = "".join(
        "1" if (instant is not None and now >= instant) else "0"
        for instant in (opens, closes, starts, ends)
    )
    stamps = [
        str(version),
        str(status),
        phase,
        f"{venue_at.timestamp():.6f}" if venue_at else "-",
        f"{project_at.timestamp():.6f}" if project_at else "-",
        str(seats_taken),
    ]
    return ":".join(stamps)


_CATALOGUE_QUERY: sa.Select | None = None


def _catalogue_query() -> sa.Select:
    global _CATALOGUE_QUERY
    if _CATALOGUE_QUERY is None:
        cv, e = CatalogueVersion.__table__.c, Event.__table__.c
        _CATALOGUE_QUERY = sa.select(
            sa.select(cv.version).where(cv.id == CATALOGUE_ROW).scalar_subquery(),
            # An index seek on events.ends_at: the next instant an event leaves the
            # upcoming list.
            sa.select(sa.func.min(e.ends_at)).where(e.ends_at >= sa.bindparam("now")).scalar_subquery(),
        )
    return _CATALOGUE_QUERY


def catalogue_version() -> tuple[int, datetime | None]:
    """The catalogue's data version and when it last moved (see CatalogueVersion)."""
    row = db.session.execute(
        sa.select(CatalogueVersion.version, CatalogueVersion.changed_at)
        .where(CatalogueVersion.id == CATALOGUE_ROW)
    ).first()
    return (row[0], row[1]) if row else (0, None)


def catalogue_stamp(now: datetime | None = None) -> str:
    """Changes whenever any list of events may change; two index look-ups, whatever the
    size of the catalogue.

    The catalogue version row moves in the transaction of any edit (see
    CatalogueVersion); the end time of the next event to end moves when that event
    ends, which is when it leaves the upcoming list for the past one.
    """
    now = now or utcnow()
    version, next_end = db.session.connection().execute(_catalogue_query(), {"now": now}).one()
    return f"{version or 0}:{next_end}"


# --- the event page ---------------------------------------------------------------


@dataclass
class ProgrammeDay:
    """The sessions of one local day of the event."""

    day: date
    starts_at: datetime
    ends_at: datetime
    sessions: list[Session] = field(default_factory=list)


def programme_by_day(event: Event) -> list[ProgrammeDay]:
    """Sessions grouped by the day they fall on in the event's time zone."""
    tz = ZoneInfo(event.timezone)
    days: list[ProgrammeDay] = []
    for s in sorted(event.sessions, key=lambda s: (s.starts_at, s.position, s.id)):
        local_day = s.starts_at.astimezone(tz).date()
        if not days or days[-1].day != local_day:
            days.append(ProgrammeDay(local_day, s.starts_at, s.ends_at))
        current = days[-1]
        current.sessions.append(s)
        current.ends_at = max(current.ends_at, s.ends_at)
    return days


def event_days(event: Event) -> list[tuple[datetime, datetime]]:
    """The (start, end) of each day of the event, for the "when" block.

    Separately registrable parts are the days people choose between (Mestre: Monday
    9:45-17:00, Tuesday 9:00-13:00); otherwise the programme's days; otherwise the
    event's own start and end.
    """
    parts = event.registrable_parts
    if parts:
        return [(p.starts_at, p.ends_at) for p in parts]
    days = programme_by_day(event)
    if len(days) > 1:
        return [(d.starts_at, d.ends_at) for d in days]
    return [(event.starts_at, event.ends_at)]


def public_materials(event: Event) -> list[Material]:
    """Materials anyone may see; registrants-only ones stay on the attendee page."""
    return [m for m in event.materials if m.visibility == Visibility.PUBLIC]


def map_url(venue: Venue) -> str:
    if venue.latitude is not None and venue.longitude is not None:
        return (
            f"https://www.openstreetmap.org/?mlat={venue.latitude:.6f}&mlon={venue.longitude:.6f}"
            f"#map=17/{venue.latitude:.6f}/{venue.longitude:.6f}"
        )
    from urllib.parse import urlencode

    return "https://www.openstreetmap.org/search?" + urlencode({"query": venue.one_line})


_STATUS_URL = {
    EventStatus.PUBLISHED: "https://schema.org/EventScheduled",
    EventStatus.CANCELLED: "https://schema.org/EventCancelled",
}
_MODE_URL = {
    EventFormat.IN_PERSON: "https://schema.org/OfflineEventAttendanceMode",
    EventFormat.ONLINE: "https://schema.org/OnlineEventAttendanceMode",
    EventFormat.HYBRID: "https://schema.org/MixedEventAttendanceMode",
}


def event_description_text(event: Event, limit: int = 300) -> str:
    text = tr(event, "summary") or markdown_to_text(tr(event, "description"))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def event_structured_data(event: Event, page_url: str, organiser_name: str, *,
                          base_url: str = "", image_url: str = "") -> dict:
    """schema.org Event for search engines. Never carries the private join URL.

    With `base_url` (a request is running) it also links the venue's and speakers'
    pages, the organiser's site, the registration form as a free Offer, and the
    registrable parts as subEvents: the properties Google's event rich results
    require (name, startDate, location) and recommend (description, endDate,
    eventStatus, eventAttendanceMode, image, offers, organizer, performer).
    """
    tz = ZoneInfo(event.timezone)
    data: dict = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": tr(event, "title"),
        "description": event_description_text(event, 500),
        "url": page_url,
        "startDate": event.starts_at.astimezone(tz).isoformat(),
        "endDate": event.ends_at.astimezone(tz).isoformat(),
        "eventStatus": _STATUS_URL.get(event.status, "https://schema.org/EventScheduled"),
        "eventAttendanceMode": _MODE_URL[event.format],
        "inLanguage": localized(event, "title").lang,
    }
    locations: list[dict] = []
    if event.has_venue:
        v = event.venue
        place: dict = {
            "@type": "Place",
            "name": tr(v, "name"),
            "address": {
                "@type": "PostalAddress",
                "streetAddress": v.address,
                "addressLocality": v.city,
                "postalCode": v.postcode,
                "addressCountry": v.country,
            },
        }
        if v.latitude is not None and v.longitude is not None:
            place["geo"] = {"@type": "GeoCoordinates", "latitude": v.latitude, "longitude": v.longitude}
        locations.append(place)
    if event.is_online:
        # The event page stands in for the joining link, which only registrants get.
        locations.append({"@type": "VirtualLocation", "url": page_url})
    if locations:
        data["location"] = locations[0] if len(locations) == 1 else locations
    organizer: dict = {"@type": "Organization", "name": organiser_name}
    if event.contact_email:
        organizer["email"] = event.contact_email
    if event.contact_phone:
        organizer["telephone"] = event.contact_phone
    data["organizer"] = organizer
    speakers = {sp.id: sp for s in event.sessions for sp in s.speakers}
    if speakers:
        data["performer"] = [
            {"@type": "Person", "name": sp.name, **({"affiliation": {"@type": "Organization", "name": sp.affiliation}} if sp.affiliation else {})}
            for sp in speakers.values()
        ]
    if event.project is not None:
        data["funder"] = {"@type": "Organization", "name": event.project.programme or event.project.name}
    if image_url:
        data["image"] = [image_url]
    if base_url:
        _link_structured_data(data, event, base_url)
    return data


def _link_structured_data(data: dict, event: Event, base_url: str) -> None:
    data["organizer"]["url"] = base_url + url_for("main.home")
    place = data.get("location")
    if event.has_venue and place:
        first = place[0] if isinstance(place, list) else place
        first["url"] = base_url + url_for("directory.venue", slug=event.venue.slug)
    performers = {sp.id: sp for s in event.sessions for sp in s.speakers}
    for person, sp in zip(data.get("performer", []), performers.values(), strict=True):
        person["url"] = base_url + url_for("directory.speaker", slug=sp.slug)
    if (event.registration_mode == RegistrationMode.REQUIRED and not event.is_cancelled):
        offer: dict = {
            "@type": "Offer",
            "price": 0,
            "priceCurrency": "EUR",
            "url": base_url + url_for("registrations.register", slug=event.slug),
            "availability": "https://schema.org/InStock",
        }
        if event.registration_opens_at:
            offer["validFrom"] = event.registration_opens_at.astimezone(
                ZoneInfo(event.timezone)).isoformat()
        data["offers"] = offer
    parts = event.registrable_parts
    if len(parts) > 1:
        tz = ZoneInfo(event.timezone)
        data["subEvent"] = [
            {
                "@type": "Event",
                "name": tr(part, "title"),
                "startDate": part.starts_at.astimezone(tz).isoformat(),
                "endDate": part.ends_at.astimezone(tz).isoformat(),
                "eventAttendanceMode": data["eventAttendanceMode"],
                "eventStatus": data["eventStatus"],
                **({"location": data["location"]} if "location" in data else {}),
            }
            for part in parts
        ]


def json_for_script(data: dict) -> Markup:
    """JSON safe inside <script>: no character of it can close the element or open a comment."""
    text = json.dumps(data, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


# --- projects -----------------------------------------------------------------------


def get_project(slug: str) -> Project | None:
    return db.session.scalars(sa.select(Project).where(Project.slug == slug)).one_or_none()


def public_event_counts() -> dict[int, int]:
    """Number of public events per project id, in one query."""
    rows = db.session.execute(
        sa.select(Event.project_id, sa.func.count(Event.id))
        .where(Event.status.in_(PUBLIC_STATUSES), Event.project_id.is_not(None))
        .group_by(Event.project_id)
    )
    return {pid: n for pid, n in rows}


def project_recordings(project: Project) -> list[Material]:
    """Public recordings of the project's public events, newest event first."""
    return public_recordings(project=project)


def public_recordings(*, project: Project | None = None, limit: int | None = None) -> list[Material]:
    """Public recordings of public events (of one project, if given): newest event first,
    each event's in the organiser's order."""
    stmt = (
        sa.select(Material)
        .join(Material.event)
        .where(
            Material.kind == MaterialKind.RECORDING,
            Material.visibility == Visibility.PUBLIC,
            is_public(),
        )
        .options(so.contains_eager(Material.event))
        .order_by(Event.starts_at.desc(), Material.position, Material.id)
        .limit(limit)
    )
    if project is not None:
        stmt = stmt.where(Event.project_id == project.id)
    return list(db.session.scalars(stmt).unique())


def project_events(project: Project, now: datetime | None = None) -> tuple[list[Event], list[Event]]:
    """(upcoming, past) public events of a project."""
    now = now or utcnow()
    events = list(
        db.session.scalars(
            sa.select(Event)
            .where(Event.project_id == project.id, Event.status.in_(PUBLIC_STATUSES))
            .order_by(Event.starts_at, Event.id)
        ).unique()
    )
    upcoming = [e for e in events if e.ends_at >= now]
    past = [e for e in reversed(events) if e.ends_at < now]
    return upcoming, past

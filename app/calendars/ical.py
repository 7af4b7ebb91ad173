"""iCalendar documents (RFC 5545, RFC 7986): one event, the public and personal feeds, invites.

Every function here takes models and returns bytes; no request is needed. Feeds are
deterministic for the same data (DTSTAMP is the event's last change), so the same
cache key always stands for the same bytes on every worker and host.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import parseaddr
from zoneinfo import ZoneInfo

import icalendar
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from app.db import utcnow
from app.events.labels import EVENT_KINDS, label
from app.events.models import Event, EventFormat, Session
from app.i18n import tr
from app.registrations.online import join_link, recording_link
from app.text import markdown_to_text

PRODID = "-//Eventi//Eventi calendars 1.0//EN"
REFRESH = "PT1H"  # how often subscribed calendars should poll (X-PUBLISHED-TTL)
REFRESH_INTERVAL = timedelta(hours=1)  # the same, as RFC 7986 REFRESH-INTERVAL


# --- identifiers and URLs (a contract: subscribed calendars match on UIDs) -----------------

def _domain() -> str:
    return current_app.config["UID_DOMAIN"]


def event_uid(event: Event) -> str:
    return f"event-{event.id}@{_domain()}"


def session_uid(session: Session) -> str:
    kind = "part" if session.registrable else "session"
    return f"event-{session.event_id}-{kind}-{session.id}@{_domain()}"


def base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def event_url(event: Event) -> str:
    return f"{base_url()}/events/{event.slug}/"


def attendee_url(token: str) -> str:
    return f"{base_url()}/registrations/{token}/"


# --- time zones ---------------------------------------------------------------------------

@functools.lru_cache(maxsize=64)
def zone(tzid: str) -> ZoneInfo:
    return ZoneInfo(tzid)


def _transitions(tz: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, timedelta, timedelta, str, bool]]:
    """(instant UTC, offset before, offset after, name after, is DST after) for every change."""
    found = []
    step = timedelta(days=1)
    t = start
    prev = t.astimezone(tz).utcoffset()
    while t < end:
        nxt = t + step
        off = nxt.astimezone(tz).utcoffset()
        if off != prev:
            lo, hi = int(t.timestamp()), int(nxt.timestamp())  # bisect to the second
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if datetime.fromtimestamp(mid, UTC).astimezone(tz).utcoffset() == prev:
                    lo = mid
                else:
                    hi = mid
            hi = datetime.fromtimestamp(hi, UTC)
            local = hi.astimezone(tz)
            found.append((hi, prev, off, local.tzname() or "", bool(local.dst())))
            prev = off
        t = nxt
    return found


def _byday(d: date) -> str:
    weekday = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[d.weekday()]
    next_month = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
    if (next_month - d).days <= 7:
        return f"-1{weekday}"
    return f"{(d.day - 1) // 7 + 1}{weekday}"


@functools.lru_cache(maxsize=128)
def vtimezone(tzid: str, first_year: int, last_year: int) -> icalendar.Timezone:
    """A VTIMEZONE with the zone's real rules for the years the calendar uses.

    Built from the tz database rather than icalendar's generator because RFC 5545
    wants each observance's DTSTART in the local time *before* the change
    (02:00 for Europe/Rome in March, 03:00 in October); icalendar writes 03:00 for
    both, and clients then put the spring change an hour late. A regular yearly
    pattern becomes an RRULE (what Outlook and Apple expect), anything else RDATEs.
    Cached per zone and window: the window is a handful of years, not 1970-2038.
    """
    tz = zone(tzid)
    start = datetime(first_year - 1, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 12, 31, tzinfo=UTC)
    vtz = icalendar.Timezone()
    vtz.add("tzid", tzid)
    vtz.add("x-lic-location", tzid)
    changes = _transitions(tz, start, end)
    if not changes:
        local = start.astimezone(tz)
        obs = icalendar.TimezoneStandard()
        obs.add("dtstart", datetime(first_year - 1, 1, 1))
        obs.add("tzoffsetfrom", local.utcoffset())
        obs.add("tzoffsetto", local.utcoffset())
        obs.add("tzname", local.tzname() or tzid)
        vtz.add_component(obs)
        return vtz
    groups: dict[tuple, list[datetime]] = {}
    for instant, before, after, name, is_dst in changes:
        # Observance onset as wall-clock time in the offset in force before it.
        groups.setdefault((is_dst, before, after, name), []).append(
            (instant + before).replace(tzinfo=None)
        )
    for (is_dst, before, after, name), starts in groups.items():
        obs = icalendar.TimezoneDaylight() if is_dst else icalendar.TimezoneStandard()
        obs.add("dtstart", starts[0])
        shapes = {(s.month, _byday(s.date()), s.time()) for s in starts}
        years = [s.year for s in starts]
        yearly = len(shapes) == 1 and years == list(range(years[0], years[0] + len(years)))
        if yearly and len(starts) > 1:
            month, byday, _time = shapes.pop()
            rule = {"freq": "YEARLY", "bymonth": month, "byday": byday}
            if years[-1] < end.year - 1:  # the pattern stopped inside the window
                rule["until"] = (starts[-1] - before).replace(tzinfo=UTC)
            obs.add("rrule", rule)
        else:
            for s in starts[1:]:
                obs.add("rdate", s)
        obs.add("tzoffsetfrom", before)
        obs.add("tzoffsetto", after)
        obs.add("tzname", name)
        vtz.add_component(obs)
    return vtz


# --- what goes into one VEVENT ------------------------------------------------------------

@dataclass
class Entry:
    """One VEVENT: an event, one registrable part of it, or a programme session."""

    uid: str
    event: Event
    start: datetime
    end: datetime
    summary: str
    description: str
    location: str
    status: str
    geo: tuple[float, float] | None = None
    attendees: list[icalendar.vCalAddress] = field(default_factory=list)
    # The SEQUENCE this recipient's calendar must see; None: the event's own.
    sequence: int | None = None


def organiser(event: Event) -> icalendar.vCalAddress:
    email = event.contact_email or parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
    address = icalendar.vCalAddress(f"mailto:{email}")
    address.params["CN"] = event.contact_name or current_app.config["ORGANISATION_NAME"]
    return address


def place(event: Event, attendance: str | None = None) -> tuple[str, tuple[float, float] | None]:
    """LOCATION text and GEO: the venue and its address, "Online", or both for hybrid events."""
    online = _("Online")
    if event.format == EventFormat.ONLINE or attendance == "online":
        return online, None
    venue = event.venue
    if venue is None:
        return (online if event.is_online else ""), None
    where = venue.one_line
    geo = (venue.latitude, venue.longitude) if venue.latitude is not None and venue.longitude is not None else None
    if event.format == EventFormat.HYBRID and attendance is None:
        where = _("%(place)s and online", place=where)
    return where, geo


def _status(event: Event) -> str:
    return "CANCELLED" if event.is_cancelled else "CONFIRMED"


def _event_text(event: Event, extra: Sequence[str] = ()) -> str:
    # Each text in the language being rendered (the request's, or the registrant's
    # under force_locale), else the original.
    paragraphs = [tr(event, "summary").strip(), markdown_to_text(tr(event, "description"))]
    paragraphs += list(extra)
    paragraphs.append(event_url(event))
    return "\n\n".join(p for p in paragraphs if p)


def _session_text(session: Session) -> str:
    lines = []
    if session.speakers:
        lines.append(", ".join(
            f"{s.name} ({s.affiliation})" if s.affiliation else s.name for s in session.speakers
        ))
    description = tr(session, "description")
    if description:
        lines.append(markdown_to_text(description))
    return "\n\n".join(lines)


def event_entries(
    event: Event,
    parts: Sequence[Session] | None = None,
    *,
    attendance: str | None = None,
    status: str | None = None,
    extra: Sequence[str] = (),
) -> list[Entry]:
    """The event as people attend it: one entry per registrable part given, else one entry."""
    where, geo = place(event, attendance)
    status = status or _status(event)
    text = _event_text(event, extra)
    if not parts:
        return [Entry(event_uid(event), event, event.starts_at, event.ends_at, tr(event, "title"),
                      text, where, status, geo)]
    title = tr(event, "title")
    return [
        Entry(session_uid(part), event, part.starts_at, part.ends_at,
              f"{title} – {tr(part, 'title')}", "\n\n".join(p for p in (_session_text(part), text) if p),
              where, status, geo)
        for part in parts
    ]


def programme_entries(event: Event) -> list[Entry]:
    """Every programme session as its own entry (?programme=1)."""
    if not event.sessions:
        return event_entries(event)
    where, geo = place(event)
    status = _status(event)
    entries = []
    title = tr(event, "title")
    for s in event.sessions:
        location = f"{s.room}, {where}" if s.room and where else (s.room or where)
        text = "\n\n".join(p for p in (_session_text(s), title, event_url(event)) if p)
        entries.append(Entry(session_uid(s), event, s.starts_at, s.ends_at,
                             f"{tr(s, 'title')} – {title}", text, location, status, geo))
    return entries


# --- serialising --------------------------------------------------------------------------

def _vevent(entry: Entry, *, stamp: datetime | None, categories: dict[int, list[str]]) -> icalendar.Event:
    event = entry.event
    tz = zone(event.timezone)
    ve = icalendar.Event()
    ve.add("uid", entry.uid)
    ve.add("dtstamp", (stamp or event.updated_at).astimezone(UTC))
    # Wall-clock time plus TZID, written directly: the same text icalendar makes from
    # an aware datetime, without it looking up the zone's aliases for every value.
    tzid = {"TZID": event.timezone}
    ve.add("dtstart", entry.start.astimezone(tz).replace(tzinfo=None), parameters=tzid)
    ve.add("dtend", entry.end.astimezone(tz).replace(tzinfo=None), parameters=dict(tzid))
    ve.add("sequence", entry.sequence if entry.sequence is not None else (event.sequence or 0))
    ve.add("created", event.created_at.astimezone(UTC))
    ve.add("last-modified", event.updated_at.astimezone(UTC))
    ve.add("summary", entry.summary)
    if entry.description:
        ve.add("description", entry.description)
    if entry.location:
        ve.add("location", entry.location)
    if entry.geo:
        ve.add("geo", entry.geo)
    ve.add("url", event_url(event), parameters={"VALUE": "URI"})
    cats = categories.get(event.id)
    if cats is None:
        cats = [label(EVENT_KINDS, event.kind)]
        if event.project is not None:
            cats.append(event.project.acronym or event.project.name)
        categories[event.id] = cats
    ve.add("categories", cats)
    ve.add("organizer", organiser(event))
    for attendee in entry.attendees:
        ve.add("attendee", attendee)
    ve.add("status", entry.status)
    ve.add("transp", "TRANSPARENT" if entry.status == "CANCELLED" else "OPAQUE")
    return ve


def _calendar(method: str, name: str | None, description: str | None, feed: bool) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("version", "2.0")
    cal.add("prodid", PRODID)
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    if name:
        cal.add("name", name)
        cal.add("x-wr-calname", name)
    if description:
        cal.add("description", description)
        cal.add("x-wr-caldesc", description)
    if feed:
        cal.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", REFRESH)
        cal.add("x-wr-timezone", current_app.config["DEFAULT_TIMEZONE"])
    return cal


def _widen(years: dict[str, tuple[int, int]], tzid: str, lo: int, hi: int) -> None:
    if tzid in years:
        lo, hi = min(lo, years[tzid][0]), max(hi, years[tzid][1])
    years[tzid] = (lo, hi)


def build_calendar(
    entries: Iterable[Entry],
    *,
    method: str,
    name: str | None = None,
    description: str | None = None,
    stamp: datetime | None = None,
    feed: bool = True,
) -> bytes:
    """Serialise entries as a VCALENDAR with one VTIMEZONE per zone used."""
    cal = _calendar(method, name, description, feed)
    years: dict[str, tuple[int, int]] = {}
    vevents = []
    categories: dict[int, list[str]] = {}
    for entry in entries:
        _widen(years, entry.event.timezone, entry.start.year, entry.end.year)
        vevents.append(_vevent(entry, stamp=stamp, categories=categories))
    for tzid, (lo, hi) in sorted(years.items()):
        cal.add_component(vtimezone(tzid, lo, hi))
    for ve in vevents:
        cal.add_component(ve)
    return cal.to_ical()


# --- the public feed, joined from per-event fragments ---------------------------------------

_END = b"END:VCALENDAR\r\n"


def event_fragment(event: Event, parts: Sequence[Session] | None) -> bytes:
    """One event's VEVENTs in the public feed (one per registrable part, else one),
    serialised, after a first line naming its zone and the years they span: the unit
    the feed caches per event, version and language, and joins on a build."""
    entries = event_entries(event, parts)
    categories: dict[int, list[str]] = {}
    body = b"".join(_vevent(e, stamp=None, categories=categories).to_ical() for e in entries)
    lo = min(e.start.year for e in entries)
    hi = max(e.end.year for e in entries)
    return f"{event.timezone} {lo} {hi}\n".encode() + body


def join_feed(fragments: Iterable[bytes], *, name: str, description: str = "") -> bytes:
    """The public feed from event fragments: the same bytes build_calendar writes."""
    years: dict[str, tuple[int, int]] = {}
    bodies = []
    for fragment in fragments:
        head, body = fragment.split(b"\n", 1)
        tzid, lo, hi = head.decode().split(" ")
        _widen(years, tzid, int(lo), int(hi))
        bodies.append(body)
    cal = _calendar("PUBLISH", name, description or None, True)
    for tzid, (lo, hi) in sorted(years.items()):
        cal.add_component(vtimezone(tzid, lo, hi))
    head = cal.to_ical()
    return head[: -len(_END)] + b"".join(bodies) + _END


# --- the documents ------------------------------------------------------------------------

def render_event_ics(event: Event, *, programme: bool = False) -> bytes:
    entries = programme_entries(event) if programme else event_entries(event, event.registrable_parts)
    return build_calendar(entries, method="PUBLISH", name=tr(event, "title"), feed=False)


def render_public_feed(
    events: Iterable[Event], parts: dict[int, list[Session]], *, name: str, description: str = ""
) -> bytes:
    return join_feed((event_fragment(e, parts.get(e.id)) for e in events),
                     name=name, description=description)


def registration_parts(registration) -> list[Session]:
    """The parts this person attends; everything registrable when none was chosen."""
    chosen = list(registration.parts)
    if chosen:
        return chosen
    return registration.event.registrable_parts


def registration_entries(registration, *, status: str | None = None,
                         sequence: int | None = None, now: datetime | None = None) -> list[Entry]:
    """The registrant's view of the event.

    Their own documents (invite, attendee page download, personal feed) carry the join
    link of a confirmed online seat while it is valid, then the recording. No management
    link ever goes into a calendar: a feed URL is read-only by design and easily shared
    (calendar apps sync it to other devices and people), so each entry links to the
    public event page instead. A cancelled registration reads CANCELLED, never TENTATIVE.
    `sequence` is what this recipient's calendar must see (see invites.entry_sequence).
    """
    event = registration.event
    confirmed = registration.is_confirmed
    extra = []
    if confirmed and not event.is_cancelled:
        if link := join_link(registration, now):
            extra.append(_("Link to join online: %(url)s", url=link))
        elif recording := recording_link(registration, now):
            extra.append(_("Recording: %(url)s", url=recording))
    if status is None:
        if event.is_cancelled or registration.is_cancelled:
            status = "CANCELLED"
        else:
            status = "CONFIRMED" if confirmed else "TENTATIVE"
    mode = "online" if registration.is_online else ("in_person" if event.format == EventFormat.HYBRID else None)
    entries = event_entries(event, registration_parts(registration), attendance=mode,
                            status=status, extra=extra)
    for entry in entries:
        entry.sequence = sequence
    return entries


def render_personal_feed(registrations: Sequence, *, name: str,
                         sequences: dict[int, int] | None = None) -> bytes:
    entries: list[Entry] = []
    seen: set[str] = set()
    sequences = sequences or {}
    for registration in registrations:
        for entry in registration_entries(registration,
                                          sequence=sequences.get(registration.id)):
            if entry.uid not in seen:
                seen.add(entry.uid)
                entries.append(entry)
    return build_calendar(entries, method="PUBLISH", name=name)


def render_invite(registration, method: str = "REQUEST", sequence: int | None = None) -> bytes:
    """An iTIP REQUEST or CANCEL (RFC 5546) for one registrant, in their language."""
    with force_locale(registration.language or "it"):
        status = "CANCELLED" if method == "CANCEL" else None
        entries = registration_entries(registration, status=status,
                                       sequence=sequence)
        attendee = icalendar.vCalAddress(f"mailto:{registration.email}")
        attendee.params["CN"] = registration.full_name or registration.email
        attendee.params["ROLE"] = "REQ-PARTICIPANT"
        if method == "CANCEL":
            attendee.params["PARTSTAT"] = "DECLINED"
        else:
            attendee.params["PARTSTAT"] = "ACCEPTED" if registration.is_confirmed else "TENTATIVE"
        attendee.params["RSVP"] = "FALSE"
        for entry in entries:
            entry.attendees = [attendee]
        return build_calendar(entries, method=method, stamp=utcnow(), feed=False)

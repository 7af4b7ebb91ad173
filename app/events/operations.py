"""Back-office changes to events, their programme and shared records.

Every function validates its input, writes, flushes, adds an audit entry and sends
the signals of app.events.signals; none commits (the caller owns the transaction).
Refusals raise OperationError naming the field, so a view can show the message
beside it.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln

from app.audit import record
from app.db import utcnow
from app.errors import DomainError
from app.events import signals
from app.events.models import (
    Event,
    EventStatus,
    Material,
    MaterialKind,
    Project,
    RegistrationMode,
    Session,
    Speaker,
    Venue,
    session_speakers,
)
from app.extensions import db
from app.files import services as files
from app.files.services import Upload
from app.text import slugify

if TYPE_CHECKING:
    from app.auth.models import User


class OperationError(DomainError):
    """A change to an event, its programme or a shared record, refused for a reason the
    person can fix; `field` names the form field."""


SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX = 120

EVENT_FIELDS = frozenset({
    "title", "slug", "summary", "description", "kind", "format", "timezone", "starts_at",
    "ends_at", "language", "venue_id", "project_id", "contact_name", "contact_email",
    "contact_phone", "contact_notes", "online_join_url", "registration_mode",
    "registration_url", "registration_opens_at", "registration_closes_at", "capacity",
    "capacity_in_person", "capacity_online", "waitlist_enabled", "reminder_hours_before",
    "title_en", "summary_en", "description_en",
    "email_note", "email_note_en",
})
# A change to any of these moves the iCalendar SEQUENCE: calendars must update the entry.
SCHEDULE_FIELDS = frozenset({"starts_at", "ends_at", "timezone", "venue_id", "format", "status"})
URL_FIELDS = ("online_join_url", "registration_url")
CAPACITY_FIELDS = ("capacity", "capacity_in_person", "capacity_online")

SESSION_FIELDS = frozenset({
    "title", "description", "starts_at", "ends_at", "room", "kind", "registrable", "capacity",
    "capacity_in_person", "capacity_online", "registration_closes_at", "title_en", "description_en",
})
# A part's seats or window changed: new seats go to its waiting list at once.
PART_CAPACITY_FIELDS = ("capacity", "capacity_in_person", "capacity_online", "registration_closes_at")
MATERIAL_FIELDS = frozenset({"kind", "title", "title_en", "url", "visibility", "session_id"})
VENUE_FIELDS = frozenset({
    "name", "address", "city", "postcode", "country", "latitude", "longitude",
    "accessibility_notes", "name_en", "accessibility_notes_en",
})
PROJECT_FIELDS = frozenset({
    "name", "slug", "acronym", "programme", "description", "website", "starts_on", "ends_on",
    "budget", "funding", "partners", "status", "priority", "name_en", "description_en",
})
SPEAKER_FIELDS = frozenset({"name", "affiliation", "role", "bio"})


# ---------------------------------------------------------------- helpers


def is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _check_url(value: str | None, field: str) -> None:
    if value and not is_http_url(value):
        raise OperationError(_l("Enter a web address starting with http:// or https://."), field)


def _check_lengths(model: type, values: Mapping[str, Any]) -> None:
    """Refuse text longer than its column, whatever the caller validated before."""
    table = model.__table__
    for name, value in values.items():
        column = table.columns.get(name)
        length = getattr(getattr(column, "type", None), "length", None)
        if isinstance(value, str) and length and len(value) > length:
            raise OperationError(
                _l("At most %(max)d characters, please.", max=length), name
            )


def _audit_value(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_audit_value(v) for v in value]
    return value


def _audit_changes(changes: Mapping[str, tuple[Any, Any]]) -> dict[str, list[Any]]:
    return {k: [_audit_value(old), _audit_value(new)] for k, (old, new) in changes.items()}


def _apply(obj: Any, values: Mapping[str, Any], allowed: frozenset[str]) -> dict[str, tuple]:
    unknown = set(values) - allowed
    if unknown:
        raise TypeError(f"unknown fields for {type(obj).__name__}: {sorted(unknown)}")
    changes: dict[str, tuple] = {}
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            setattr(obj, name, new)
            changes[name] = (old, new)
    return changes


def _label(obj: Any) -> str:
    return str(getattr(obj, "title", None) or getattr(obj, "name", None) or obj)


# ---------------------------------------------------------------- events


def unique_slug(base: str, model: type = Event, exclude_id: int | None = None) -> str:
    """`base`, or `base-2`, `base-3`... whichever is still free."""
    base = slugify(base, max_length=SLUG_MAX - 4)
    candidate, n = base, 1
    while True:
        stmt = sa.select(model.id).where(model.slug == candidate)
        if exclude_id is not None:
            stmt = stmt.where(model.id != exclude_id)
        if db.session.scalar(stmt.limit(1)) is None:
            return candidate
        n += 1
        candidate = f"{base}-{n}"


def _check_slug(slug: str, model: type, exclude_id: int | None) -> None:
    if len(slug) > SLUG_MAX or not SLUG_RE.match(slug):
        raise OperationError(
            _l("Use lower-case letters, digits and hyphens only (e.g. final-conference-venice)."),
            "slug",
        )
    stmt = sa.select(model.id).where(model.slug == slug)
    if exclude_id is not None:
        stmt = stmt.where(model.id != exclude_id)
    if db.session.scalar(stmt.limit(1)) is not None:
        raise OperationError(_l("This address is already used by another page."), "slug")


# --- rules -------------------------------------------------------------------------
# Each returns the (field, message) problems it finds among the values given, skipping
# what is missing: the operations raise the first, the forms show them all beside
# their fields, so each rule is written once.

Problem = tuple[str, Any]


def event_time_problems(starts: datetime | None, ends: datetime | None,
                        opens: datetime | None, closes: datetime | None) -> list[Problem]:
    """An event ends after it starts; registration opens before it closes, and closes
    before the event ends."""
    problems: list[Problem] = []
    if starts and ends and ends <= starts:
        problems.append(("ends_at", _l("The end must come after the start.")))
    if closes and ends and closes > ends:
        problems.append(("registration_closes_at",
                         _l("Registration must close before the event ends.")))
    if opens and closes and opens >= closes:
        problems.append(("registration_opens_at", _l("Registration must open before it closes.")))
    return problems


def registration_mode_problems(mode: Any, url: str | None) -> list[Problem]:
    """Registration on another site needs that site's address."""
    if str(mode or "") == RegistrationMode.EXTERNAL.value and not url:
        return [("registration_url", _l("Give the address of the external registration page."))]
    return []


def session_time_problems(event: Event, starts: datetime | None,
                          ends: datetime | None) -> list[Problem]:
    """A session ends after it starts, and lies within its event's dates."""
    problems: list[Problem] = []
    if starts and ends and ends <= starts:
        problems.append(("ends_at", _l("The end must come after the start.")))
    if starts and not event.starts_at <= starts <= event.ends_at:
        problems.append(("starts_at", _l("The session must start within the event's dates.")))
    if ends and ends > event.ends_at:
        problems.append(("ends_at", _l("The session must end within the event's dates.")))
    return problems


def period_problems(starts: date | None, ends: date | None, field: str = "ends_on") -> list[Problem]:
    """A period (a project's) ends on or after the day it starts."""
    if starts and ends and ends < starts:
        return [(field, _l("The end must come after the start."))]
    return []


def _raise_first(problems: list[Problem]) -> None:
    if problems:
        field, message = problems[0]
        raise OperationError(message, field)


def _merged(values: Mapping[str, Any], current: Any) -> Callable[[str], Any]:
    """A getter for the values a change would leave: the new one where given, else the
    record's current one (None for a record not yet created)."""

    def get(name: str) -> Any:
        if name in values:
            return values[name]
        return getattr(current, name) if current is not None else None

    return get


def _validate_event(values: dict[str, Any], event: Event | None) -> None:
    """Checks on the merged values (the event's current ones overlaid with the new)."""
    get = _merged(values, event)
    _check_lengths(Event, values)
    if not (get("title") or "").strip():
        raise OperationError(_l("A title is required."), "title")
    tz = get("timezone") or "Europe/Rome"
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise OperationError(_l("Unknown time zone."), "timezone") from exc
    starts, ends = get("starts_at"), get("ends_at")
    if starts is None:
        raise OperationError(_l("A start date and time is required."), "starts_at")
    if ends is None:
        raise OperationError(_l("An end date and time is required."), "ends_at")
    for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
        value = get(name)
        if value is not None and value.tzinfo is None:
            raise TypeError(f"{name} must be timezone-aware")
    _raise_first(event_time_problems(starts, ends, get("registration_opens_at"),
                                     get("registration_closes_at")))
    for name in CAPACITY_FIELDS:
        value = get(name)
        if value is not None and value < 0:
            raise OperationError(_l("A capacity cannot be negative."), name)
    hours = get("reminder_hours_before")
    if hours is not None and not 0 <= hours <= 24 * 30:
        raise OperationError(_l("Between 0 and 720 hours."), "reminder_hours_before")
    for name in URL_FIELDS:
        _check_url(get(name), name)
    _raise_first(registration_mode_problems(get("registration_mode"), get("registration_url")))
    if event is not None and ("starts_at" in values or "ends_at" in values):
        outside = [s for s in event.sessions if s.starts_at < starts or s.ends_at > ends]
        if outside:
            raise OperationError(
                _l("Session “%(title)s” would fall outside the event: move it first.",
                   title=outside[0].title),
                "starts_at" if outside[0].starts_at < starts else "ends_at",
            )


def _check_organisers(organisers: Iterable[User]) -> list[User]:
    return list(dict.fromkeys(organisers))


def create_event(values: Mapping[str, Any], *, user: User,
                 organisers: Sequence[User] | None = None) -> Event:
    """A new draft event; an organiser who creates it becomes one of its organisers."""
    values = dict(values)
    unknown = set(values) - EVENT_FIELDS
    if unknown:
        raise TypeError(f"unknown event fields: {sorted(unknown)}")
    _validate_event(values, None)
    slug = (values.pop("slug", "") or "").strip()
    if slug:
        _check_slug(slug, Event, None)
    else:
        slug = unique_slug(values["title"])
    event = Event(slug=slug, status=EventStatus.DRAFT, **values)
    people = _check_organisers(organisers or [])
    if not user.is_admin and user not in people:
        people.append(user)
    event.organisers = people
    db.session.add(event)
    db.session.flush()
    record("event.create", event, user=user, summary=event.title,
           organisers=[u.email for u in people])
    return event


def update_event(event: Event, values: Mapping[str, Any], *, user: User,
                 organisers: Sequence[User] | None = None) -> dict[str, tuple]:
    """Apply an edit; returns the changes {field: (old, new)} (empty when nothing changed)."""
    values = dict(values)
    if "slug" in values:
        slug = (values["slug"] or "").strip() or unique_slug(values.get("title") or event.title,
                                                               exclude_id=event.id)
        values["slug"] = slug
        if slug != event.slug:
            _check_slug(slug, Event, event.id)
    _validate_event(values, event)
    changes = _apply(event, values, EVENT_FIELDS)
    if organisers is not None:
        people = _check_organisers(organisers)
        old = sorted(u.email for u in event.organisers)
        new = sorted(u.email for u in people)
        if old != new:
            event.organisers = people
            changes["organisers"] = (old, new)
    if not changes:
        return changes
    if "slug" in changes:
        # A file's address names the event: the page links to the new one (links shared
        # under the old one are redirected, see events.views.material_file).
        for material in event.materials:
            if material.url == _file_url(material, changes["slug"][0]):
                material.url = material_file_url(material)
    event.bump_version(schedule_changed=bool(SCHEDULE_FIELDS & changes.keys()))
    db.session.flush()
    record("event.update", event, user=user, summary=event.title,
           changes=_audit_changes(changes))
    signals.event_updated.send(event, changes=changes, user=user)
    return changes


def publish_event(event: Event, *, user: User) -> None:
    if event.status == EventStatus.PUBLISHED:
        raise OperationError(_l("The event is already published."))
    if event.status == EventStatus.CANCELLED:
        raise OperationError(_l("A cancelled event cannot be published again; duplicate it."))
    event.status = EventStatus.PUBLISHED
    event.published_at = event.published_at or utcnow()
    event.bump_version(schedule_changed=True)
    db.session.flush()
    record("event.publish", event, user=user, summary=event.title)
    signals.event_published.send(event, user=user)


def unpublish_event(event: Event, *, user: User) -> None:
    """Back to draft: the page disappears from the site."""
    if event.status != EventStatus.PUBLISHED:
        raise OperationError(_l("Only a published event can be withdrawn."))
    event.status = EventStatus.DRAFT
    event.bump_version(schedule_changed=True)
    db.session.flush()
    record("event.unpublish", event, user=user, summary=event.title)
    signals.event_updated.send(
        event, changes={"status": (EventStatus.PUBLISHED, EventStatus.DRAFT)}, user=user
    )


def cancel_event(event: Event, *, user: User, reason: str) -> None:
    """The page stays public with a cancelled banner and the reason; calendars receive
    STATUS:CANCELLED, and registrants an e-mail with the reason."""
    if event.status == EventStatus.CANCELLED:
        raise OperationError(_l("The event is already cancelled."))
    reason = (reason or "").strip()
    if not reason:
        raise OperationError(_l("Say why the event is cancelled."), field="reason")
    old = event.status
    event.status = EventStatus.CANCELLED
    event.cancellation_reason = reason[:1000]
    event.cancelled_at = utcnow()
    if old == EventStatus.DRAFT:
        event.published_at = event.published_at or event.cancelled_at
    event.bump_version(schedule_changed=True)
    db.session.flush()
    record("event.cancel", event, user=user, summary=event.title, previous=old.value)
    signals.event_cancelled.send(event, user=user)


def duplicate_event(event: Event, *, user: User) -> Event:
    """A draft copy with the same details and programme (no materials, no registrations)."""
    copied = {name: getattr(event, name) for name in EVENT_FIELDS - {"slug"}}
    copy = Event(slug=unique_slug(event.slug), status=EventStatus.DRAFT, **copied)
    people = list(event.organisers)
    if not user.is_admin and user not in people:
        people.append(user)
    copy.organisers = people
    for s in event.sessions:
        copy.sessions.append(Session(
            title=s.title, description=s.description, starts_at=s.starts_at,
            ends_at=s.ends_at, room=s.room, kind=s.kind, position=s.position,
            registrable=s.registrable, capacity=s.capacity, speakers=list(s.speakers),
            capacity_in_person=s.capacity_in_person, capacity_online=s.capacity_online,
            registration_closes_at=s.registration_closes_at,
        ))
    db.session.add(copy)
    db.session.flush()
    record("event.duplicate", copy, user=user, summary=copy.title, source_id=event.id)
    return copy


# ---------------------------------------------------------------- programme


def _validate_session(event: Event, values: Mapping[str, Any], current: Session | None) -> None:
    get = _merged(values, current)
    _check_lengths(Session, values)
    if not (get("title") or "").strip():
        raise OperationError(_l("A title is required."), "title")
    starts, ends = get("starts_at"), get("ends_at")
    if starts is None:
        raise OperationError(_l("A start date and time is required."), "starts_at")
    if ends is None:
        raise OperationError(_l("An end date and time is required."), "ends_at")
    if starts.tzinfo is None or ends.tzinfo is None:
        raise TypeError("session times must be timezone-aware")
    _raise_first(session_time_problems(event, starts, ends))
    for name in ("capacity", "capacity_in_person", "capacity_online"):
        capacity = get(name)
        if capacity is not None and capacity < 0:
            raise OperationError(_l("A capacity cannot be negative."), name)
    closes = get("registration_closes_at")
    if closes is not None and closes > ends:
        raise OperationError(_l("Registration for a part must close before the part ends."),
                             "registration_closes_at")


def _session_changed(session: Session, changes: Mapping[str, tuple], *, user: User) -> None:
    event = session.event
    timing = bool({"starts_at", "ends_at"} & changes.keys())
    event.bump_version(schedule_changed=timing and session.registrable)
    db.session.flush()
    signals.event_updated.send(event, changes={"sessions": (None, session.id)}, user=user)
    if session.registrable and set(PART_CAPACITY_FIELDS) & changes.keys():
        signals.part_capacity_changed.send(
            session, changes={k: changes[k] for k in PART_CAPACITY_FIELDS if k in changes},
            user=user,
        )


def _set_speakers(session: Session, speakers: Sequence[Speaker]) -> None:
    """Assign speakers and store the order in which they were chosen."""
    people = list(dict.fromkeys(speakers))
    session.speakers = people
    db.session.flush()
    for position, speaker in enumerate(people):
        db.session.execute(
            sa.update(session_speakers)
            .where(session_speakers.c.session_id == session.id,
                   session_speakers.c.speaker_id == speaker.id)
            .values(position=position)
        )


def _next_position(event: Event) -> int:
    return max((s.position for s in event.sessions), default=-1) + 1


def add_session(event: Event, values: Mapping[str, Any], *, user: User,
                speakers: Sequence[Speaker] = ()) -> Session:
    values = dict(values)
    unknown = set(values) - SESSION_FIELDS
    if unknown:
        raise TypeError(f"unknown session fields: {sorted(unknown)}")
    _validate_session(event, values, None)
    session = Session(event=event, position=_next_position(event), **values)
    db.session.add(session)
    _set_speakers(session, speakers)
    record("session.create", session, user=user, summary=session.title, event_id=event.id)
    _session_changed(session, {"starts_at": (None, session.starts_at)}, user=user)
    return session


def update_session(session: Session, values: Mapping[str, Any], *, user: User,
                   speakers: Sequence[Speaker] | None = None) -> dict[str, tuple]:
    _validate_session(session.event, values, session)
    changes = _apply(session, values, SESSION_FIELDS)
    if speakers is not None:
        old = [s.id for s in session.speakers]
        people = list(dict.fromkeys(speakers))
        if old != [s.id for s in people]:
            _set_speakers(session, people)
            changes["speakers"] = (old, [s.id for s in people])
    if not changes:
        return changes
    db.session.flush()
    record("session.update", session, user=user, summary=session.title,
           event_id=session.event_id, changes=_audit_changes(changes))
    _session_changed(session, changes, user=user)
    return changes


def assign_speakers(session: Session, speakers: Sequence[Speaker], *, user: User) -> None:
    update_session(session, {}, user=user, speakers=speakers)


def delete_session(session: Session, *, user: User) -> None:
    event = session.event
    record("session.delete", session, user=user, summary=session.title, event_id=event.id)
    event.sessions.remove(session)
    db.session.delete(session)
    event.bump_version(schedule_changed=session.registrable)
    db.session.flush()
    signals.event_updated.send(event, changes={"sessions": (session.id, None)}, user=user)


def _neighbour(ordered: list[Any], item: Any, direction: int, refusal: Any) -> int:
    """Where the item one place up (-1) or down (+1) from `item` stands in `ordered`;
    `refusal` when `item` is already at that end."""
    other = ordered.index(item) + (1 if direction > 0 else -1)
    if not 0 <= other < len(ordered):
        raise OperationError(refusal)
    return other


def move_session(session: Session, direction: int, *, user: User) -> None:
    """Move a programme item one place up (-1) or down (+1) on the same day.

    Parallel items (same start) swap their order; consecutive items swap their time
    slots, each keeping its length, so the day's timeline stays within the same hours.
    """
    event = session.event
    ordered = list(event.sessions)
    other_index = _neighbour(ordered, session, direction,
                             _l("The session is already at that end of the programme."))
    first, second = sorted((session, ordered[other_index]), key=ordered.index)
    tz = ZoneInfo(event.timezone)
    if first.starts_at.astimezone(tz).date() != second.starts_at.astimezone(tz).date():
        raise OperationError(
            _l("Sessions on different days: change the date of the session instead.")
        )
    for position, item in enumerate(ordered):
        item.position = position
    if first.starts_at == second.starts_at:
        first.position, second.position = second.position, first.position
    else:
        if second.ends_at < first.ends_at:
            raise OperationError(
                _l("One session lies within the other: change their times instead.")
            )
        gap = second.starts_at - first.ends_at
        first_length = first.ends_at - first.starts_at
        second_length = second.ends_at - second.starts_at
        new_second_start = first.starts_at
        new_first_start = first.starts_at + second_length + max(gap, timedelta(0))
        if new_first_start + first_length > event.ends_at:
            raise OperationError(_l("The sessions overlap: change their times instead."))
        second.starts_at, second.ends_at = new_second_start, new_second_start + second_length
        first.starts_at, first.ends_at = new_first_start, new_first_start + first_length
        first.position, second.position = second.position, first.position
    event.bump_version(schedule_changed=first.registrable or second.registrable)
    db.session.flush()
    # Relationship order follows (starts_at, position): read it afresh next time.
    db.session.expire(event, ["sessions"])
    record("session.move", session, user=user, summary=session.title, event_id=event.id,
           direction="up" if direction < 0 else "down")
    signals.event_updated.send(event, changes={"sessions": (None, session.id)}, user=user)


# ---------------------------------------------------------------- materials


def _validate_material(event: Event, values: Mapping[str, Any], *, has_file: bool = False) -> None:
    _check_lengths(Material, values)
    if "title" in values and not (values["title"] or "").strip():
        raise OperationError(_l("A title is required."), "title")
    if has_file and values.get("kind") == MaterialKind.RECORDING:
        raise OperationError(_l("A recording is published as a link: give its web address."),
                             "kind")
    if "url" in values and not has_file:
        if not values["url"]:
            raise OperationError(_l("Give a web address or choose a file."), "url")
        _check_url(values["url"], "url")
    session_id = values.get("session_id")
    if session_id is not None and session_id not in {s.id for s in event.sessions}:
        raise OperationError(_l("Choose a session of this event."), "session_id")


def material_file_url(material: Material) -> str:
    """The stable public address of a material's file: the same after a replacement."""
    return _file_url(material, material.event.slug)


def _file_url(material: Material, slug: str) -> str:
    return f"{current_app.config['BASE_URL']}/events/{slug}/materials/{material.id}"


def _attach(material: Material, upload: Upload) -> None:
    files.attach_material_file(material.id, upload)
    material.url = material_file_url(material)


def add_material(event: Event, values: Mapping[str, Any], *, user: User,
                 upload: Upload | None = None) -> Material:
    """Attach a recording, slides or a link, or a file (slides, programme, document);
    a recording tells subscribers it is out."""
    values = dict(values)
    unknown = set(values) - MATERIAL_FIELDS
    if unknown:
        raise TypeError(f"unknown material fields: {sorted(unknown)}")
    _validate_material(event, values, has_file=upload is not None)
    if upload is not None:
        values["url"] = ""
    position = max((m.position for m in event.materials), default=-1) + 1
    material = Material(event=event, position=position, published_at=utcnow(), **values)
    db.session.add(material)
    event.bump_version()
    db.session.flush()
    if upload is not None:
        _attach(material, upload)
        db.session.flush()
    record("material.create", material, user=user, summary=material.title, event_id=event.id)
    if material.kind == MaterialKind.RECORDING:
        signals.material_published.send(material, user=user)
    return material


def update_material(material: Material, values: Mapping[str, Any], *, user: User,
                    upload: Upload | None = None) -> dict[str, tuple]:
    """Edit a material; a new file replaces the old one at the same address, and a web
    address given instead of a file turns it back into a link."""
    values = dict(values)
    had_file = files.material_file(material.id) is not None
    url = (values.get("url") or "").strip()
    keeps_file = upload is not None or (had_file and (not url or url == material.url))
    if keeps_file:
        values.pop("url", None)
    _validate_material(material.event, values, has_file=keeps_file)
    changes = _apply(material, values, MATERIAL_FIELDS)
    if upload is not None:
        _attach(material, upload)
        changes["file"] = (None, upload.filename)
    elif had_file and not keeps_file:
        files.detach_material_file(material.id)
        changes["file"] = ("file", None)
    if changes:
        material.event.bump_version()
        db.session.flush()
        record("material.update", material, user=user, summary=material.title,
               event_id=material.event_id, changes=_audit_changes(changes))
    return changes


def delete_material(material: Material, *, user: User) -> None:
    event = material.event
    record("material.delete", material, user=user, summary=material.title, event_id=event.id)
    # Its file first: the stored bytes go too unless another material or picture uses them.
    files.detach_material_file(material.id)
    event.materials.remove(material)
    db.session.delete(material)
    event.bump_version()
    db.session.flush()


def move_material(material: Material, direction: int, *, user: User) -> None:
    """Move a material one place up (-1) or down (+1) in the event's list."""
    event = material.event
    ordered = list(event.materials)
    index = ordered.index(material)
    other = _neighbour(ordered, material, direction,
                       _l("The material is already at that end of the list."))
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered):
        item.position = position
    event.bump_version()
    db.session.flush()
    db.session.expire(event, ["materials"])
    record("material.move", material, user=user, summary=material.title, event_id=event.id)


# ---------------------------------------------------------------- pictures

PICTURE_OWNERS = {"event": Event, "project": Project, "speaker": Speaker, "venue": Venue}


def set_picture(owner: Any, upload: Upload, alt: str, *, user: User) -> None:
    """An event's cover, a project's logo, a speaker's or a venue's photo (re-encoded)."""
    kind = _picture_owner(owner, user)
    files.set_picture(kind, owner.id, upload, alt=alt)
    _picture_changed(owner, kind, user, "picture.set")


def remove_picture(owner: Any, *, user: User) -> None:
    kind = _picture_owner(owner, user)
    if files.remove_picture(kind, owner.id):
        _picture_changed(owner, kind, user, "picture.remove")


def _picture_owner(owner: Any, user: User) -> str:
    """The owner's kind; a shared record's picture changes under the same rule as its text."""
    kind = next(k for k, model in PICTURE_OWNERS.items() if isinstance(owner, model))
    if kind != "event":
        _check_shared(_events_using(kind, owner), user)
    return kind


def _events_using(kind: str, owner: Any) -> list[Event]:
    if kind == "event":
        return [owner]
    if kind == "speaker":
        return _events_with_speaker(owner)
    return _events_of(getattr(Event, f"{kind}_id"), owner.id)


def _picture_changed(owner: Any, kind: str, user: User, action: str) -> None:
    for event in _events_using(kind, owner):
        event.bump_version()  # cached pages show the new picture
    db.session.flush()
    record(action, owner, user=user, summary=_label(owner))


# ---------------------------------------------------------------- venues, projects, speakers


def _required(values: Mapping[str, Any], field: str) -> None:
    if field in values and not (values[field] or "").strip():
        raise OperationError(_l("This field is required."), field)


def _create(model: type, allowed: frozenset[str], values: Mapping[str, Any], *,
            user: User, action: str) -> Any:
    values = dict(values)
    unknown = set(values) - allowed
    if unknown:
        raise TypeError(f"unknown {model.__name__} fields: {sorted(unknown)}")
    obj = model(**values)
    db.session.add(obj)
    db.session.flush()
    record(f"{action}.create", obj, user=user, summary=_label(obj))
    return obj


def _update(obj: Any, allowed: frozenset[str], values: Mapping[str, Any], *,
            user: User, action: str) -> dict[str, tuple]:
    changes = _apply(obj, values, allowed)
    if changes:
        db.session.flush()
        record(f"{action}.update", obj, user=user, summary=_label(obj),
               changes=_audit_changes(changes))
    return changes


def _events_of(column: Any, obj_id: int) -> list[Event]:
    return list(db.session.scalars(sa.select(Event).where(column == obj_id)).unique())


def _check_shared(events: Sequence[Event], user: User) -> None:
    """Venues, speakers and projects are shared by every organiser's events: an organiser
    may change one only while no other organiser's event uses it, else an administrator."""
    if getattr(user, "is_admin", False):
        return
    if any(all(o.id != user.id for o in event.organisers) for event in events):
        raise OperationError(
            _l("An event of another organiser uses this record: only an administrator can change it.")
        )


def _validate_venue(values: Mapping[str, Any]) -> None:
    _check_lengths(Venue, values)
    _required(values, "name")
    lat, lon = values.get("latitude"), values.get("longitude")
    if lat is not None and not -90 <= lat <= 90:
        raise OperationError(_l("Latitude is between -90 and 90."), "latitude")
    if lon is not None and not -180 <= lon <= 180:
        raise OperationError(_l("Longitude is between -180 and 180."), "longitude")


def create_venue(values: Mapping[str, Any], *, user: User) -> Venue:
    _validate_venue(values)
    return _create(Venue, VENUE_FIELDS, values, user=user, action="venue")


def update_venue(venue: Venue, values: Mapping[str, Any], *, user: User) -> dict[str, tuple]:
    _check_shared(_events_of(Event.venue_id, venue.id), user)
    _validate_venue(values)
    changes = _update(venue, VENUE_FIELDS, values, user=user, action="venue")
    if changes:
        # The place of every event held there changed: calendars must learn it.
        for event in _events_of(Event.venue_id, venue.id):
            event.bump_version(schedule_changed=True)
            db.session.flush()
            signals.event_updated.send(event, changes={"venue": (None, venue.id)}, user=user)
    return changes


def delete_venue(venue: Venue, *, user: User) -> None:
    _delete_unused(venue, Event.venue_id, venue.name, user=user, refusal=lambda n: _ln(
        "This venue is used by %(num)d event: choose another venue for it first.",
        "This venue is used by %(num)d events: choose another venue for them first.", n))


def _validate_project(values: Mapping[str, Any], project: Project | None) -> None:
    _check_lengths(Project, values)
    _required(values, "name")
    _check_url(values.get("website"), "website")
    starts = values.get("starts_on", project.starts_on if project else None)
    ends = values.get("ends_on", project.ends_on if project else None)
    _raise_first(period_problems(starts, ends))
    budget = values.get("budget")
    if budget is not None and budget < 0:
        raise OperationError(_l("The budget cannot be negative."), "budget")


def create_project(values: Mapping[str, Any], *, user: User) -> Project:
    values = dict(values)
    _validate_project(values, None)
    slug = (values.get("slug") or "").strip()
    if slug:
        _check_slug(slug, Project, None)
    else:
        slug = unique_slug(values.get("acronym") or values["name"], Project)
    values["slug"] = slug
    return _create(Project, PROJECT_FIELDS, values, user=user, action="project")


def update_project(project: Project, values: Mapping[str, Any], *,
                   user: User) -> dict[str, tuple]:
    _check_shared(_events_of(Event.project_id, project.id), user)
    values = dict(values)
    _validate_project(values, project)
    if "slug" in values:
        slug = (values["slug"] or "").strip() or unique_slug(
            values.get("acronym") or values.get("name") or project.name, Project, project.id
        )
        values["slug"] = slug
        if slug != project.slug:
            _check_slug(slug, Project, project.id)
    changes = _update(project, PROJECT_FIELDS, values, user=user, action="project")
    if changes:
        # Event pages show the project's name: their cached copies are stale now.
        for event in _events_of(Event.project_id, project.id):
            event.bump_version()
        db.session.flush()
    return changes


def delete_project(project: Project, *, user: User) -> None:
    _delete_unused(project, Event.project_id, project.name, user=user, refusal=lambda n: _ln(
        "This project has %(num)d event: move it to another project first.",
        "This project has %(num)d events: move them to another project first.", n))


def _delete_unused(obj: Venue | Project, column: Any, summary: str, *, user: User,
                   refusal: Callable[[int], Any]) -> None:
    """Delete a venue or project no event points at through `column`; else refuse with
    `refusal(number of events)`."""
    used = _events_of(column, obj.id)
    if used:
        raise OperationError(refusal(len(used)))
    record(f"{obj.__tablename__[:-1]}.delete", obj, user=user, summary=summary)
    db.session.delete(obj)
    db.session.flush()


def _events_with_speaker(speaker: Speaker) -> list[Event]:
    stmt = (
        sa.select(Event).join(Event.sessions)
        .join(session_speakers, session_speakers.c.session_id == Session.id)
        .where(session_speakers.c.speaker_id == speaker.id)
    )
    return list(db.session.scalars(stmt).unique())


def create_speaker(values: Mapping[str, Any], *, user: User) -> Speaker:
    _check_lengths(Speaker, values)
    _required(values, "name")
    return _create(Speaker, SPEAKER_FIELDS, values, user=user, action="speaker")


def update_speaker(speaker: Speaker, values: Mapping[str, Any], *,
                   user: User) -> dict[str, tuple]:
    _check_shared(_events_with_speaker(speaker), user)
    _check_lengths(Speaker, values)
    _required(values, "name")
    changes = _update(speaker, SPEAKER_FIELDS, values, user=user, action="speaker")
    if changes:
        for event in _events_with_speaker(speaker):
            event.bump_version()
        db.session.flush()
    return changes


def delete_speaker(speaker: Speaker, *, user: User) -> None:
    events = _events_with_speaker(speaker)
    record("speaker.delete", speaker, user=user, summary=speaker.name)
    db.session.delete(speaker)
    for event in events:
        event.bump_version()
    db.session.flush()

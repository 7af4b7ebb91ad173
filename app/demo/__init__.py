"""Demo data: the projects and events of the seed pages, plus upcoming events.

The data are in seed.json: projects, venues, speakers, the Chamber's contact and the
events with their sessions and materials. Times are written in the event's own time
zone, either as a date ("2022-04-20 14:00") or, for the upcoming events, relative to
the day of loading ("today+14 10:00"; "now-1d" is a day before the moment of loading),
so the site always has something to register for. An upcoming event's days move
forward together, keeping their spacing, to the first working days that fit (no
weekend, public holiday or Christmas and August break), and to the weekday named by
its "first_weekday", if any. "{token}" in a join link becomes a fresh secret.

Everything is looked up by slug or e-mail first, so loading twice creates nothing twice.
`load()` is the body of `flask demo load`: it yields lines to print and commits once.
"""
from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.auth.models import Role, User
from app.db import utcnow
from app.events import models
from app.extensions import db

SEED = Path(__file__).with_name("seed.json")
ROME = ZoneInfo("Europe/Rome")
RELATIVE = re.compile(r"^today([+-]\d+) (\d{2}):(\d{2})$")
TIME_FIELDS = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")
# Which stored strings stand for which enum, per kind of record.
ENUMS = {
    "event": {"kind": models.EventKind, "format": models.EventFormat,
              "registration_mode": models.RegistrationMode},
    "session": {"kind": models.SessionKind},
    "material": {"kind": models.MaterialKind},
    "project": {"status": models.ProjectStatus},
}


def _instant(text: str, tz: ZoneInfo, today: date, now: datetime) -> datetime:
    """A seed time ("2022-04-20 14:00", "today+14 10:00" or "now-1d") as a UTC instant."""
    if text.startswith("now-") and text.endswith("d"):
        return now - timedelta(days=int(text[4:-1]))
    if match := RELATIVE.match(text):
        days, hour, minute = (int(g) for g in match.groups())
        day = today + timedelta(days=days)
        local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
    else:
        local = datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=tz)
    return local.astimezone(UTC)


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
# Italian public holidays (month, day), besides Easter Monday.
HOLIDAYS = {(1, 1), (1, 6), (4, 25), (5, 1), (6, 2), (8, 15), (11, 1), (12, 8), (12, 25), (12, 26)}


def _easter_monday(year: int) -> date:
    """Anonymous Gregorian computus."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1) + timedelta(days=1)


def is_working_day(day: date) -> bool:
    """A day an event of the Chamber could plausibly take place on."""
    if day.weekday() >= 5 or (day.month, day.day) in HOLIDAYS or day == _easter_monday(day.year):
        return False
    christmas_break = (day.month == 12 and day.day >= 24) or (day.month == 1 and day.day <= 6)
    august_break = day.month == 8 and 8 <= day.day <= 24
    return not (christmas_break or august_break)


def _offsets(event: dict) -> list[int]:
    """The "today+N" day numbers of the event's and its sessions' start and end."""
    found = []
    for record in (event, *event.get("sessions", [])):
        for name in ("starts_at", "ends_at"):
            if match := RELATIVE.match(str(record.get(name, ""))):
                found.append(int(match.group(1)))
    return found


def _shift(event: dict, today: date) -> int:
    """Days to add so that every day of the event is a working day (and the first one
    the weekday asked for): the smallest such number."""
    offsets = _offsets(event)
    if not offsets:
        return 0
    weekday = event.get("first_weekday")
    for shift in range(0, 60):
        first = today + timedelta(days=min(offsets) + shift)
        if weekday and WEEKDAYS.index(weekday) != first.weekday():
            continue
        if all(is_working_day(today + timedelta(days=n + shift)) for n in offsets):
            return shift
    return 0


def _moved(values: dict, shift: int) -> dict:
    out = dict(values)
    for name in TIME_FIELDS:
        if shift and (match := RELATIVE.match(str(out.get(name, "")))):
            days, hour, minute = match.groups()
            out[name] = f"today{int(days) + shift:+d} {hour}:{minute}"
    return out


def _typed(kind: str, values: dict[str, Any], tz: ZoneInfo, today: date,
           now: datetime) -> dict[str, Any]:
    out = dict(values)
    for name, enum_type in ENUMS.get(kind, {}).items():
        if out.get(name) is not None:
            out[name] = enum_type(out[name])
    for name in TIME_FIELDS:
        if isinstance(out.get(name), str):
            out[name] = _instant(out[name], tz, today, now)
    if "{token}" in out.get("online_join_url", ""):
        # A join link is a secret: each installation gets its own.
        out["online_join_url"] = out["online_join_url"].replace("{token}", secrets.token_urlsafe(8))
    return out


def seed(today: date, now: datetime | None = None) -> dict[str, Any]:
    """seed.json with typed values: enums, dates, amounts and UTC instants."""
    now = now or utcnow()
    data = json.loads(SEED.read_text(encoding="utf-8"))
    for project in data["projects"]:
        project.update(_typed("project", project, ROME, today, now))
        for name in ("starts_on", "ends_on"):
            if project.get(name):
                project[name] = date.fromisoformat(project[name])
        if project.get("budget") is not None:
            project["budget"] = Decimal(project["budget"])
    events = []
    for event in data["events"]:
        tz = ZoneInfo(event.get("timezone", "Europe/Rome"))
        shift = _shift(event, today)
        event.pop("first_weekday", None)
        typed = _typed("event", _moved(event, shift), tz, today, now)
        typed["sessions"] = [_typed("session", _moved(s, shift), tz, today, now)
                             for s in event.get("sessions", [])]
        typed["materials"] = [_typed("material", m, tz, today, now)
                              for m in event.get("materials", [])]
        events.append(typed)
    data["events"] = events
    return data


def _get_or_create(model, lookup: dict, values: dict, created: list[str], label: str):
    obj = db.session.scalars(sa.select(model).filter_by(**lookup)).first()
    if obj is None:
        obj = model(**lookup, **values)
        db.session.add(obj)
        db.session.flush()
        created.append(label)
    return obj


def _venue(key: str, venues: dict, created: list[str]) -> models.Venue:
    values = dict(venues[key])
    name = values.pop("name")
    return _get_or_create(models.Venue, {"name": name}, values, created, f"venue {name}")


def _speaker(key: str, speakers: dict, created: list[str]) -> models.Speaker:
    values = dict(speakers[key])
    name = values.pop("name")
    return _get_or_create(models.Speaker, {"name": name}, values, created, f"speaker {name}")


def _event(data: dict, seeded: dict, projects: dict[str, models.Project], organiser: User,
           created: list[str]) -> None:
    data = dict(data)
    slug = data.pop("slug")
    found = sa.select(models.Event.id).where(models.Event.slug == slug)
    if db.session.scalars(found).first() is not None:
        return
    sessions = data.pop("sessions", [])
    materials = data.pop("materials", [])
    project_key = data.pop("project")
    venue_key = data.pop("venue")
    values = {**seeded["contact"], "status": models.EventStatus.PUBLISHED, **data}
    # Shared rows first, so no half-built event is flushed while looking them up.
    venue = _venue(venue_key, seeded["venues"], created) if venue_key else None
    speakers = {k: _speaker(k, seeded["speakers"], created) for s in sessions for k in s["speakers"]}
    event = models.Event(slug=slug, venue=venue, published_at=utcnow(), **values)
    db.session.add(event)
    event.project = projects[project_key] if project_key else None
    event.organisers.append(organiser)
    for s in sessions:
        s = dict(s)
        session = models.Session(**{k: v for k, v in s.items() if k != "speakers"})
        session.speakers.extend(speakers[k] for k in s["speakers"])
        event.sessions.append(session)
    for i, m in enumerate(materials):
        event.materials.append(models.Material(visibility=models.Visibility.PUBLIC, position=i, **m))
    db.session.add(event)
    db.session.flush()
    created.append(f"event {slug}")


def _account(email: str, name: str, role: Role) -> tuple[User, str | None]:
    user = db.session.scalars(sa.select(User).where(User.email == email)).first()
    if user is not None:
        return user, None
    password = secrets.token_urlsafe(12)
    user = User(email=email, name=name, role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user, password


def load(today: date | None = None) -> Iterator[str]:
    today = today or utcnow().astimezone(ROME).date()
    seeded = seed(today)
    created: list[str] = []

    projects: dict[str, models.Project] = {}
    for data in seeded["projects"]:
        values = dict(data)
        slug = values.pop("slug")
        projects[slug] = _get_or_create(models.Project, {"slug": slug}, values, created, f"project {slug}")

    admin, admin_password = _account("admin@eventi.local", "Amministratore", Role.ADMIN)
    organiser, organiser_password = _account("organiser@eventi.local", "Organizzatrice", Role.ORGANISER)

    for data in seeded["events"]:
        _event(data, seeded, projects, organiser, created)

    db.session.commit()

    for line in created:
        yield f"created {line}"
    for user, password in ((admin, admin_password), (organiser, organiser_password)):
        if password:
            yield f"created {user.role} {user.email} with password (shown once): {password}"
        else:
            yield f"{user.role} {user.email} already exists; password unchanged"
    if not created:
        yield "demo data already loaded; nothing created"

"""Numbers at a glance: an event's registrations over time, by day and mode, by category
and country, its waiting list and check-ins per day; a project's over its events.

Every figure comes from a fixed handful of grouped queries, however many people
registered: the dashboards' tests count them. Days are the event's local days.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.events.models import Event, Project
from app.events.permissions import manageable_events
from app.extensions import db
from app.i18n import local
from app.registrations.forms import CATEGORIES, MODES, country_choices, part_label
from app.registrations.models import (
    Attendance,
    AttendanceMode,
    Registration,
    RegistrationStatus,
    registration_parts,
)

NOT_STATED = _l("Not stated")


@dataclass
class EventStats:
    confirmed: int = 0
    waitlisted: int = 0
    cancelled: int = 0
    # (day, registrations made that day, registrations made up to that day)
    over_time: list[tuple[date, int, int]] = field(default_factory=list)
    # (part label or "", {mode: confirmed})
    by_part_mode: list[tuple[str, dict[str, int]]] = field(default_factory=list)
    by_category: list[tuple[str, int]] = field(default_factory=list)
    by_country: list[tuple[str, int]] = field(default_factory=list)
    waitlist_by_mode: dict[str, int] = field(default_factory=dict)
    checkins_by_day: list[tuple[date, int]] = field(default_factory=list)
    modes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.confirmed + self.waitlisted + self.cancelled


def _days(counts: Counter[date]) -> list[date]:
    """Every day from the first to the last with a count: quiet days show as zero."""
    if not counts:
        return []
    first, last = min(counts), max(counts)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _ranked(counts: Counter[str], labels: dict[str, Any], empty: Any) -> list[tuple[str, int]]:
    rows = [(str(labels.get(k, k)) if k else str(empty), n) for k, n in counts.items() if n]
    return sorted(rows, key=lambda r: (-r[1], r[0]))


def event_stats(event: Event) -> EventStats:
    """The event's dashboard figures, in four queries."""
    stats = EventStats()
    tz = event.timezone
    made: Counter[date] = Counter(
        local(at, tz).date() for at in db.session.scalars(
            sa.select(Registration.created_at).where(Registration.event_id == event.id))
    )
    running = 0
    for day in _days(made):
        running += made[day]
        stats.over_time.append((day, made[day], running))

    categories: Counter[str] = Counter()
    countries: Counter[str] = Counter()
    by_mode: Counter[str] = Counter()
    for status, mode, category, country, n in db.session.execute(
        sa.select(Registration.status, Registration.attendance_mode, Registration.category,
                  Registration.country, sa.func.count())
        .where(Registration.event_id == event.id)
        .group_by(Registration.status, Registration.attendance_mode, Registration.category,
                  Registration.country)
    ):
        mode = AttendanceMode(mode).value
        if status == RegistrationStatus.CONFIRMED:
            stats.confirmed += n
            by_mode[mode] += n
        elif status == RegistrationStatus.WAITLISTED:
            stats.waitlisted += n
            stats.waitlist_by_mode[mode] = stats.waitlist_by_mode.get(mode, 0) + n
        else:
            stats.cancelled += n
            continue
        categories[category] += n
        countries[country] += n
    stats.by_category = _ranked(categories, CATEGORIES, NOT_STATED)
    stats.by_country = _ranked(countries, dict(country_choices()), NOT_STATED)
    stats.modes = [m.value for m in AttendanceMode if by_mode[m.value] or stats.waitlist_by_mode.get(m.value)]

    parts = event.registrable_parts
    if parts:
        per_part: dict[int, dict[str, int]] = {}
        for session_id, mode, n in db.session.execute(
            sa.select(registration_parts.c.session_id, Registration.attendance_mode, sa.func.count())
            .join(Registration, Registration.id == registration_parts.c.registration_id)
            .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.CONFIRMED)
            .group_by(registration_parts.c.session_id, Registration.attendance_mode)
        ):
            per_part.setdefault(session_id, {})[AttendanceMode(mode).value] = n
        stats.by_part_mode = [(part_label(p), per_part.get(p.id, {})) for p in parts]
    else:
        stats.by_part_mode = [("", dict(by_mode))]

    checked: Counter[date] = Counter(
        local(at, tz).date() for at in db.session.scalars(
            sa.select(Attendance.checked_in_at).where(Attendance.event_id == event.id,
                                                      Attendance.attended.is_(True)))
    )
    stats.checkins_by_day = [(day, checked[day]) for day in sorted(checked)]
    return stats


def mode_label(mode: str) -> Any:
    return MODES.get(AttendanceMode(mode), mode)


@dataclass
class EventLine:
    event: Event
    confirmed: int = 0
    waitlisted: int = 0
    cancelled: int = 0
    checked_in: int = 0


@dataclass
class ProjectStats:
    events: list[EventLine]

    def total(self, name: str) -> int:
        return sum(getattr(line, name) for line in self.events)


def project_stats(project: Project, user: Any) -> ProjectStats:
    """The project's events that `user` may manage, with their counts: three queries."""
    events = list(db.session.scalars(
        manageable_events(user).where(Event.project_id == project.id)
        .order_by(Event.starts_at, Event.id)
    ).unique())
    lines = {e.id: EventLine(e) for e in events}
    if lines:
        for event_id, status, n in db.session.execute(
            sa.select(Registration.event_id, Registration.status, sa.func.count())
            .where(Registration.event_id.in_(list(lines)))
            .group_by(Registration.event_id, Registration.status)
        ):
            setattr(lines[event_id], RegistrationStatus(status).value, n)
        for event_id, n in db.session.execute(
            sa.select(Attendance.event_id, sa.func.count(sa.distinct(Attendance.registration_id)))
            .where(Attendance.event_id.in_(list(lines)), Attendance.attended.is_(True))
            .group_by(Attendance.event_id)
        ):
            lines[event_id].checked_in = n
    return ProjectStats([lines[e.id] for e in events])

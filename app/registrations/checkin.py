"""Attendance: check-in per part at the door, and online attendance from platform reports.

The rule: presence is recorded per slot, the unit an attendee can be present at — each
registrable part (day or session) people sign up for; without parts, each calendar day
of a multi-day event (the Turin study visit has three); otherwise the event itself. A
check-in is accepted from CHECKIN_OPENS_MINUTES before the slot starts until it ends;
outside that window only an organiser's override with a reason, which goes to the
audit log. Online registrants are marked present from the platform's attendance report
with their minutes; they count as attended from ONLINE_ATTENDANCE_MIN_PERCENT of the
slot. Certificates and reports count only attended slots that have ended.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.audit import record
from app.db import utcnow
from app.events.models import Event
from app.extensions import db
from app.i18n import format_short_day, format_time_range, local
from app.registrations.models import (
    Attendance,
    AttendanceMode,
    AttendanceSource,
    Registration,
    RegistrationStatus,
    registration_parts,
)
from app.registrations.services import RegistrationError, WrongStatus

# --- slots ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    key: str
    title: str
    starts_at: datetime
    ends_at: datetime
    session_id: int | None = None

    @property
    def hours(self) -> float:
        return round((self.ends_at - self.starts_at).total_seconds() / 3600, 2)

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


def event_slots(event: Event) -> list[Slot]:
    """The check-in units of an event, in time order."""
    parts = event.registrable_parts
    if parts:
        return [Slot(f"part:{p.id}", p.title, p.starts_at, p.ends_at, p.id) for p in parts]
    tz = ZoneInfo(event.timezone)
    first, last = event.starts_at.astimezone(tz).date(), event.ends_at.astimezone(tz).date()
    if first == last:
        return [Slot("event", event.title, event.starts_at, event.ends_at)]
    slots = []
    day = first
    while day <= last:
        slots.append(_day_slot(event, day, tz))
        day += timedelta(days=1)
    return slots


def _day_slot(event: Event, day: date, tz: ZoneInfo) -> Slot:
    """One day of a multi-day event: from its first session to its last, else the
    event's daily hours (its start time to its end time)."""
    sessions = [s for s in event.sessions if s.starts_at.astimezone(tz).date() == day]
    if sessions:
        start = min(s.starts_at for s in sessions)
        end = max(s.ends_at for s in sessions)
    else:
        start_t = event.starts_at.astimezone(tz).time()
        end_t = event.ends_at.astimezone(tz).time()
        if end_t <= start_t:
            start_t, end_t = time(0, 0), time(23, 59)
        start = datetime.combine(day, start_t, tz)
        end = datetime.combine(day, end_t, tz)
    start, end = max(start, event.starts_at), min(end, event.ends_at)
    return Slot(f"day:{day.isoformat()}", format_short_day(start, event.timezone), start, end)


def registration_slots(reg: Registration) -> list[Slot]:
    """The slots this person is expected at."""
    slots = event_slots(reg.event)
    chosen = {p.id for p in reg.parts}
    if chosen:
        return [s for s in slots if s.session_id in chosen]
    return slots


def slot_label(event: Event, slot: Slot) -> str:
    when = f"{format_short_day(slot.starts_at, event.timezone)}, " \
           f"{format_time_range(slot.starts_at, slot.ends_at, event.timezone)}"
    return when if slot.key.startswith("day:") or slot.key == "event" else f"{when} – {slot.title}"


def find_slot(event: Event, key: str) -> Slot | None:
    return next((s for s in event_slots(event) if s.key == key), None)


# --- the window ------------------------------------------------------------------------------

OPEN, NOT_YET, OVER = "open", "not_yet", "over"


def opens_at(slot: Slot) -> datetime:
    return slot.starts_at - timedelta(minutes=current_app.config.get("CHECKIN_OPENS_MINUTES", 90))


def window_state(slot: Slot, now: datetime | None = None) -> str:
    now = now or utcnow()
    if now < opens_at(slot):
        return NOT_YET
    if now > slot.ends_at:
        return OVER
    return OPEN


def current_slot(event: Event, now: datetime | None = None,
                 slots: Iterable[Slot] | None = None) -> Slot | None:
    """The slot whose check-in window is open now (the earliest if several overlap)."""
    for slot in slots if slots is not None else event_slots(event):
        if window_state(slot, now) == OPEN:
            return slot
    return None


def next_slot(event: Event, now: datetime | None = None) -> Slot | None:
    now = now or utcnow()
    return next((s for s in event_slots(event) if opens_at(s) > now), None)


class CheckinClosed(RegistrationError):
    """Outside the check-in window: says when it opens or that it is over."""

    def __init__(self, event: Event, slot: Slot | None, state: str) -> None:
        if slot is None:
            message = _l("There is no part of this event to check in at now.")
        elif state == NOT_YET:
            opens = local(opens_at(slot), event.timezone)
            message = _l("Check-in for %(slot)s opens on %(day)s at %(time)s.",
                         slot=slot_label(event, slot),
                         day=format_short_day(opens, event.timezone), time=opens.strftime("%H:%M"))
        else:
            message = _l("Check-in for %(slot)s is over.", slot=slot_label(event, slot))
        super().__init__(message, field="reason")
        self.slot = slot
        self.state = state


# --- recording presence ------------------------------------------------------------------


def _existing(reg: Registration, slot: Slot) -> Attendance | None:
    return db.session.scalar(
        sa.select(Attendance).where(Attendance.registration_id == reg.id, Attendance.slot == slot.key)
    )


def check_in(reg: Registration, *, slot_key: str | None = None, now: datetime | None = None,
             by: Any = None, reason: str = "") -> Attendance:
    """Mark the person present at a slot (the one open now when none is named).

    Outside the window an organiser's `reason` overrides it; the override is audited.
    Checking in twice keeps the first time.
    """
    now = now or utcnow()
    if not reg.is_confirmed:
        raise WrongStatus(_l("Only confirmed registrations can be checked in."))
    event = reg.event
    mine = registration_slots(reg)
    if slot_key:
        slot = next((s for s in mine if s.key == slot_key), None)
        if slot is None:
            raise RegistrationError(_l("This person is not registered for that part."), field="slot")
    else:
        slot = current_slot(event, now, mine) or next((s for s in mine if window_state(s, now) == NOT_YET), None) \
            or (mine[-1] if mine else None)
    state = window_state(slot, now) if slot is not None else OVER
    reason = (reason or "").strip()
    if slot is None or (state != OPEN and not reason):
        raise CheckinClosed(event, slot, state)
    row = _existing(reg, slot)
    if row is None:
        row = Attendance(registration_id=reg.id, event_id=event.id, slot=slot.key,
                         slot_starts_at=slot.starts_at, slot_ends_at=slot.ends_at,
                         mode=reg.attendance_mode, checked_in_at=now,
                         source=AttendanceSource.DOOR if state == OPEN else AttendanceSource.OVERRIDE,
                         checked_in_by_id=getattr(by, "id", None), attended=True)
        db.session.add(row)
    else:
        row.attended = True
    if state != OPEN:
        record("registration.checkin_override", reg, user=by, summary=reg.full_name,
               slot=slot.key, reason=reason[:500])
    reg.checked_in_at = reg.checked_in_at or now
    db.session.flush()
    return row


def undo_check_in(reg: Registration, slot_key: str) -> None:
    db.session.execute(sa.delete(Attendance).where(Attendance.registration_id == reg.id,
                                                   Attendance.slot == slot_key))
    db.session.flush()
    remaining = db.session.scalar(sa.select(sa.func.min(Attendance.checked_in_at))
                                  .where(Attendance.registration_id == reg.id))
    reg.checked_in_at = remaining
    db.session.flush()


def presence(reg: Registration) -> dict[str, Attendance]:
    return {a.slot: a for a in db.session.scalars(
        sa.select(Attendance).where(Attendance.registration_id == reg.id))}


# --- the door: the list and the counter ---------------------------------------------------


@dataclass
class DoorList:
    slot: Slot
    people: list[tuple[Registration, Attendance | None]] = field(default_factory=list)

    @property
    def present(self) -> int:
        return sum(1 for _r, a in self.people if a is not None and a.attended)

    @property
    def expected(self) -> int:
        return len(self.people)


def door_list(event: Event, slot: Slot) -> DoorList:
    """Everyone confirmed for the slot, by name, with their check-in (two queries)."""
    stmt = sa.select(Registration).where(
        Registration.event_id == event.id, Registration.status == RegistrationStatus.CONFIRMED,
        Registration.anonymised_at.is_(None),
    )
    if slot.session_id is not None:
        chosen_any = sa.select(registration_parts.c.registration_id).where(
            registration_parts.c.registration_id == Registration.id)
        chose_this = sa.select(registration_parts.c.registration_id).where(
            registration_parts.c.session_id == slot.session_id)
        stmt = stmt.where(sa.or_(Registration.id.in_(chose_this), ~sa.exists(chosen_any)))
    regs = list(db.session.scalars(stmt.order_by(Registration.last_name, Registration.first_name,
                                                 Registration.id)))
    rows = {a.registration_id: a for a in db.session.scalars(
        sa.select(Attendance).where(Attendance.event_id == event.id, Attendance.slot == slot.key))}
    return DoorList(slot, [(r, rows.get(r.id)) for r in regs])


def counts_by_slot(event: Event) -> list[tuple[Slot, int, int, int]]:
    """(slot, present in person, present online, expected) for each slot."""
    out = []
    for slot in event_slots(event):
        rows = dict(db.session.execute(
            sa.select(Attendance.mode, sa.func.count()).where(
                Attendance.event_id == event.id, Attendance.slot == slot.key, Attendance.attended)
            .group_by(Attendance.mode)).all())
        out.append((slot, rows.get(AttendanceMode.IN_PERSON, 0), rows.get(AttendanceMode.ONLINE, 0),
                    door_list(event, slot).expected))
    return out


# --- certificates --------------------------------------------------------------------------


def attended_sql(now: datetime) -> Any:
    """An EXISTS for "attended at least one slot that has ended" (for Registration rows)."""
    return sa.exists(
        sa.select(Attendance.id).where(Attendance.registration_id == Registration.id,
                                       Attendance.attended, Attendance.slot_ends_at <= now)
    )


def attended_slots(reg: Registration, now: datetime | None = None) -> list[tuple[Slot, Attendance]]:
    """The ended slots the person attended, with what was recorded, in time order."""
    now = now or utcnow()
    slots = {s.key: s for s in event_slots(reg.event)}
    out = []
    for row in sorted(presence(reg).values(), key=lambda a: a.slot_starts_at):
        if not row.attended or row.slot_ends_at > now:
            continue
        slot = slots.get(row.slot) or Slot(row.slot, reg.event.title, row.slot_starts_at,
                                           row.slot_ends_at)
        out.append((slot, row))
    return out


# --- online attendance reports -----------------------------------------------------------

# Column names as the platforms export them, in English and Italian (lower case).
EMAIL_COLUMNS = ("email", "e-mail", "user email", "email address", "attendee email",
                 "indirizzo e-mail", "indirizzo email", "e-mail utente", "email utente",
                 "posta elettronica", "participant email", "email partecipante", "upn")
JOIN_COLUMNS = ("join time", "join", "first join", "first join time", "joined", "join date",
                "ora di ingresso", "ora ingresso", "orario di ingresso", "primo ingresso",
                "ora di partecipazione", "ora di accesso", "entrata", "time joined")
LEAVE_COLUMNS = ("leave time", "leave", "last leave", "last leave time", "left", "leave date",
                 "ora di uscita", "ora uscita", "orario di uscita", "ultima uscita",
                 "ora di abbandono", "uscita", "time left")
DURATION_COLUMNS = ("duration (minutes)", "duration", "duration (mins)", "time in session (minutes)",
                    "in-meeting duration", "attendance duration", "durata (minuti)", "durata",
                    "durata riunione", "durata in riunione", "minuti", "time in session")
NAME_COLUMNS = ("name (original name)", "name", "full name", "participant name", "attendee name",
                "nome (nome originale)", "nome", "nome completo", "nome partecipante")

_DATE_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y, %I:%M:%S %p", "%m/%d/%y, %I:%M:%S %p",
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y, %H:%M:%S", "%d/%m/%y, %H:%M:%S",
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%d.%m.%Y %H:%M:%S",
    "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%b %d, %Y %I:%M:%S %p", "%b %d, %Y %I:%M %p",
)


class ReportUnreadable(RegistrationError):
    pass


@dataclass
class ReportRow:
    email: str
    name: str
    join: datetime | None
    leave: datetime | None
    minutes: float | None


@dataclass
class ImportReport:
    slot: Slot
    marked: list[tuple[Registration, int, bool]] = field(default_factory=list)  # (reg, minutes, counts)
    unmatched: list[str] = field(default_factory=list)  # what the report said, for the organiser
    not_online: list[Registration] = field(default_factory=list)

    @property
    def attended(self) -> int:
        return sum(1 for _r, _m, ok in self.marked if ok)


def _decode(data: bytes) -> str:
    for bom, enc in ((b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"), (b"\xef\xbb\xbf", "utf-8-sig")):
        if data.startswith(bom):
            return data.decode(enc)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def _norm(header: str) -> str:
    return " ".join(header.replace("\ufeff", "").strip().strip('"').lower().split())


def _find(headers: list[str], names: tuple[str, ...]) -> int | None:
    normed = [_norm(h) for h in headers]
    for name in names:
        if name in normed:
            return normed.index(name)
    for i, h in enumerate(normed):  # "Join Time (Europe/Rome)", "Durata (minuti) totale"
        if any(h.startswith(n + " ") or h.startswith(n + "(") for n in names):
            return i
    return None


def _parse_time(text: str, tz: ZoneInfo) -> datetime | None:
    text = " ".join((text or "").strip().split())
    if not text:
        return None
    text = re.sub(r"\s*\((?:[A-Za-z/_+\-0-9 ]+)\)$", "", text)  # "... (CET)"
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        value = None
        for fmt in _DATE_FORMATS:
            try:
                value = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=tz)


def _parse_minutes(text: str) -> float | None:
    """"62", "62.5", "1:02:03", "1h 2m 3s" / "1 ora 2 min" -> minutes."""
    text = (text or "").strip().lower()
    if not text:
        return None
    if re.fullmatch(r"\d+([.,]\d+)?", text):
        return float(text.replace(",", "."))
    if re.fullmatch(r"\d+:\d{1,2}(:\d{1,2})?", text):
        bits = [int(b) for b in text.split(":")]
        if len(bits) == 3:
            return bits[0] * 60 + bits[1] + bits[2] / 60
        return bits[0] + bits[1] / 60 if bits[0] > 59 else bits[0] * 60 + bits[1]
    total, found = 0.0, False
    for number, unit in re.findall(r"(\d+(?:[.,]\d+)?)\s*(h|ore|ora|hr|hrs|hours?|m|min|mins|minut[oi]|minutes?|s|sec|secs|second[oi]|seconds?)\b", text):
        found = True
        n = float(number.replace(",", "."))
        if unit.startswith(("h", "or")):
            total += n * 60
        elif unit.startswith("s"):
            total += n / 60
        else:
            total += n
    return total if found else None


def _header(line: str):
    try:
        dialect = csv.Sniffer().sniff(line, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    headers = next(csv.reader([line], dialect), [])
    email_i = _find(headers, EMAIL_COLUMNS)
    if email_i is None:
        return None
    cols = {"email": email_i, "join": _find(headers, JOIN_COLUMNS),
            "leave": _find(headers, LEAVE_COLUMNS), "duration": _find(headers, DURATION_COLUMNS),
            "name": _find(headers, NAME_COLUMNS)}
    score = (cols["join"] is not None) + (cols["leave"] is not None) + (cols["duration"] is not None)
    return score, dialect, cols


def read_attendance_report(data: bytes, timezone: str) -> list[ReportRow]:
    """The participants of a Zoom, Teams, Webex or GoToWebinar attendance export.

    Exports put summaries above (and around) the participants: the header row taken is
    the one with an e-mail column and the most of join, leave and duration (the later
    one on a tie: Teams lists every join and leave after its per-person summary). The
    delimiter (comma, semicolon or tab) is sniffed per line, columns found by name.
    """
    lines = _decode(data).splitlines()
    tz = ZoneInfo(timezone)
    best = None
    for i, line in enumerate(lines):
        if line.strip() and (found := _header(line)) is not None:
            if best is None or found[0] >= best[1][0]:
                best = (i, found)
    if best is None:
        raise ReportUnreadable(_l("No column with the participants' e-mail addresses was found."),
                               field="report")
    start, (_score, dialect, cols) = best
    rows: list[ReportRow] = []
    for cells in csv.reader(lines[start + 1:], dialect):
        if not any(c.strip() for c in cells):
            if rows:
                break  # the end of this section
            continue

        def cell(name, cells=cells):
            i = cols[name]
            return cells[i] if i is not None and i < len(cells) else ""

        email = cell("email").strip().lower()
        if "@" not in email:
            continue
        rows.append(ReportRow(email, cell("name").strip(), _parse_time(cell("join"), tz),
                              _parse_time(cell("leave"), tz), _parse_minutes(cell("duration"))))
    return rows


def _minutes_in(rows: list[ReportRow], slot: Slot) -> int:
    """Minutes within the slot; overlapping sessions (re-joins) count once."""
    spans = [(max(r.join, slot.starts_at), min(r.leave, slot.ends_at))
             for r in rows if r.join and r.leave]
    total = timedelta()
    spans = sorted((a, b) for a, b in spans if b > a)
    durations = [r.minutes for r in rows if r.minutes is not None]
    if spans or not durations:
        cur_a, cur_b = spans[0] if spans else (slot.starts_at, slot.starts_at)
        for a, b in spans[1:]:
            if a <= cur_b:
                cur_b = max(cur_b, b)
            else:
                total += cur_b - cur_a
                cur_a, cur_b = a, b
        if spans:
            total += cur_b - cur_a
        return int(total.total_seconds() // 60)
    # No usable times (or dates written the other way round): the platform's durations.
    return min(int(sum(durations)), slot.minutes)


def import_online_attendance(event: Event, slot_key: str, data: bytes, *, by: Any = None,
                             now: datetime | None = None) -> ImportReport:
    """Mark the online registrants of a slot present from a platform's report."""
    slot = find_slot(event, slot_key)
    if slot is None:
        raise RegistrationError(_l("Choose a day or part of this event."), field="slot")
    rows = read_attendance_report(data, event.timezone)
    by_email: dict[str, list[ReportRow]] = {}
    for row in rows:
        by_email.setdefault(row.email, []).append(row)
    people = {r.email: r for r, _a in door_list(event, slot).people}
    minimum = slot.minutes * current_app.config.get("ONLINE_ATTENDANCE_MIN_PERCENT", 50) / 100
    report = ImportReport(slot)
    existing = {a.registration_id: a for a in db.session.scalars(
        sa.select(Attendance).where(Attendance.event_id == event.id, Attendance.slot == slot.key))}
    for email, its_rows in by_email.items():
        reg = people.get(email)
        if reg is None:
            name = next((r.name for r in its_rows if r.name), "")
            report.unmatched.append(f"{name} <{email}>" if name else email)
            continue
        if not reg.is_online:
            report.not_online.append(reg)
            continue
        minutes = _minutes_in(its_rows, slot)
        counts = minutes >= minimum
        row = existing.get(reg.id)
        if row is None:
            row = Attendance(registration_id=reg.id, event_id=event.id, slot=slot.key,
                             slot_starts_at=slot.starts_at, slot_ends_at=slot.ends_at,
                             mode=AttendanceMode.ONLINE, source=AttendanceSource.IMPORT,
                             checked_in_at=min((r.join for r in its_rows if r.join), default=now or utcnow()),
                             checked_in_by_id=getattr(by, "id", None))
            db.session.add(row)
        row.minutes = minutes
        row.attended = counts
        if counts:
            reg.checked_in_at = reg.checked_in_at or row.checked_in_at
        report.marked.append((reg, minutes, counts))
    db.session.flush()
    record("registration.attendance_import", event, user=by, summary=slot.key,
           matched=len(report.marked), attended=report.attended, unmatched=len(report.unmatched))
    return report

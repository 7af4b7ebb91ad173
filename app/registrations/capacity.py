"""Seat counting: one lock per event, taken on its counter rows in a fixed order.

Capacity is a matrix: the whole event, each attendance mode, each part (day or
session people register for) and each part x mode cell ("5 in presence each day, 100
online") are limits that all hold at once. A registration occupies one seat in every
dimension it touches; it is confirmed only if every one of them has a seat left, and
otherwise waits in the queue of each cell it wanted ("wait:<cell>" counters number
those queues 1..n, so each cell's positions stay gapless).

Every change that confirms, queues, cancels or promotes a registration calls
`lock_counters` first. On PostgreSQL the rows are read with SELECT ... FOR UPDATE in
key order, so two workers on two hosts handling the same event wait for each other
and never deadlock. On SQLite the first statement of the transaction is a write to
the counters, which takes the database's write lock before anything is read.
Counters hold the number of confirmed registrations per dimension (and the length of
the waiting list), so checking a seat costs no count over the registrations table.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite

from app.db import utcnow
from app.errors import DomainError
from app.events.models import Event, EventFormat, EventStatus, RegistrationMode
from app.extensions import db
from app.registrations.models import (
    AttendanceMode,
    CapacityCounter,
    Registration,
    RegistrationStatus,
    WaitlistPlace,
    registration_parts,
)

EVENT = "event"
WAITLIST = "waitlist"
# PostgreSQL's SQLSTATE for "lock_timeout expired".
LOCK_NOT_AVAILABLE = "55P03"


def mode_key(mode: AttendanceMode | str) -> str:
    return f"mode:{AttendanceMode(mode).value}"


def part_key(session_id: int) -> str:
    return f"part:{session_id}"


def cell_key(session_id: int, mode: AttendanceMode | str) -> str:
    return f"cell:{session_id}:{AttendanceMode(mode).value}"


def wait_key(cell: str) -> str:
    return f"wait:{cell}"


ALL_MODES = (AttendanceMode.IN_PERSON, AttendanceMode.ONLINE)


def cells_of(event: Event) -> list[str]:
    """The queues of an event: one per part x mode, or one per mode without parts."""
    parts = event.registrable_parts
    if parts:
        return [cell_key(p.id, m) for p in parts for m in ALL_MODES]
    return [mode_key(m) for m in ALL_MODES]


def event_keys(event: Event) -> list[str]:
    """Every counter an event needs, in the fixed lock order."""
    keys = [EVENT, WAITLIST, mode_key(AttendanceMode.IN_PERSON), mode_key(AttendanceMode.ONLINE)]
    keys += [part_key(p.id) for p in event.registrable_parts]
    cells = cells_of(event)
    keys += [c for c in cells if c.startswith("cell:")]
    keys += [wait_key(c) for c in cells]
    return sorted(keys)


def _part(event: Event, session_id: int):
    for part in event.registrable_parts:
        if part.id == session_id:
            return part
    return None


def capacity_of(event: Event, key: str) -> int | None:
    """The limit for a counter key; None means unlimited."""
    if key == EVENT:
        return event.capacity
    if key == mode_key(AttendanceMode.IN_PERSON):
        return event.capacity_in_person
    if key == mode_key(AttendanceMode.ONLINE):
        return event.capacity_online
    if key.startswith("part:"):
        part = _part(event, int(key.split(":", 1)[1]))
        return part.capacity if part is not None else None
    if key.startswith("cell:"):
        _cell, session_id, mode = key.split(":")
        part = _part(event, int(session_id))
        if part is None:
            return None
        return part.capacity_in_person if mode == AttendanceMode.IN_PERSON.value else part.capacity_online
    return None


def keys_for(mode: AttendanceMode | str, part_ids: Iterable[int]) -> list[str]:
    """The counters one confirmed registration occupies."""
    part_ids = list(part_ids)
    return sorted([EVENT, mode_key(mode)] + [part_key(pid) for pid in part_ids]
                  + [cell_key(pid, mode) for pid in part_ids])


def cells_for(mode: AttendanceMode | str, part_ids: Iterable[int]) -> list[str]:
    """The queues a waiting registration stands in: one per part it wants, in its mode."""
    part_ids = list(part_ids)
    if part_ids:
        return sorted(cell_key(pid, mode) for pid in part_ids)
    return [mode_key(mode)]


def _actual_used(event_id: int, key: str) -> sa.ScalarSelect:
    """The count a new counter row starts from, so rows made before it are included."""
    regs = Registration.__table__
    if key == WAITLIST:
        cond = regs.c.status == RegistrationStatus.WAITLISTED.value
        return sa.select(sa.func.count()).where(regs.c.event_id == event_id, cond).scalar_subquery()
    if key.startswith("wait:"):
        places = WaitlistPlace.__table__
        return sa.select(sa.func.count()).where(
            places.c.event_id == event_id, places.c.cell == key.split(":", 1)[1]
        ).scalar_subquery()
    confirmed = regs.c.status == RegistrationStatus.CONFIRMED.value
    stmt = sa.select(sa.func.count()).select_from(regs).where(regs.c.event_id == event_id, confirmed)
    if key.startswith("mode:"):
        stmt = stmt.where(regs.c.attendance_mode == key.split(":", 1)[1])
    elif key.startswith("part:"):
        stmt = stmt.join(registration_parts, registration_parts.c.registration_id == regs.c.id).where(
            registration_parts.c.session_id == int(key.split(":", 1)[1])
        )
    elif key.startswith("cell:"):
        _cell, session_id, mode = key.split(":")
        stmt = stmt.join(registration_parts, registration_parts.c.registration_id == regs.c.id).where(
            registration_parts.c.session_id == int(session_id), regs.c.attendance_mode == mode
        )
    return stmt.scalar_subquery()


def _insert_missing(event_id: int, keys: Iterable[str]) -> None:
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for key in keys:
        stmt = insert(CapacityCounter.__table__).from_select(
            ["event_id", "key", "used", "state"],
            sa.select(sa.literal(event_id), sa.literal(key), _actual_used(event_id, key), sa.literal("")),
        )
        # Two first registrations at once both try to create the rows: one wins.
        db.session.execute(stmt.on_conflict_do_nothing(index_elements=["event_id", "key"]))


def _select_counters(event_id: int, *, for_update: bool) -> list[CapacityCounter]:
    stmt = (
        sa.select(CapacityCounter)
        .where(CapacityCounter.event_id == event_id)
        .order_by(CapacityCounter.key)
        .execution_options(populate_existing=True)
    )
    if for_update:
        stmt = stmt.with_for_update()
    return list(db.session.scalars(stmt))


def locks_rows() -> bool:
    """Whether the database locks rows (PostgreSQL), so work can be done before the
    event's lock, rather than itself whole at the first write (SQLite)."""
    return db.session.get_bind().dialect.name != "sqlite"


def _take_write_lock(event_id: int) -> None:
    if db.session.get_bind().dialect.name == "sqlite":
        # pysqlite opens the transaction at the first write: this one takes the
        # database write lock (waiting on the busy timeout) before any read below.
        db.session.execute(
            sa.update(CapacityCounter)
            .where(CapacityCounter.event_id == event_id, CapacityCounter.key == EVENT)
            .values(used=CapacityCounter.used)
        )
    else:
        # The event row first, then the counters: the order an organiser's edit takes
        # them in (it updates the event, then its receivers lock the counters). A
        # registration that filled the event updates the event row too, so without
        # this the two would deadlock.
        db.session.execute(
            sa.select(Event.id).where(Event.id == event_id).with_for_update(key_share=True)
        )


class CountersBusy(DomainError):
    """The event's seats stayed locked by other registrations longer than
    REGISTRATION_LOCK_TIMEOUT_MS: the person is asked to try again."""

    def __init__(self) -> None:
        super().__init__(_l("Many people are registering for this event right now. "
                            "Please try again in a moment."))


@contextmanager
def _lock_timeout(*, reset: bool = True) -> Iterator[None]:
    """On PostgreSQL, wait at most REGISTRATION_LOCK_TIMEOUT_MS for the locks taken
    inside, then refuse with CountersBusy (the caller rolls back) rather than keep a
    worker and a connection waiting. SQLite waits on its busy timeout instead.
    `reset=False` leaves the bound on for the rest of the transaction (one statement
    fewer for a caller whose remaining work is the locked section itself)."""
    if db.session.get_bind().dialect.name != "postgresql":
        yield
        return
    ms = int(current_app.config["REGISTRATION_LOCK_TIMEOUT_MS"])
    db.session.execute(sa.text(f"SET LOCAL lock_timeout = {ms}"))
    try:
        yield
    except sa.exc.OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            raise CountersBusy() from exc
        raise
    if reset:
        db.session.execute(sa.text("SET LOCAL lock_timeout = DEFAULT"))


def lock_counters(event: Event, *, reset_timeout: bool = True) -> Counters:
    """Lock all of the event's counters (creating missing ones) and return them fresh."""
    with _lock_timeout(reset=reset_timeout):
        _take_write_lock(event.id)
        wanted = event_keys(event)
        rows = _select_counters(event.id, for_update=True)
        missing = set(wanted) - {r.key for r in rows}
        if missing:
            _insert_missing(event.id, sorted(missing))
            rows = _select_counters(event.id, for_update=True)
    return Counters(event, {r.key: r for r in rows})


@dataclass
class Counters:
    """The locked counter rows of one event, with the capacity arithmetic."""

    event: Event
    rows: dict[str, CapacityCounter] = field(default_factory=dict)

    def used(self, key: str) -> int:
        row = self.rows.get(key)
        return row.used if row else 0

    def left(self, key: str) -> int | None:
        cap = capacity_of(self.event, key)
        return None if cap is None else max(cap - self.used(key), 0)

    def fits(self, keys: Iterable[str]) -> bool:
        return all(self.left(k) is None or self.left(k) > 0 for k in keys)

    def full_keys(self, keys: Iterable[str]) -> list[str]:
        return [k for k in keys if self.left(k) == 0]

    def take(self, keys: Iterable[str]) -> None:
        for k in keys:
            self.rows[k].used += 1

    def release(self, keys: Iterable[str]) -> None:
        for k in keys:
            self.rows[k].used = max(self.rows[k].used - 1, 0)

    @property
    def waiting(self) -> int:
        return self.used(WAITLIST)

    def next_position(self) -> int:
        self.rows[WAITLIST].used += 1
        return self.rows[WAITLIST].used

    def leave_queue(self) -> None:
        self.rows[WAITLIST].used = max(self.rows[WAITLIST].used - 1, 0)

    def next_cell_position(self, cell: str) -> int:
        row = self.rows[wait_key(cell)]
        row.used += 1
        return row.used

    def leave_cell(self, cell: str) -> None:
        row = self.rows.get(wait_key(cell))
        if row is not None:
            row.used = max(row.used - 1, 0)

    def is_full(self) -> bool:
        return is_full(self.event, self.left)


def modes_offered(event: Event) -> list[AttendanceMode]:
    if event.format == EventFormat.HYBRID:
        return [AttendanceMode.IN_PERSON, AttendanceMode.ONLINE]
    if event.format == EventFormat.ONLINE:
        return [AttendanceMode.ONLINE]
    return [AttendanceMode.IN_PERSON]


def seats_left(left, mode: AttendanceMode | str, part_id: int | None = None) -> int | None:
    """Seats left for one choice (a mode, and a part when the event has parts): the
    smallest of every limit it falls under; None when nothing limits it."""
    keys = [EVENT, mode_key(mode)]
    if part_id is not None:
        keys += [part_key(part_id), cell_key(part_id, mode)]
    values = [v for v in (left(k) for k in keys) if v is not None]
    return min(values) if values else None


def is_full(event: Event, left, now=None) -> bool:
    """No new registration could be confirmed: every mode of every open part is taken."""
    parts = [p.id for p in open_parts(event, now)] or [None]
    return all(seats_left(left, m, pid) == 0 for m in modes_offered(event) for pid in parts)


def open_parts(event: Event, now=None) -> list:
    """The parts still taking registrations (each closes at its own time)."""
    now = now or utcnow()
    return [p for p in event.registrable_parts if p.is_open_for_registration(now)]


# --- availability, as the event page and the form show it -------------------------

OPEN = "open"
FULL = "full"
WAITLIST_OPEN = "waitlist"
NOT_YET_OPEN = "not_yet_open"
CLOSED = "closed"
EXTERNAL = "external"
NOT_REQUIRED = "not_required"
UNAVAILABLE = "unavailable"  # draft, cancelled or over


@dataclass(frozen=True)
class Availability:
    state: str
    seats_left: int | None = None
    waiting: int = 0
    left_by_key: dict[str, int | None] = field(default_factory=dict)
    open_part_ids: frozenset[int] = frozenset()

    @property
    def accepts(self) -> bool:
        """The form takes submissions (confirmed or onto the waiting list)."""
        return self.state in (OPEN, WAITLIST_OPEN)

    def mode_left(self, mode: AttendanceMode | str) -> int | None:
        return self.left_by_key.get(mode_key(mode))

    def part_left(self, session_id: int) -> int | None:
        return self.left_by_key.get(part_key(session_id))

    def seats_for(self, mode: AttendanceMode | str, part_id: int | None = None) -> int | None:
        """What is left for one day (or part) in one mode, every limit considered."""
        return seats_left(self.left_by_key.get, mode, part_id)

    def part_open(self, session_id: int) -> bool:
        return session_id in self.open_part_ids

    def choice_full(self, mode: AttendanceMode | str, part_id: int | None = None) -> bool:
        return self.seats_for(mode, part_id) == 0


def read_used(event: Event) -> dict[str, int]:
    """Counter values without locking (for display); counts when a row is missing."""
    rows = {
        r.key: r.used
        for r in db.session.scalars(
            sa.select(CapacityCounter).where(CapacityCounter.event_id == event.id)
        )
    }
    for key in event_keys(event):
        if key not in rows:
            rows[key] = db.session.scalar(sa.select(_actual_used(event.id, key))) or 0
    return rows


def window_state(event: Event, now=None) -> str | None:
    """The state that depends only on settings and time; None when seats decide."""
    now = now or utcnow()
    if event.status != EventStatus.PUBLISHED or event.is_past(now):
        return UNAVAILABLE
    if event.registration_mode == RegistrationMode.NOT_REQUIRED:
        return NOT_REQUIRED
    if event.registration_mode == RegistrationMode.EXTERNAL:
        return EXTERNAL
    if event.registration_opens_at and now < event.registration_opens_at:
        return NOT_YET_OPEN
    if event.registration_closes_at and now >= event.registration_closes_at:
        return CLOSED
    if event.registrable_parts and not open_parts(event, now):
        return CLOSED  # every part has closed, though the last may still be running
    return None


def availability(event: Event, used: dict[str, int] | None = None, now=None) -> Availability:
    state = window_state(event, now)
    if state is not None:
        return Availability(state)
    used = used if used is not None else read_used(event)

    def left(key: str) -> int | None:
        cap = capacity_of(event, key)
        return None if cap is None else max(cap - used.get(key, 0), 0)

    keys = event_keys(event)
    left_by_key = {k: left(k) for k in keys if k != WAITLIST and not k.startswith("wait:")}
    if is_full(event, left, now):
        state = WAITLIST_OPEN if event.waitlist_enabled else FULL
    else:
        state = OPEN
    return Availability(state, left(EVENT), used.get(WAITLIST, 0), left_by_key,
                        frozenset(p.id for p in open_parts(event, now)))


def sync_page_state(counters: Counters) -> None:
    """Bump the event's data version when its availability changed (cached pages follow)."""
    event = counters.event
    avail = availability(event, {k: r.used for k, r in counters.rows.items()})
    # The page shows, per day and mode, what is full: a choice filling up or freeing
    # changes the page as much as the whole event filling up.
    full = ",".join(sorted(k for k, v in avail.left_by_key.items() if v == 0))
    state = f"{avail.state}:{hashlib.sha1(full.encode()).hexdigest()[:7]}"
    row = counters.rows[EVENT]
    if row.state != state:
        event.bump_version()
        row.state = state


def confirmed_keys(registration: Registration) -> list[str]:
    return keys_for(registration.attendance_mode, [p.id for p in registration.parts])


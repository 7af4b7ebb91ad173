"""Never overbook: many people submit the form at the same moment, on separate connections.

Each test runs the same race twice: once as shipped, once with the lock bypassed,
to prove the race is real (the bypassed run overbooks) and that the lock stops it.
"""
from __future__ import annotations

import threading
import time
from collections import Counter as Tally
from functools import partial

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.registrations import capacity
from app.registrations.models import Registration, RegistrationStatus
from app.registrations.services import AttendeeDetails, register_attendee
from tests.conftest import BACKEND, make_config
from tests.factories import EventFactory
from tests.threads import run_together


def _widen_race_window(monkeypatch, *, bypass_lock: bool) -> None:
    """Sleep between reading the counters and writing, so racing requests overlap."""
    select = capacity._select_counters

    def slow_select(event_id, *, for_update):
        rows = select(event_id, for_update=for_update and not bypass_lock)
        time.sleep(0.02)
        return rows

    monkeypatch.setattr(capacity, "_select_counters", slow_select)
    if bypass_lock:
        monkeypatch.setattr(capacity, "_take_write_lock", lambda event_id: None)


def _race(race_app, slug: str, people: int) -> list[int]:
    barrier = threading.Barrier(people)
    codes: list[int] = []

    def submit(i: int) -> None:
        client = race_app.test_client()
        barrier.wait()
        resp = client.post(f"/events/{slug}/register", data={
            "first_name": "Persona", "last_name": f"Numero {i}",
            "email": f"persona{i}@example.org", "category": "impresa",
            "country": "IT", "privacy_consent": "y",
        })
        codes.append(resp.status_code)

    run_together(*(partial(submit, i) for i in range(people)), timeout=120)
    return codes


def _outcome(race_app, event_id: int):
    with race_app.app_context():
        rows = db.session.execute(
            sa.select(Registration.status, Registration.waitlist_position)
            .where(Registration.event_id == event_id)
        ).all()
        db.session.remove()
    confirmed = sum(1 for s, _ in rows if s == RegistrationStatus.CONFIRMED)
    positions = sorted(p for s, p in rows if s == RegistrationStatus.WAITLISTED)
    return confirmed, positions


def _setup_event(already_confirmed: int, capacity_total: int) -> tuple[int, str]:
    event = EventFactory(capacity=capacity_total, waitlist_enabled=True)
    for i in range(already_confirmed):
        register_attendee(event, AttendeeDetails(first_name="Già", last_name=f"Iscritto {i}",
                                                 email=f"early{i}@example.org", consent=True))
    db.session.commit()
    return event.id, event.slug


def _run(app_config, monkeypatch, *, bypass_lock: bool, people: int, seats_left: int):
    event_id, slug = _setup_event(already_confirmed=3, capacity_total=3 + seats_left)
    race_app = create_app(app_config)
    _widen_race_window(monkeypatch, bypass_lock=bypass_lock)
    try:
        codes = _race(race_app, slug, people)
        assert Tally(codes) == {303: people}, codes
        return _outcome(race_app, event_id)
    finally:
        with race_app.app_context():
            db.engine.dispose()


# The PostgreSQL server is shared (other test runs, the cluster tests): a race that held
# fifty connections at once took half of its 100 and made some other test's connection
# fail with "too many clients". Fifty people still submit at once; at most ten talk to
# the database at a time, as behind a web server's pool, and the others wait their turn.
RACE_POOL = {"pool_size": 10, "max_overflow": 0, "pool_timeout": 300}


@pytest.mark.skipif(BACKEND != "postgres", reason="needs PostgreSQL and its row locks")
def test_fifty_people_racing_for_ten_seats_on_postgres_get_ten_seats_and_forty_queue_places(
    app, monkeypatch
):
    config = make_config(SQLALCHEMY_ENGINE_OPTIONS=RACE_POOL,
                         # the race holds the seats on purpose: no one gives up waiting
                         REGISTRATION_LOCK_TIMEOUT_MS=60_000)
    confirmed, positions = _run(config, monkeypatch, bypass_lock=False, people=50, seats_left=10)
    assert confirmed == 3 + 10
    assert positions == list(range(1, 41))


@pytest.mark.skipif(BACKEND != "postgres", reason="needs PostgreSQL and its row locks")
def test_the_same_race_overbooks_on_postgres_when_the_lock_is_bypassed(app, monkeypatch):
    config = make_config(SQLALCHEMY_ENGINE_OPTIONS=RACE_POOL,
                         # the race holds the seats on purpose: no one gives up waiting
                         REGISTRATION_LOCK_TIMEOUT_MS=60_000)
    confirmed, positions = _run(config, monkeypatch, bypass_lock=True, people=50, seats_left=10)
    assert confirmed > 3 + 10, "without the lock the race should overbook"


@pytest.fixture
def sqlite_file_config(tmp_path):
    if BACKEND != "sqlite":
        pytest.skip("the SQLite variant of the race")
    url = f"sqlite:///{tmp_path / 'race.db'}"
    config = make_config(SQLALCHEMY_DATABASE_URI=url)
    setup = create_app(config)
    with setup.app_context():
        db.create_all()
        db.engine.dispose()
    return config


def _run_on_file(config, monkeypatch, *, bypass_lock: bool):
    file_app = create_app(config)
    with file_app.app_context():
        event_id, slug = _setup_event(already_confirmed=1, capacity_total=6)
        db.session.remove()
    _widen_race_window(monkeypatch, bypass_lock=bypass_lock)
    try:
        codes = _race(file_app, slug, 16)
        assert Tally(codes) == {303: 16}, codes
        return _outcome(file_app, event_id)
    finally:
        with file_app.app_context():
            db.engine.dispose()


def test_sixteen_people_racing_for_five_seats_on_sqlite_never_overbook(sqlite_file_config, monkeypatch):
    confirmed, positions = _run_on_file(sqlite_file_config, monkeypatch, bypass_lock=False)
    assert confirmed == 6
    assert positions == list(range(1, 12))


def test_the_sqlite_race_overbooks_when_the_lock_is_bypassed(sqlite_file_config, monkeypatch):
    confirmed, _ = _run_on_file(sqlite_file_config, monkeypatch, bypass_lock=True)
    assert confirmed > 6, "without the lock the race should overbook"


@pytest.mark.skipif(BACKEND != "postgres", reason="needs PostgreSQL and its row locks")
def test_a_registration_and_an_organisers_capacity_edit_at_once_both_succeed(app):
    """The last seat is taken while an organiser raises the capacity: the two take the
    event row and the counters in the same order, so neither fails with a deadlock."""
    from app.events.models import Event
    from app.registrations.services import capacity_changed

    event = EventFactory(slug="ultimo", capacity=1)
    db.session.commit()
    capacity.lock_counters(event)
    db.session.commit()
    event_id = event.id
    race_app = create_app(make_config())
    counters_locked, event_edited = threading.Event(), threading.Event()
    outcome: dict[str, str] = {}

    def registration() -> None:
        with race_app.app_context():
            ev = db.session.get(Event, event_id)
            counters = capacity.lock_counters(ev)
            counters_locked.set()
            event_edited.wait(2)  # until the organiser's UPDATE went through, or 2 s
            try:
                counters.take(["event", "mode:in_person"])
                capacity.sync_page_state(counters)  # the event is now full: its row changes
                db.session.commit()
                outcome["registration"] = "ok"
            except sa.exc.DBAPIError as exc:
                db.session.rollback()
                outcome["registration"] = type(exc.orig).__name__

    def organiser() -> None:
        with race_app.app_context():
            counters_locked.wait(5)
            ev = db.session.get(Event, event_id)
            ev.capacity = 2
            ev.bump_version()
            try:
                db.session.flush()  # waits while the registration holds the event row
                event_edited.set()
                capacity_changed(ev)
                db.session.commit()
                outcome["organiser"] = "ok"
            except sa.exc.DBAPIError as exc:
                db.session.rollback()
                outcome["organiser"] = type(exc.orig).__name__

    run_together(registration, organiser, timeout=30)
    with race_app.app_context():
        db.engine.dispose()
    assert outcome == {"registration": "ok", "organiser": "ok"}


@pytest.mark.skipif(BACKEND != "postgres", reason="needs PostgreSQL and its row locks")
def test_a_registration_stuck_behind_a_long_lock_is_told_to_try_again(app, client):
    """A worker never waits indefinitely for the seats: after REGISTRATION_LOCK_TIMEOUT_MS
    the person gets a clear "busy, try again" beside the form, and nothing is written."""
    event = EventFactory(slug="busy", capacity=10)
    db.session.commit()
    app.config["REGISTRATION_LOCK_TIMEOUT_MS"] = 200
    with db.engine.connect() as other:
        other.execute(sa.text("SELECT id FROM events WHERE id = :id FOR UPDATE"), {"id": event.id})
        resp = client.post("/events/busy/register", data={
            "first_name": "Anna", "last_name": "Bianchi", "email": "anna@example.org",
            "organisation": "Cooperativa", "category": "terzo_settore", "country": "IT",
            "privacy_consent": "y",
        })
        other.rollback()
    assert resp.status_code == 422
    assert "Molte persone si stanno iscrivendo" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


# --- the capacity matrix: two days, two modes, a limit per cell -----------------------------

MATRIX_LIMITS = {"in_person": 4, "online": 6}


def _setup_matrix_event() -> tuple[int, str, list[int]]:
    from datetime import timedelta

    from app.events.models import EventFormat
    from tests.factories import SessionFactory

    event = EventFactory(format=EventFormat.HYBRID, waitlist_enabled=True)
    days = [SessionFactory(event=event, registrable=True, title=f"Giorno {n}",
                           starts_at=event.starts_at + timedelta(hours=4 * n),
                           capacity_in_person=MATRIX_LIMITS["in_person"],
                           capacity_online=MATRIX_LIMITS["online"]) for n in (0, 1)]
    db.session.commit()
    return event.id, event.slug, [d.id for d in days]


def _matrix_choice(i: int, days: list[int]) -> tuple[str, list[int]]:
    mode = "in_person" if i % 2 == 0 else "online"
    pick = (i // 2) % 3  # day 1, day 2, both
    return mode, [days[0]] if pick == 0 else [days[1]] if pick == 1 else list(days)


def _race_matrix(race_app, slug: str, days: list[int], people: int) -> list[int]:
    barrier = threading.Barrier(people)
    codes: list[int] = []

    def submit(i: int) -> None:
        client = race_app.test_client()
        mode, parts = _matrix_choice(i, days)
        barrier.wait()
        resp = client.post(f"/events/{slug}/register", data={
            "first_name": "Persona", "last_name": f"Numero {i}",
            "email": f"matrice{i}@example.org", "category": "impresa",
            "country": "IT", "privacy_consent": "y", "attendance_mode": mode,
            "parts": [str(p) for p in parts],
        })
        codes.append(resp.status_code)

    run_together(*(partial(submit, i) for i in range(people)), timeout=180)
    return codes


def _matrix_outcome(race_app, event_id: int, days: list[int]):
    from app.registrations.models import WaitlistPlace, registration_parts

    with race_app.app_context():
        seated = db.session.execute(
            sa.select(registration_parts.c.session_id, Registration.attendance_mode, sa.func.count())
            .join(Registration, Registration.id == registration_parts.c.registration_id)
            .where(Registration.event_id == event_id,
                   Registration.status == RegistrationStatus.CONFIRMED)
            .group_by(registration_parts.c.session_id, Registration.attendance_mode)
        ).all()
        places = db.session.execute(
            sa.select(WaitlistPlace.cell, WaitlistPlace.position).where(WaitlistPlace.event_id == event_id)
        ).all()
        waiting = db.session.scalar(sa.select(sa.func.count()).where(
            Registration.event_id == event_id, Registration.status == RegistrationStatus.WAITLISTED))
        db.session.remove()
    cells = {(day, str(mode)): n for day, mode, n in seated}
    queues: dict[str, list[int]] = {}
    for cell, position in places:
        queues.setdefault(cell, []).append(position)
    return cells, {c: sorted(p) for c, p in queues.items()}, waiting


def _run_matrix(monkeypatch, *, bypass_lock: bool, people: int = 100):
    event_id, slug, days = _setup_matrix_event()
    # 100 submissions at once over 30 connections (the server's 100 are shared): 30
    # transactions contend at any moment, the rest wait for a connection and then contend.
    config = make_config(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 30, "max_overflow": 0,
                                                    "pool_timeout": 120})
    race_app = create_app(config)
    _widen_race_window(monkeypatch, bypass_lock=bypass_lock)
    try:
        codes = _race_matrix(race_app, slug, days, people)
        assert Tally(codes) == {303: people}, codes
        return _matrix_outcome(race_app, event_id, days)
    finally:
        with race_app.app_context():
            db.engine.dispose()


@pytest.mark.skipif(BACKEND != "postgres", reason="needs PostgreSQL and its row locks")
def test_a_hundred_people_racing_for_a_two_day_hybrid_event_fill_each_cell_exactly(app, monkeypatch):
    cells, queues, waiting = _run_matrix(monkeypatch, bypass_lock=False)
    print("MATRIX seated per cell", cells, "queue lengths", {c: len(p) for c, p in queues.items()},
          "waiting", waiting)
    assert len(cells) == 4
    for (_day, mode), seated in cells.items():
        assert seated == MATRIX_LIMITS[mode]  # 100 people want far more: every cell fills, none over
    assert len(queues) == 4
    for positions in queues.values():
        assert positions == list(range(1, len(positions) + 1))  # gapless in every cell
    assert 0 < waiting < 100


@pytest.mark.skipif(BACKEND != "postgres", reason="needs PostgreSQL and its row locks")
def test_the_matrix_race_overbooks_a_cell_when_the_lock_is_bypassed(app, monkeypatch):
    cells, _queues, _waiting = _run_matrix(monkeypatch, bypass_lock=True)
    print("MATRIX without lock", cells)
    assert any(seated > MATRIX_LIMITS[mode] for (_day, mode), seated in cells.items()), \
        "without the lock the race should overbook a cell"


def test_the_matrix_race_on_sqlite_keeps_every_cell_within_its_limit(sqlite_file_config, monkeypatch):
    file_app = create_app(sqlite_file_config)
    with file_app.app_context():
        event_id, slug, days = _setup_matrix_event()
        db.session.remove()
    _widen_race_window(monkeypatch, bypass_lock=False)
    try:
        codes = _race_matrix(file_app, slug, days, 24)
        assert Tally(codes) == {303: 24}, codes
        cells, queues, _waiting = _matrix_outcome(file_app, event_id, days)
    finally:
        with file_app.app_context():
            db.engine.dispose()
    assert all(seated <= MATRIX_LIMITS[mode] for (_day, mode), seated in cells.items()), cells
    for positions in queues.values():
        assert positions == list(range(1, len(positions) + 1))

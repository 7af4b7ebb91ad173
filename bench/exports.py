"""Benchmark of the registration exports.

One event with two registrable days in SQLite and 100 or 10,000 registrations. In
alternating rounds it times the CSV export (the chunks consumed as a client would
download them) against the floor: the csv module writing the same columns read with a
plain sqlite3 cursor. It also reports, for CSV and XLSX at 10,000 registrations, the
peak of memory allocated while exporting above what was allocated before (tracemalloc),
and the queries each export runs at 100 and at 10,000 registrations.
Goals: memory ≤ 10 MiB above idle; the same number of queries at both sizes.

Run: .venv/bin/python bench/exports.py   [ROUNDS=5]
"""
from __future__ import annotations

import csv
import os
import secrets
import shutil
import sqlite3
import sys
import tempfile
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._goals import alternating, goal, timed  # noqa: E402

ROUNDS = int(os.environ.get("ROUNDS", "5"))
SIZES = (100, 10_000)


class Sink:
    def write(self, data) -> int:
        return len(data)


def build(db_path: Path, n: int):
    import sqlalchemy as sa

    from app import create_app
    from app.events.models import Event, EventStatus, Session
    from app.extensions import db
    from app.registrations.models import (
        AttendanceMode,
        Registration,
        RegistrationStatus,
        registration_parts,
    )

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "SECRET_KEY": "bench",
                      "LOG_REQUESTS": False, "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.create_all()
        start = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(days=30)
        event = Event(slug="conferenza", title="Conferenza finale", status=EventStatus.PUBLISHED,
                      starts_at=start, ends_at=start + timedelta(days=1, hours=8))
        event.sessions = [
            Session(title="Primo giorno", registrable=True, starts_at=start, ends_at=start + timedelta(hours=8)),
            Session(title="Secondo giorno", registrable=True, starts_at=start + timedelta(days=1),
                    ends_at=start + timedelta(days=1, hours=8)),
        ]
        db.session.add(event)
        db.session.flush()
        db.session.execute(sa.insert(Registration), [dict(
            event_id=event.id, token=secrets.token_urlsafe(24), checkin_token=secrets.token_urlsafe(32),
            email=f"persona{i}@example.org", first_name="Maria", last_name=f"Rossi {i}",
            organisation="Università Ca’ Foscari Venezia", category="impresa", country="IT",
            attendance_mode=AttendanceMode.IN_PERSON, status=RegistrationStatus.CONFIRMED,
            needs="", answers={}, created_at=start - timedelta(days=10, minutes=i),
        ) for i in range(n)])
        ids = db.session.scalars(sa.select(Registration.id)).all()
        parts = [s.id for s in event.sessions]
        db.session.execute(registration_parts.insert(), [
            {"registration_id": rid, "session_id": parts[k]} for rid in ids for k in range(1 + rid % 2)
        ])
        db.session.commit()
        db.session.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.commit()
        event_id = event.id
    return app, event_id


def export(app, event_id: int, fmt: str) -> int:
    """Run the export as the back-office view does; returns the bytes produced."""
    import sqlalchemy as sa

    from app.events.models import Event
    from app.extensions import db
    from app.registrations import exports
    from app.registrations.models import Question
    from app.registrations.services import registrations_query

    with app.test_request_context("/"):
        try:
            event = db.session.get(Event, event_id)
            questions = list(db.session.scalars(sa.select(Question).where(Question.event_id == event_id)))
            body, _ = exports.export_registrations(event, registrations_query(event), questions, "it", fmt)
            db.session.commit()
            size = sum(len(chunk) for chunk in body)
        finally:
            db.session.remove()
    return size


def count_queries(app, event_id: int, fmt: str) -> int:
    import sqlalchemy as sa

    from app.extensions import db

    statements: list[str] = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        export(app, event_id, fmt)
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    return len(statements)


def floor(db_path: Path) -> int:
    """The csv module writing the same columns from a plain cursor: the floor."""
    conn = sqlite3.connect(db_path)
    try:
        writer = csv.writer(Sink(), delimiter=";", lineterminator="\r\n")
        rows = conn.execute(
            "SELECT first_name, last_name, email, organisation, category, country, attendance_mode, "
            "status, waitlist_position, needs, newsletter_opt_in, created_at, checked_in_at, cancelled_at "
            "FROM registrations ORDER BY status, waitlist_position, last_name, first_name, id")
        n = 0
        for row in rows:
            writer.writerow(row)
            n += 1
        return n
    finally:
        conn.close()


def peak_mib(app, event_id: int, fmt: str) -> float:
    tracemalloc.start()
    try:
        idle = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        export(app, event_id, fmt)
        return (tracemalloc.get_traced_memory()[1] - idle) / 2**20
    finally:
        tracemalloc.stop()


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="eventi-bench-exports-"))
    try:
        built = {n: build(tmp / f"exports-{n}.db", n) for n in SIZES}
        large = SIZES[-1]
        app, event_id = built[large]
        for fmt in ("csv", "xlsx"):
            export(app, event_id, fmt)  # warm: imports, catalogues
        queries = {(n, fmt): count_queries(*built[n], fmt) for n in SIZES for fmt in ("csv", "xlsx")}
        figures = alternating(
            ROUNDS,
            floor=lambda: timed(lambda: floor(tmp / f"exports-{large}.db")),
            csv=lambda: timed(lambda: export(app, event_id, "csv")),
            xlsx=lambda: timed(lambda: export(app, event_id, "xlsx")),
        )
        memory = {fmt: peak_mib(app, event_id, fmt) for fmt in ("csv", "xlsx")}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    small = SIZES[0]
    print(f"registration exports, {large:,} registrations, median of {ROUNDS} alternating rounds")
    print(f"  csv module on a plain cursor (floor): {figures['floor'] * 1000:8.0f} ms")
    for fmt in ("csv", "xlsx"):
        print(f"  {fmt:4s}: {figures[fmt] * 1000:8.0f} ms ({figures[fmt] / figures['floor']:.2f}x the floor), "
              f"peak {memory[fmt]:.1f} MiB above idle, queries {queries[(small, fmt)]} at {small}, "
              f"{queries[(large, fmt)]} at {large:,}")
    for fmt in ("csv", "xlsx"):
        goal(f"exports: {fmt.upper()} memory above idle, {large:,} registrations", memory[fmt], 10, unit=" MiB")
        goal(f"exports: {fmt.upper()} queries at {large:,} / at {small}",
             queries[(large, fmt)] / queries[(small, fmt)], 1.0)


if __name__ == "__main__":
    main()

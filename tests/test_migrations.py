"""The one migration chain builds the schema the models describe, on each database."""
from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from tests.conftest import BACKEND, PG_URL, make_config


@pytest.fixture
def empty_database_url(tmp_path):
    if BACKEND != "postgres":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    name = f"eventi_migrate_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_URL.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_from_empty_leaves_nothing_to_autogenerate(empty_database_url):
    app = create_app(make_config(SQLALCHEMY_DATABASE_URI=empty_database_url))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True}
            )
            diff = compare_metadata(context, db.metadata)
            tables = set(sa.inspect(conn).get_table_names())
        db.engine.dispose()
    assert {"events", "sessions", "registrations", "outbox", "users"} <= tables
    assert diff == []


def test_old_check_ins_become_attendance_only_inside_the_window_and_queues_get_places(
        empty_database_url):
    """0003: a check-in made at the door becomes presence at that part; one made months
    ahead certified nothing and is dropped; people already waiting get their place."""
    from datetime import UTC, datetime

    app = create_app(make_config(SQLALCHEMY_DATABASE_URI=empty_database_url))
    start = datetime(2025, 1, 17, 8, 45, tzinfo=UTC)
    with app.app_context():
        upgrade(revision="0002")
        with db.engine.begin() as conn:
            stamp = {"c": start, "u": start}
            conn.execute(sa.text(
                "INSERT INTO events (id, slug, title, summary, description, kind, format, status, "
                "timezone, starts_at, ends_at, language, contact_name, contact_email, contact_phone, "
                "contact_notes, online_join_url, registration_mode, registration_url, waitlist_enabled, "
                "reminder_hours_before, version, sequence, created_at, updated_at) VALUES (1, 'mestre', "
                "'Mestre', '', '', 'workshop', 'hybrid', 'published', 'Europe/Rome', :s, :e, 'it', '', '', "
                "'', '', '', 'required', '', true, 24, 1, 0, :c, :u)"),
                {"s": start, "e": datetime(2025, 1, 18, 12, 0, tzinfo=UTC), **stamp})
            for sid, s, e in ((1, start, datetime(2025, 1, 17, 16, 0, tzinfo=UTC)),
                              (2, datetime(2025, 1, 18, 8, 0, tzinfo=UTC), datetime(2025, 1, 18, 12, 0, tzinfo=UTC))):
                conn.execute(sa.text(
                    "INSERT INTO sessions (id, event_id, title, description, starts_at, ends_at, room, kind, "
                    "position, registrable, created_at, updated_at) VALUES (:id, 1, 'Giorno', '', :s, :e, "
                    "'', 'workshop', 0, true, :c, :u)"), {"id": sid, "s": s, "e": e, **stamp})
            for rid, status, checked, pos in ((1, "confirmed", datetime(2025, 1, 18, 7, 50, tzinfo=UTC), None),
                                              (2, "confirmed", datetime(2024, 10, 1, 9, 0, tzinfo=UTC), None),
                                              (3, "waitlisted", None, 1)):
                conn.execute(sa.text(
                    "INSERT INTO registrations (id, event_id, token, email, first_name, last_name, "
                    "organisation, category, country, attendance_mode, status, waitlist_position, language, "
                    "needs, consent_version, newsletter_opt_in, answers, checked_in_at, created_at, "
                    "updated_at) VALUES (:id, 1, :t, :m, 'A', 'B', '', '', 'IT', 'in_person', :st, :p, 'it', "
                    "'', '', false, '{}', :ck, :c, :u)"),
                    {"id": rid, "t": f"token-{rid}-xxxxxxxxxxxxxxxx", "m": f"p{rid}@example.org",
                     "st": status, "p": pos, "ck": checked, **stamp})
                conn.execute(sa.text("INSERT INTO registration_parts VALUES (:r, 2)"), {"r": rid})
        upgrade()
        with db.engine.connect() as conn:
            attendance = conn.execute(sa.text("SELECT registration_id, slot FROM attendances")).all()
            places = conn.execute(sa.text("SELECT registration_id, cell, position FROM waitlist_places")).all()
            # Altering the registrations table must not cascade into its children.
            parts = conn.execute(sa.text("SELECT count(*) FROM registration_parts")).scalar()
        db.engine.dispose()
    assert [tuple(r) for r in attendance] == [(1, "part:2")]
    assert parts == 3
    assert [tuple(p) for p in places] == [(3, "cell:2:in_person", 1)]

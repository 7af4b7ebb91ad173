"""The runbook's backup, restore and SQLite-to-PostgreSQL paths, run for real
(docs/operations.md: "Backups and restore", "Moving from SQLite to PostgreSQL")."""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
import uuid

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.mail.models import OutboxMessage
from tests.conftest import PG_URL, make_config
from tests.factories import EventFactory, RegistrationFactory, SessionFactory, SubscriberFactory

needs_postgres = pytest.mark.skipif(not PG_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")


def _admin():
    return sa.create_engine(PG_URL.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")


@pytest.fixture
def pg_database():
    """Fresh PostgreSQL databases named after the test database; dropped afterwards."""
    made: list[str] = []
    admin = _admin()

    def make() -> str:
        name = f"{PG_URL.rsplit('/', 1)[1]}_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return PG_URL.rsplit("/", 1)[0] + "/" + name

    yield make
    with admin.connect() as conn:
        for name in made:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _populate(url: str) -> dict[str, int]:
    """Migrate an empty database, fill it with a bit of everything, return row counts."""
    app = create_app(make_config(SQLALCHEMY_DATABASE_URI=url))
    with app.app_context():
        upgrade()
        event = EventFactory(slug="backup-event", title="Evento da salvare")
        SessionFactory(event=event, title="Apertura")
        for _ in range(3):
            reg = RegistrationFactory(event=event)
            db.session.add(OutboxMessage(
                category="registration.confirmed", recipient=reg.email, subject="Iscrizione",
                body_text="Confermata.", headers={"X-Request-ID": "backup"},
                event_id=event.id, registration_id=reg.id))
        SubscriberFactory()
        db.session.commit()
        counts = _counts()
        db.engine.dispose()
    return counts


def _counts() -> dict[str, int]:
    return {t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t))
            for t in db.metadata.sorted_tables}


def _counts_at(url: str) -> tuple[dict[str, int], set[str]]:
    app = create_app(make_config(SQLALCHEMY_DATABASE_URI=url))
    with app.app_context():
        counts = _counts()
        revision = set(db.session.scalars(sa.text("SELECT version_num FROM alembic_version")))
        db.session.remove()
        db.engine.dispose()
    return counts, revision


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


@needs_postgres
@pytest.mark.postgres
@pytest.mark.skipif(not shutil.which("pg_dump"), reason="pg_dump is not installed")
def test_a_nightly_dump_restores_into_a_fresh_database(pg_database, tmp_path):
    source = pg_database()
    before = _populate(source)
    assert before["registrations"] == 3 and before["outbox"] == 3
    dump = tmp_path / "eventi.dump"
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", _libpq(source)],
                   check=True, timeout=120)
    restored = pg_database()
    subprocess.run(["pg_restore", "--no-owner", f"--dbname={_libpq(restored)}", str(dump)],
                   check=True, timeout=120)
    after, revision = _counts_at(restored)
    assert after == before
    _, source_revision = _counts_at(source)
    assert revision == source_revision and revision


def test_a_sqlite_backup_taken_while_running_restores(tmp_path):
    live = tmp_path / "eventi.db"
    before = _populate(f"sqlite:///{live}")
    copy = tmp_path / "eventi-backup.db"
    # The same online-backup API as `sqlite3 eventi.db ".backup copy.db"`.
    with sqlite3.connect(live) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    after, revision = _counts_at(f"sqlite:///{copy}")
    assert after == before and revision


@needs_postgres
@pytest.mark.postgres
def test_flask_data_copy_moves_a_sqlite_site_to_postgresql(pg_database, tmp_path):
    sqlite_url = f"sqlite:///{tmp_path / 'eventi.db'}"
    before = _populate(sqlite_url)
    target = pg_database()
    app = create_app(make_config(SQLALCHEMY_DATABASE_URI=target))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["data", "copy", sqlite_url, target])
    assert result.exit_code == 0, result.output
    assert f"copied {sum(before.values())} rows" in result.output
    after, _ = _counts_at(target)
    assert after == before
    # The copy is a working site: new rows get fresh ids (the sequences moved on).
    with app.app_context():
        from app.events.models import Event

        event = db.session.scalar(sa.select(Event).where(Event.slug == "backup-event"))
        event_id = event.id
        db.session.remove()
    client = app.test_client()
    resp = client.post("/events/backup-event/register", data={
        "first_name": "Nuova", "last_name": "Persona", "email": "nuova@example.org",
        "category": "impresa", "country": "IT", "privacy_consent": "y"})
    assert resp.status_code == 303, resp.text[:500]
    with app.app_context():
        count = db.session.scalar(sa.text(f"SELECT count(*) FROM registrations WHERE event_id = {event_id}"))
        db.engine.dispose()
    assert count == 4
    # Copying again into a database that already holds the rows is refused.
    again = runner.invoke(args=["data", "copy", sqlite_url, target])
    assert again.exit_code != 0 and "not empty" in again.output

"""Prepare the database of the live server used by the browser tests; print what exists as JSON.

Run in its own process with DATABASE_URL set: builds the schema from the migrations (or
from the models when the migrations do not describe them yet), loads the demo data, and
makes sure the few things the flows rely on exist: an organiser with a known password, the
hybrid two-day workshop, a past event, a project and one registration for the attendee page.
"""
from __future__ import annotations

import json
import secrets
import sys
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app import create_app
from app.extensions import db

ORGANISER_EMAIL = "giulia.conti@example.org"
ORGANISER_PASSWORD = "browser-test-password"


def build_schema(app, log) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from flask_migrate import upgrade

    try:
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    except Exception as exc:  # a migration that does not run on a fresh database
        diff = [f"upgrade failed: {exc}"]
    if diff:
        log(f"schema from the models ({len(diff)} differences from the migrations)")
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(sa.text(f'DROP TABLE IF EXISTS "{table.name}"'))
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
    else:
        log("schema from the migrations")


def load_demo(app, log) -> None:
    from app.demo import load

    for line in load():
        log(f"demo: {line}")
    db.session.commit()


def _day(days: int, hour: int, minute: int = 0) -> datetime:
    base = datetime.now(UTC).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return base + timedelta(days=days)


def ensure_fixtures(log) -> dict:
    from app.auth.models import Role, User
    from app.events.models import (
        Event,
        EventFormat,
        EventKind,
        EventStatus,
        Project,
        Session,
        Venue,
    )
    from app.registrations.models import AttendanceMode, Registration, RegistrationStatus

    facts: dict = {"organiser": {"email": ORGANISER_EMAIL, "password": ORGANISER_PASSWORD}}
    user = db.session.scalar(sa.select(User).where(User.email == ORGANISER_EMAIL))
    if user is None:
        user = User(email=ORGANISER_EMAIL, name="Giulia Conti", role=Role.ADMIN)
        db.session.add(user)
    user.set_password(ORGANISER_PASSWORD)

    project = db.session.scalar(sa.select(Project).order_by(Project.id))
    if project is None:
        project = Project(
            name="+RESILIENT", slug="resilient", acronym="+RESILIENT",
            programme="Interreg MED 2014-2020",
            description="Rafforzare l'ecosistema dell'innovazione sociale nel Mediterraneo.",
            partners="Camera di Commercio di Treviso-Belluno\nUniversità di Padova",
        )
        db.session.add(project)
        log("fixture: project")
    facts["project_slug"] = project.slug

    now = datetime.now(UTC)
    public = sa.select(Event).where(Event.status == EventStatus.PUBLISHED)
    workshops = db.session.scalars(
        public.where(Event.format == EventFormat.HYBRID, Event.starts_at > now)
        .order_by(Event.starts_at)
    ).unique().all()
    workshop = next((e for e in workshops if len(e.registrable_parts) >= 2), None)
    if workshop is None:
        venue = Venue(name="Parco scientifico e tecnologico Vega", address="Via delle Industrie 15",
                      city="Venezia Mestre", postcode="30175", country="IT")
        workshop = Event(
            slug="workshop-ibrido-innovazione-sociale",
            title="Workshop ibrido sull'innovazione sociale",
            summary="Due giornate al Vega e online: partecipate a una o a entrambe.",
            description="Il workshop riunisce imprese sociali e ricercatori.\n\n"
                        "**Prima giornata**: laboratori. **Seconda giornata**: tavola rotonda.",
            kind=EventKind.WORKSHOP, format=EventFormat.HYBRID, status=EventStatus.PUBLISHED,
            starts_at=_day(20, 8, 45), ends_at=_day(21, 12), venue=venue, project=project,
            online_join_url="https://meet.example.org/workshop-ibrido",
            contact_email="progetti.territoriali@example.org", published_at=now,
        )
        workshop.sessions = [
            Session(title="Prima giornata: laboratori", starts_at=_day(20, 8, 45),
                    ends_at=_day(20, 16), registrable=True),
            Session(title="Seconda giornata: tavola rotonda", starts_at=_day(21, 8),
                    ends_at=_day(21, 12), registrable=True),
        ]
        db.session.add(workshop)
        log("fixture: hybrid two-day workshop")
    facts["workshop_slug"] = workshop.slug
    facts["workshop_title"] = workshop.title
    facts["first_part_title"] = workshop.registrable_parts[0].title

    past = db.session.scalar(public.where(Event.ends_at < now).order_by(Event.starts_at.desc()))
    if past is None:
        past = Event(
            slug="webinar-innovazione-sociale-2021", title="Webinar: l'innovazione sociale",
            summary="La registrazione è disponibile.", kind=EventKind.WEBINAR,
            format=EventFormat.ONLINE, status=EventStatus.PUBLISHED,
            starts_at=datetime(2021, 3, 22, 9, 30, tzinfo=UTC),
            ends_at=datetime(2021, 3, 22, 11, 30, tzinfo=UTC), project=project, published_at=now,
        )
        db.session.add(past)
        log("fixture: past webinar")
    facts["past_slug"] = past.slug
    db.session.flush()

    from app.directory.services import public_speakers_query
    from app.events.models import Speaker

    speaker = db.session.scalar(public_speakers_query().limit(1))
    if speaker is None:
        speaker = Speaker(name="Giulia Bianchi", role="Ricercatrice",
                          affiliation="Università di Padova")
        workshop.sessions[0].speakers.append(speaker)
        db.session.flush()
        log("fixture: speaker")
    facts["speaker_slug"] = speaker.slug
    if workshop.venue is not None:
        facts["venue_slug"] = workshop.venue.slug

    registration = db.session.scalar(
        sa.select(Registration).where(Registration.event_id == workshop.id,
                                      Registration.email == "anna.bianchi@example.org")
    )
    if registration is None:
        registration = Registration(
            event=workshop, token=secrets.token_urlsafe(24), email="anna.bianchi@example.org",
            first_name="Anna", last_name="Bianchi", organisation="Cooperativa Sociale Aurora",
            attendance_mode=AttendanceMode.ONLINE, status=RegistrationStatus.CONFIRMED,
            language="it", consent_version="2026-01", consent_at=now,
        )
        registration.parts = workshop.registrable_parts[:1]
        db.session.add(registration)
    facts["attendee_token"] = registration.token
    facts["event_id"] = workshop.id
    facts["project_id"] = project.id
    facts.update(ensure_back_office_fixtures(user, workshop, now))
    db.session.commit()
    return facts


def ensure_back_office_fixtures(user, workshop, now: datetime) -> dict:
    """A newsletter subscriber (for their own data pages) and one upload of each import
    waiting for its preview, with a row that imports and a row that is refused."""
    from app.imports.models import StagedImport
    from app.newsletter.models import Subscriber, SubscriberStatus

    subscriber = db.session.scalar(
        sa.select(Subscriber).where(Subscriber.email == "lettrice.pagine@example.org"))
    if subscriber is None:
        subscriber = Subscriber(
            email="lettrice.pagine@example.org", name="Lucia Ferri", language="it",
            status=SubscriberStatus.ACTIVE, token=secrets.token_urlsafe(24),
            consent_at=now, consent_version="2026-01", confirmed_at=now)
        subscriber.set_topics(["events"])
        db.session.add(subscriber)
    uploads = {
        "registrant_import_id": StagedImport(
            kind="registrations", event_id=workshop.id, user_id=user.id, filename="iscritti.csv",
            header=["Nome", "Cognome", "E-mail", "Ente"],
            rows=[["Marco", "Neri", "marco.neri@example.org", "Comune di Belluno"],
                  ["Paola", "", "non-un-indirizzo", ""]],
            expires_at=now + timedelta(days=2)),
        "subscriber_import_id": StagedImport(
            kind="subscribers", user_id=user.id, filename="lista.csv",
            header=["email", "nome", "lingua", "fonte del consenso"],
            rows=[["sara.galli@example.org", "Sara Galli", "it", "Modulo cartaceo, Mestre 17/01/2022"],
                  ["luca@example.org", "Luca", "en", ""]],
            expires_at=now + timedelta(days=2)),
    }
    db.session.add_all([subscriber, *uploads.values()])
    db.session.flush()
    return {"subscriber_id": subscriber.id, "subscriber_token": subscriber.token,
            **{name: staged.id for name, staged in uploads.items()}}


def main() -> None:
    messages: list[str] = []
    app = create_app()
    with app.app_context():
        build_schema(app, messages.append)
        load_demo(app, messages.append)
        facts = ensure_fixtures(messages.append)
    facts["log"] = messages
    json.dump(facts, sys.stdout)


if __name__ == "__main__":
    main()

"""factory_boy factories bound to the Flask-SQLAlchemy session (flushed, not committed)."""
from __future__ import annotations

from datetime import datetime, timedelta

import factory
from factory.alchemy import SQLAlchemyModelFactory

from app.auth.models import Role, User
from app.db import utcnow
from app.events.models import (
    Event,
    EventFormat,
    EventKind,
    EventStatus,
    Material,
    MaterialKind,
    Project,
    Session,
    Speaker,
    Venue,
    Visibility,
)
from app.extensions import db
from app.registrations.models import AttendanceMode, Registration, RegistrationStatus


def in_days(days: float, hour: int = 9, minute: int = 0) -> datetime:
    """`hour`:`minute` UTC on the day `days` after today (UTC), on the application's clock."""
    base = utcnow().replace(hour=hour, minute=minute, second=0, microsecond=0)
    return base + timedelta(days=days)


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class UserFactory(Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"organiser{n}@example.org")
    name = factory.Sequence(lambda n: f"Organiser {n}")
    role = Role.ORGANISER
    password_hash = factory.LazyFunction(lambda: "")

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or "correct horse battery")


class ProjectFactory(Base):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Project {n}")
    slug = factory.Sequence(lambda n: f"project-{n}")
    programme = "Interreg MED 2014-2020"


class VenueFactory(Base):
    class Meta:
        model = Venue

    name = "Parco scientifico e tecnologico Vega"
    address = "Via delle Industrie 15"
    city = "Venezia Mestre"
    postcode = "30175"
    country = "IT"
    latitude = 45.4735
    longitude = 12.2536


class EventFactory(Base):
    class Meta:
        model = Event

    slug = factory.Sequence(lambda n: f"event-{n}")
    title = factory.Sequence(lambda n: f"Event {n}")
    summary = "A day on social innovation."
    description = "Programme and **speakers**."
    kind = EventKind.CONFERENCE
    format = EventFormat.IN_PERSON
    status = EventStatus.PUBLISHED
    timezone = "Europe/Rome"
    starts_at = factory.LazyFunction(lambda: in_days(10, 8))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=8))
    venue = factory.SubFactory(VenueFactory)
    contact_email = "progetti.territoriali@example.org"


class SpeakerFactory(Base):
    class Meta:
        model = Speaker

    name = factory.Sequence(lambda n: f"Speaker {n}")
    affiliation = "Università di Padova"


class SessionFactory(Base):
    class Meta:
        model = Session

    event = factory.SubFactory(EventFactory)
    title = factory.Sequence(lambda n: f"Session {n}")
    starts_at = factory.LazyAttribute(lambda o: o.event.starts_at)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=1))


class MaterialFactory(Base):
    class Meta:
        model = Material

    event = factory.SubFactory(EventFactory)
    kind = MaterialKind.RECORDING
    title = "Recording"
    url = "https://example.org/recording"
    visibility = Visibility.PUBLIC


class RegistrationFactory(Base):
    class Meta:
        model = Registration

    event = factory.SubFactory(EventFactory)
    token = factory.Sequence(lambda n: f"token-{n:04d}-abcdefghijklmnopqrstuvwxyz")
    email = factory.Sequence(lambda n: f"attendee{n}@example.org")
    first_name = "Maria"
    last_name = factory.Sequence(lambda n: f"Rossi{n}")
    organisation = "Impresa Sociale"
    attendance_mode = AttendanceMode.IN_PERSON
    status = RegistrationStatus.CONFIRMED
    language = "it"


from app.newsletter.models import Campaign, Subscriber, SubscriberStatus  # noqa: E402


class SubscriberFactory(Base):
    """An active newsletter subscriber (confirmed, every topic)."""

    class Meta:
        model = Subscriber

    email = factory.Sequence(lambda n: f"reader{n}@example.org")
    name = factory.Sequence(lambda n: f"Reader {n}")
    language = "it"
    status = SubscriberStatus.ACTIVE
    token = factory.Sequence(lambda n: f"sub-{n:05d}-tokenabcdefghijklmnopqrstuvwxyz")
    consent_version = "2026-01"
    consent_at = factory.LazyFunction(utcnow)
    confirmed_at = factory.LazyFunction(utcnow)

    @factory.post_generation
    def topics(obj, create, extracted, **kwargs):
        obj.set_topics(["events", "funding", "eu-projects", "social-innovation"]
                       if extracted is None else extracted)


class CampaignFactory(Base):
    class Meta:
        model = Campaign

    subject = factory.Sequence(lambda n: f"La Camera Informa n. {n}")
    body_markdown = "Nuovi **bandi** e *eventi* del mese.\n\n[Leggi di più](https://example.org/bandi)"
    language = "it"


def mestre_workshop(*, venue: dict | None = None, speaker: dict | None = None, **event) -> Event:
    """The two-day hybrid workshop in Mestre of the +RESILIENT project: a registrable part a
    day, Giulia Bianchi speaking on the first. `venue`, `speaker` and `event` add fields."""
    project = ProjectFactory(name="+RESILIENT", slug="resilient", acronym="+RESILIENT")
    place = VenueFactory(name="Parco Vega", **(venue or {}))
    workshop = EventFactory(
        slug="workshop-mestre", title="Workshop ibrido a Mestre", format=EventFormat.HYBRID,
        project=project, venue=place, starts_at=in_days(20, 8, 45), ends_at=in_days(21, 12),
        online_join_url="https://meet.example.org/secret-room", **event,
    )
    person = SpeakerFactory(name="Giulia Bianchi", role="Ricercatrice", **(speaker or {}))
    day1 = SessionFactory(event=workshop, title="Primo giorno", registrable=True,
                          starts_at=workshop.starts_at, ends_at=workshop.starts_at + timedelta(hours=7))
    day1.speakers.append(person)
    SessionFactory(event=workshop, title="Secondo giorno", registrable=True,
                   starts_at=workshop.starts_at + timedelta(days=1),
                   ends_at=workshop.starts_at + timedelta(days=1, hours=3))
    return workshop


def registration_form(**fields) -> dict:
    """What Maria Rossi types in an event's registration form; `fields` change or add
    fields, and a field given as None is left out."""
    data = {
        "first_name": "Maria", "last_name": "Rossi", "email": "maria.rossi@example.org",
        "organisation": "Cooperativa", "category": "terzo_settore", "country": "IT",
        "privacy_consent": "y", **fields,
    }
    return {k: v for k, v in data.items() if v is not None}

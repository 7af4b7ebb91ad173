"""Projects, venues, events and their programme: sessions, speakers and materials."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import postgresql, sqlite

from app.db import StrEnum, TimestampMixin, enum_column, holds, reference, utcnow
from app.extensions import db
from app.text import slugify

if TYPE_CHECKING:
    from app.auth.models import User


class EventKind(StrEnum):
    CONFERENCE = "conference"
    WORKSHOP = "workshop"
    WEBINAR = "webinar"
    STUDY_VISIT = "study_visit"
    MISSION = "mission"
    POLICY_EVENT = "policy_event"
    SCREENING = "screening"
    OTHER = "other"


class EventFormat(StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    HYBRID = "hybrid"


class EventStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class RegistrationMode(StrEnum):
    REQUIRED = "required"
    NOT_REQUIRED = "not_required"
    EXTERNAL = "external"


class SessionKind(StrEnum):
    TALK = "talk"
    ROUND_TABLE = "round_table"
    WORKSHOP = "workshop"
    BREAK = "break"
    VISIT = "visit"
    B2B = "b2b"


class MaterialKind(StrEnum):
    RECORDING = "recording"
    SLIDES = "slides"
    PROGRAMME = "programme"
    DOCUMENT = "document"
    LINK = "link"


class Visibility(StrEnum):
    PUBLIC = "public"
    REGISTRANTS = "registrants"


class ProjectStatus(StrEnum):
    PLANNED = "planned"
    ONGOING = "ongoing"
    COMPLETED = "completed"


event_organisers = sa.Table(
    "event_organisers",
    db.metadata,
    sa.Column("event_id", sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Project(TimestampMixin, db.Model):
    __tablename__ = "projects"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    slug: so.Mapped[str] = so.mapped_column(sa.String(120), unique=True)
    acronym: so.Mapped[str] = so.mapped_column(sa.String(60), default="")
    programme: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # English versions (optional): shown to English visitors, else the Italian text.
    name_en: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    description_en: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    website: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    starts_on: so.Mapped[date | None]
    ends_on: so.Mapped[date | None]
    budget: so.Mapped[Decimal | None] = so.mapped_column(sa.Numeric(14, 2))
    funding: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # The programme's priority or axis the project answers, as the programme words it.
    priority: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    partners: so.Mapped[str] = so.mapped_column(sa.Text, default="")  # one per line
    status: so.Mapped[ProjectStatus] = so.mapped_column(
        enum_column(ProjectStatus), default=ProjectStatus.ONGOING
    )

    events: so.WriteOnlyMapped[Event] = so.relationship(back_populates="project")

    @property
    def partner_list(self) -> list[str]:
        return [line.strip() for line in self.partners.splitlines() if line.strip()]

    def __repr__(self) -> str:
        return f"<Project {self.slug}>"


class Venue(TimestampMixin, db.Model):
    __tablename__ = "venues"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    # The public address /venues/<slug>/: given once from the name, kept on renames.
    slug: so.Mapped[str] = so.mapped_column(sa.String(120), unique=True)
    address: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    city: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    postcode: so.Mapped[str] = so.mapped_column(sa.String(20), default="")
    country: so.Mapped[str] = so.mapped_column(sa.String(2), default="IT")  # ISO 3166-1
    latitude: so.Mapped[float | None]
    longitude: so.Mapped[float | None]
    # Step-free access, lifts, hearing loops...: shown on the venue's public page.
    accessibility_notes: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # English versions (optional): shown to English visitors, else the Italian text.
    name_en: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    accessibility_notes_en: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    @property
    def one_line(self) -> str:
        parts = [self.name, self.address, " ".join(p for p in (self.postcode, self.city) if p)]
        return ", ".join(p for p in parts if p)

    def __repr__(self) -> str:
        return f"<Venue {self.name}>"


class Event(TimestampMixin, db.Model):
    __tablename__ = "events"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    slug: so.Mapped[str] = so.mapped_column(sa.String(120), unique=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(300))
    summary: so.Mapped[str] = so.mapped_column(sa.String(600), default="")
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")  # Markdown
    # The second-language version (optional), read through app.i18n.localized: English
    # visitors, feeds, PDFs and e-mails get it, and fall back to the texts above.
    title_en: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    summary_en: so.Mapped[str] = so.mapped_column(sa.String(600), default="")
    description_en: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    kind: so.Mapped[EventKind] = so.mapped_column(enum_column(EventKind), default=EventKind.CONFERENCE)
    format: so.Mapped[EventFormat] = so.mapped_column(
        enum_column(EventFormat), default=EventFormat.IN_PERSON
    )
    status: so.Mapped[EventStatus] = so.mapped_column(
        enum_column(EventStatus), default=EventStatus.DRAFT, index=True
    )
    timezone: so.Mapped[str] = so.mapped_column(sa.String(64), default="Europe/Rome")
    starts_at: so.Mapped[datetime] = so.mapped_column(index=True)
    # Indexed: the next event to end is read on every cached list view (its rollover).
    ends_at: so.Mapped[datetime] = so.mapped_column(index=True)
    language: so.Mapped[str] = so.mapped_column(sa.String(8), default="it")

    venue_id: so.Mapped[int | None] = reference("venues.id", on_delete="SET NULL", index=True)
    project_id: so.Mapped[int | None] = reference("projects.id", on_delete="SET NULL", index=True)

    # The organiser's contact block (office, phone, e-mail, opening hours).
    contact_name: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    contact_email: so.Mapped[str] = so.mapped_column(sa.String(254), default="")
    contact_phone: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    contact_notes: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    # Private: shown only to confirmed online registrants (attendee page, personal feed).
    online_join_url: so.Mapped[str] = so.mapped_column(sa.String(500), default="")

    # Registration settings.
    registration_mode: so.Mapped[RegistrationMode] = so.mapped_column(
        enum_column(RegistrationMode), default=RegistrationMode.REQUIRED
    )
    registration_url: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    registration_opens_at: so.Mapped[datetime | None]
    registration_closes_at: so.Mapped[datetime | None]
    capacity: so.Mapped[int | None]  # None = unlimited
    capacity_in_person: so.Mapped[int | None]
    capacity_online: so.Mapped[int | None]
    waitlist_enabled: so.Mapped[bool] = so.mapped_column(default=True)
    reminder_hours_before: so.Mapped[int] = so.mapped_column(default=24)

    # Data version: bumped on every change of the event or its programme; caches key on it.
    version: so.Mapped[int] = so.mapped_column(default=1)
    # iCalendar SEQUENCE: bumped when time, place or status change.
    sequence: so.Mapped[int] = so.mapped_column(default=0)
    published_at: so.Mapped[datetime | None]
    cancelled_at: so.Mapped[datetime | None]
    # Why the event was cancelled: shown on its page and in the e-mail to registrants.
    cancellation_reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # A short practical note for confirmation and reminder e-mails ("bring an ID"),
    # in Italian and English; registrants read theirs, falling back to Italian.
    email_note: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    email_note_en: so.Mapped[str] = so.mapped_column(sa.String(500), default="")

    venue: so.Mapped[Venue | None] = so.relationship(lazy="joined")
    project: so.Mapped[Project | None] = so.relationship(back_populates="events", lazy="joined")
    organisers: so.Mapped[list[User]] = so.relationship(secondary=event_organisers)
    sessions: so.Mapped[list[Session]] = so.relationship(
        back_populates="event",
        cascade="all, delete-orphan",
        order_by="(Session.starts_at, Session.position, Session.id)",
    )
    materials: so.Mapped[list[Material]] = so.relationship(
        back_populates="event",
        cascade="all, delete-orphan",
        order_by="(Material.position, Material.id)",
    )

    __table_args__ = (
        sa.CheckConstraint("ends_at >= starts_at", name="ends_after_start"),
    )

    is_published = holds("status", EventStatus.PUBLISHED)

    is_cancelled = holds("status", EventStatus.CANCELLED)

    is_public = holds("status", EventStatus.PUBLISHED, EventStatus.CANCELLED)

    is_online = holds("format", EventFormat.ONLINE, EventFormat.HYBRID)

    @property
    def has_venue(self) -> bool:
        return self.format in (EventFormat.IN_PERSON, EventFormat.HYBRID) and self.venue is not None

    @property
    def registrable_parts(self) -> list[Session]:
        return [s for s in self.sessions if s.registrable]

    def email_note_for(self, language: str) -> str:
        """The e-mail note in the registrant's language, else the Italian one."""
        if language == "en" and self.email_note_en.strip():
            return self.email_note_en.strip()
        return (self.email_note or "").strip()

    def is_past(self, now: datetime | None = None) -> bool:
        return self.ends_at < (now or utcnow())

    def bump_version(self, *, schedule_changed: bool = False) -> None:
        """Mark the event changed; schedule_changed also moves the iCalendar SEQUENCE."""
        self.version = (self.version or 0) + 1
        if schedule_changed:
            self.sequence = (self.sequence or 0) + 1
        self.updated_at = utcnow()

    def __repr__(self) -> str:
        return f"<Event {self.slug}>"


session_speakers = sa.Table(
    "session_speakers",
    db.metadata,
    sa.Column("session_id", sa.ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("speaker_id", sa.ForeignKey("speakers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False, default=0),
)


class Session(TimestampMixin, db.Model):
    """A programme item; `registrable` ones are parts people sign up for separately."""

    __tablename__ = "sessions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    event_id: so.Mapped[int] = reference("events.id", index=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(300))
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    title_en: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    description_en: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    starts_at: so.Mapped[datetime]
    ends_at: so.Mapped[datetime]
    room: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    kind: so.Mapped[SessionKind] = so.mapped_column(enum_column(SessionKind), default=SessionKind.TALK)
    position: so.Mapped[int] = so.mapped_column(default=0)
    registrable: so.Mapped[bool] = so.mapped_column(default=False)
    capacity: so.Mapped[int | None]
    # Per part and attendance mode ("5 in presence each day, 100 online"); None = no limit.
    capacity_in_person: so.Mapped[int | None]
    capacity_online: so.Mapped[int | None]
    # When registration for this part closes; None = at the part's start.
    registration_closes_at: so.Mapped[datetime | None]

    event: so.Mapped[Event] = so.relationship(back_populates="sessions")
    speakers: so.Mapped[list[Speaker]] = so.relationship(
        secondary=session_speakers, order_by=session_speakers.c.position
    )

    __table_args__ = (
        sa.CheckConstraint("ends_at >= starts_at", name="ends_after_start"),
    )

    @property
    def closes_at(self) -> datetime:
        """When registration for this part closes (its own setting, else its start)."""
        return self.registration_closes_at or self.starts_at

    def is_open_for_registration(self, now: datetime | None = None) -> bool:
        return (now or utcnow()) < self.closes_at

    def __repr__(self) -> str:
        return f"<Session {self.title!r}>"


class Speaker(TimestampMixin, db.Model):
    __tablename__ = "speakers"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    # The public address /speakers/<slug>/: given once from the name, kept on renames.
    slug: so.Mapped[str] = so.mapped_column(sa.String(120), unique=True)
    affiliation: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    role: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    bio: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    def __repr__(self) -> str:
        return f"<Speaker {self.name}>"


class Material(TimestampMixin, db.Model):
    __tablename__ = "materials"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    event_id: so.Mapped[int] = reference("events.id", index=True)
    session_id: so.Mapped[int | None] = reference("sessions.id", index=True)
    kind: so.Mapped[MaterialKind] = so.mapped_column(enum_column(MaterialKind), default=MaterialKind.LINK)
    title: so.Mapped[str] = so.mapped_column(sa.String(300))
    title_en: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    url: so.Mapped[str] = so.mapped_column(sa.String(500))
    visibility: so.Mapped[Visibility] = so.mapped_column(
        enum_column(Visibility), default=Visibility.PUBLIC
    )
    published_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    position: so.Mapped[int] = so.mapped_column(default=0)

    event: so.Mapped[Event] = so.relationship(back_populates="materials")
    session: so.Mapped[Session | None] = so.relationship()

    is_public = holds("visibility", Visibility.PUBLIC)

    def __repr__(self) -> str:
        return f"<Material {self.title!r}>"


class CatalogueVersion(db.Model):
    """The catalogue's data version: one row, bumped in the same transaction as any
    change to an event, its programme, materials, venue or project. Cached lists key on
    it, so every worker and host sees a change the moment it commits."""

    __tablename__ = "catalogue_versions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    version: so.Mapped[int] = so.mapped_column(default=0)
    # When it last moved: the Last-Modified of the feeds.
    changed_at: so.Mapped[datetime | None]


CATALOGUE_ROW = 1
# What the public lists, feeds, sitemap and embeds show: a change to any of these
# moves the catalogue version.
CATALOGUE_MODELS = (Event, Session, Material, Venue, Project)


def _bump_catalogue_statement(dialect: str) -> sa.Insert:
    """An upsert, so a missing row (a fresh or truncated database) is created, not skipped."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = CatalogueVersion.__table__
    now = utcnow()
    stmt = insert(table).values(id=CATALOGUE_ROW, version=1, changed_at=now)
    return stmt.on_conflict_do_update(index_elements=[table.c.id],
                                      set_={"version": table.c.version + 1, "changed_at": now})


def _touches_catalogue(session: so.Session) -> bool:
    if any(isinstance(o, CATALOGUE_MODELS) for o in (*session.new, *session.deleted)):
        return True
    return any(isinstance(o, CATALOGUE_MODELS) and session.is_modified(o) for o in session.dirty)


# The version row is bumped last, just before the commit: a transaction never holds it
# while it waits for another row (an event's, its counters'), so two writers always take
# the rows they share in the same order and cannot deadlock on it.
_TOUCHED = "catalogue_touched"


@sa.event.listens_for(so.Session, "before_flush")
def _note_catalogue_change(session: so.Session, flush_context, instances) -> None:
    if _touches_catalogue(session):
        session.info[_TOUCHED] = True


@sa.event.listens_for(so.Session, "do_orm_execute")
def _note_catalogue_bulk_write(state: so.ORMExecuteState) -> None:
    """The same for UPDATE, DELETE and INSERT statements run through the session."""
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    mapper = state.bind_mapper
    if mapper is not None and issubclass(mapper.class_, CATALOGUE_MODELS):
        state.session.info[_TOUCHED] = True


@sa.event.listens_for(so.Session, "before_commit")
def _bump_catalogue_version(session: so.Session) -> None:
    """Move the catalogue version in the transaction that writes the change, as its last
    statement (after the final flush)."""
    session.flush()
    if session.info.pop(_TOUCHED, False):
        conn = session.connection()
        conn.execute(_bump_catalogue_statement(conn.dialect.name))


@sa.event.listens_for(so.Session, "after_rollback")
def _forget_catalogue_change(session: so.Session) -> None:
    session.info.pop(_TOUCHED, None)


@sa.event.listens_for(Venue, "before_insert")
@sa.event.listens_for(Speaker, "before_insert")
def _give_slug(mapper, connection, target) -> None:
    """A venue or speaker created without a slug gets one from its name, unique in its table."""
    if target.slug:
        return
    table = mapper.local_table
    base = slugify(target.name, max_length=110)
    # slugify gives only [a-z0-9-], so the prefix holds no LIKE wildcard.
    taken = set(connection.scalars(sa.select(table.c.slug).where(table.c.slug.like(base + "%"))))
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    target.slug = candidate

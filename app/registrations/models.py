"""Registrations of attendees to events and to the registrable parts of an event."""
from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.db import StrEnum, TimestampMixin, enum_column, holds, reference, stamped
from app.events.models import Event, Session
from app.extensions import db


class RegistrationStatus(StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class AttendanceMode(StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"


registration_parts = sa.Table(
    "registration_parts",
    db.metadata,
    sa.Column(
        "registration_id", sa.ForeignKey("registrations.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("session_id", sa.ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
)


class Registration(TimestampMixin, db.Model):
    __tablename__ = "registrations"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    event_id: so.Mapped[int] = reference("events.id", index=True)
    # secrets.token_urlsafe(24): 192 bits; the attendee's private link.
    token: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    # A second secret, for the door only: the QR code carries it and the check-in view
    # accepts nothing else, so a photographed badge opens no attendee page.
    checkin_token: so.Mapped[str] = so.mapped_column(
        sa.String(64), unique=True, default=lambda: secrets.token_urlsafe(32)
    )
    email: so.Mapped[str] = so.mapped_column(sa.String(254), index=True)  # normalised
    first_name: so.Mapped[str] = so.mapped_column(sa.String(100))
    last_name: so.Mapped[str] = so.mapped_column(sa.String(100))
    organisation: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    category: so.Mapped[str] = so.mapped_column(sa.String(60), default="")
    country: so.Mapped[str] = so.mapped_column(sa.String(2), default="")
    attendance_mode: so.Mapped[AttendanceMode] = so.mapped_column(
        enum_column(AttendanceMode), default=AttendanceMode.IN_PERSON
    )
    status: so.Mapped[RegistrationStatus] = so.mapped_column(
        enum_column(RegistrationStatus), index=True
    )
    waitlist_position: so.Mapped[int | None]
    language: so.Mapped[str] = so.mapped_column(sa.String(8), default="it")
    needs: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    consent_version: so.Mapped[str] = so.mapped_column(sa.String(40), default="")
    consent_at: so.Mapped[datetime | None]
    newsletter_opt_in: so.Mapped[bool] = so.mapped_column(default=False)
    answers: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON, default=dict)
    # Each answered question's wording when it was answered ({question id: label}):
    # an organiser may reword or remove a question later, the answer keeps its question.
    answer_labels: so.Mapped[dict[str, str]] = so.mapped_column(sa.JSON, default=dict)
    checked_in_at: so.Mapped[datetime | None]
    cancelled_at: so.Mapped[datetime | None]
    anonymised_at: so.Mapped[datetime | None]

    event: so.Mapped[Event] = so.relationship()
    parts: so.Mapped[list[Session]] = so.relationship(
        secondary=registration_parts, order_by=Session.starts_at
    )

    __table_args__ = (
        # One live registration per address and event; anonymised rows keep counts only.
        sa.Index("ix_registrations_event_email", "event_id", "email"),
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    is_confirmed = holds("status", RegistrationStatus.CONFIRMED)

    is_online = holds("attendance_mode", AttendanceMode.ONLINE)

    is_waitlisted = holds("status", RegistrationStatus.WAITLISTED)

    is_cancelled = holds("status", RegistrationStatus.CANCELLED)

    is_anonymised = stamped("anonymised_at")

    def __repr__(self) -> str:
        return f"<Registration {self.id} {self.status}>"


class CapacityCounter(db.Model):
    """Seats taken in one dimension of an event: the whole event, a mode, a part, the queue.

    Keys: "event", "mode:in_person", "mode:online", "part:<session id>", "waitlist".
    Every change to confirmed or waiting registrations first locks all of an event's
    rows in key order (SELECT ... FOR UPDATE on PostgreSQL, the database write lock on
    SQLite), so the check and the write are one atomic step on any number of hosts.
    """

    __tablename__ = "capacity_counters"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    event_id: so.Mapped[int] = reference("events.id", index=True)
    key: so.Mapped[str] = so.mapped_column(sa.String(40))
    used: so.Mapped[int] = so.mapped_column(default=0)
    # On the "event" row only: the availability last shown on the event page, so
    # the page's cache version moves exactly when the state changes.
    state: so.Mapped[str] = so.mapped_column(sa.String(20), default="")

    __table_args__ = (
        sa.UniqueConstraint("event_id", "key", name="uq_capacity_counters_event_key"),
    )

    def __repr__(self) -> str:
        return f"<CapacityCounter {self.event_id} {self.key} {self.used}>"


class QuestionKind(StrEnum):
    TEXT = "text"
    SINGLE = "single"
    MULTIPLE = "multiple"
    YES_NO = "yes_no"


class Question(TimestampMixin, db.Model):
    """An organiser's own question on an event's registration form."""

    __tablename__ = "registration_questions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    event_id: so.Mapped[int] = reference("events.id", index=True)
    label: so.Mapped[str] = so.mapped_column(sa.String(300))
    kind: so.Mapped[QuestionKind] = so.mapped_column(enum_column(QuestionKind), default=QuestionKind.TEXT)
    required: so.Mapped[bool] = so.mapped_column(default=False)
    # One option per line, for single and multiple choice.
    options: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    position: so.Mapped[int] = so.mapped_column(default=0)

    event: so.Mapped[Event] = so.relationship()

    @property
    def option_list(self) -> list[str]:
        return [line.strip() for line in self.options.splitlines() if line.strip()]

    @property
    def field_name(self) -> str:
        return f"q_{self.id}"

    def __repr__(self) -> str:
        return f"<Question {self.id} {self.kind}>"


class WaitlistPlace(db.Model):
    """A waiting registration's place in the queue of one seat it wants (part x mode).

    `cell` is a capacity cell key ("part:<id>:<mode>", or "mode:<mode>" for an event
    without parts). Positions are 1..n in each cell, kept gapless under the event's
    counter lock, so a freed seat goes to the first person who wanted exactly it.
    """

    __tablename__ = "waitlist_places"

    registration_id: so.Mapped[int] = reference("registrations.id", primary_key=True)
    cell: so.Mapped[str] = so.mapped_column(sa.String(40), primary_key=True)
    event_id: so.Mapped[int] = reference("events.id", index=True)
    position: so.Mapped[int]

    def __repr__(self) -> str:
        return f"<WaitlistPlace {self.registration_id} {self.cell} #{self.position}>"


class AttendanceSource(StrEnum):
    DOOR = "door"          # checked in at the door (QR or list)
    OVERRIDE = "override"  # an organiser checked in outside the window, with a reason
    IMPORT = "import"      # an online platform's attendance report


class Attendance(TimestampMixin, db.Model):
    """That a registrant was present at one part (a day, a session or the whole event).

    `slot` is the check-in unit's key ("part:<session id>", "day:YYYY-MM-DD" or
    "event"). Online attendance carries the minutes attended; `attended` says whether
    they reach the minimum that counts.
    """

    __tablename__ = "attendances"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    registration_id: so.Mapped[int] = reference("registrations.id", index=True)
    event_id: so.Mapped[int] = reference("events.id", index=True)
    slot: so.Mapped[str] = so.mapped_column(sa.String(40))
    # The slot's times when recorded: certificates and reports ask "attended a part
    # that has ended" in SQL.
    slot_starts_at: so.Mapped[datetime]
    slot_ends_at: so.Mapped[datetime]
    mode: so.Mapped[AttendanceMode] = so.mapped_column(enum_column(AttendanceMode))
    source: so.Mapped[AttendanceSource] = so.mapped_column(enum_column(AttendanceSource))
    checked_in_at: so.Mapped[datetime]
    minutes: so.Mapped[int | None]
    attended: so.Mapped[bool] = so.mapped_column(default=True)
    # Who checked them in; cleared when the registration is anonymised.
    checked_in_by_id: so.Mapped[int | None] = reference("users.id", on_delete="SET NULL")

    registration: so.Mapped[Registration] = so.relationship()

    __table_args__ = (
        sa.UniqueConstraint("registration_id", "slot", name="uq_attendances_registration_slot"),
    )

    def __repr__(self) -> str:
        return f"<Attendance {self.registration_id} {self.slot} {self.mode}>"

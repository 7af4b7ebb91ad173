"""Registrations of attendees to events and to the registrable parts of an event."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.db import TimestampMixin
from app.events.models import Event, Session, StrEnum, _enum
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
    event_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    # secrets.token_urlsafe(24): 192 bits; the attendee's private link.
    token: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), index=True)  # normalised
    first_name: so.Mapped[str] = so.mapped_column(sa.String(100))
    last_name: so.Mapped[str] = so.mapped_column(sa.String(100))
    organisation: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    category: so.Mapped[str] = so.mapped_column(sa.String(60), default="")
    country: so.Mapped[str] = so.mapped_column(sa.String(2), default="")
    attendance_mode: so.Mapped[AttendanceMode] = so.mapped_column(
        _enum(AttendanceMode), default=AttendanceMode.IN_PERSON
    )
    status: so.Mapped[RegistrationStatus] = so.mapped_column(
        _enum(RegistrationStatus), index=True
    )
    waitlist_position: so.Mapped[int | None]
    language: so.Mapped[str] = so.mapped_column(sa.String(8), default="it")
    needs: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    consent_version: so.Mapped[str] = so.mapped_column(sa.String(40), default="")
    consent_at: so.Mapped[datetime | None]
    newsletter_opt_in: so.Mapped[bool] = so.mapped_column(default=False)
    answers: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON, default=dict)
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

    @property
    def is_confirmed(self) -> bool:
        return self.status == RegistrationStatus.CONFIRMED

    @property
    def is_online(self) -> bool:
        return self.attendance_mode == AttendanceMode.ONLINE

    def __repr__(self) -> str:
        return f"<Registration {self.id} {self.status}>"

"""Reminder rows: one per registration and kind, with a due time and a sent mark."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.db import StrEnum, TimestampMixin, enum_column, reference
from app.events.models import Event
from app.extensions import db
from app.registrations.models import Registration


class ReminderKind(StrEnum):
    DAY_BEFORE = "day_before"    # Event.reminder_hours_before ahead (24 by default)
    HOUR_BEFORE = "hour_before"  # online attendees, with the join link
    RECORDING = "recording"      # the recording of a past event is online


class ReminderStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"        # its e-mail is in the outbox (same transaction)
    SKIPPED = "skipped"  # no longer wanted: registration or event cancelled, too late


class Reminder(TimestampMixin, db.Model):
    __tablename__ = "reminders"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    registration_id: so.Mapped[int] = reference("registrations.id")
    event_id: so.Mapped[int] = reference("events.id", index=True)
    kind: so.Mapped[ReminderKind] = so.mapped_column(enum_column(ReminderKind))
    due_at: so.Mapped[datetime]
    status: so.Mapped[ReminderStatus] = so.mapped_column(
        enum_column(ReminderStatus), default=ReminderStatus.PENDING
    )
    sent_at: so.Mapped[datetime | None]
    skipped_reason: so.Mapped[str] = so.mapped_column(sa.String(60), default="")
    material_id: so.Mapped[int | None] = reference("materials.id", on_delete="SET NULL")
    outbox_id: so.Mapped[int | None] = reference("outbox.id", on_delete="SET NULL")

    registration: so.Mapped[Registration] = so.relationship()
    event: so.Mapped[Event] = so.relationship()

    __table_args__ = (
        # Exactly once per registration and kind, whatever restarts or moves happen.
        sa.UniqueConstraint("registration_id", "kind"),
        sa.Index("ix_reminders_due", "status", "due_at"),
    )

    def __repr__(self) -> str:
        return f"<Reminder {self.kind} {self.status} due {self.due_at:%Y-%m-%d %H:%M}>"

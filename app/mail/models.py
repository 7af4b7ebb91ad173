"""The outbox: every e-mail is a row, written in the transaction that causes it."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.db import StrEnum, TimestampMixin, enum_column, reference, utcnow
from app.extensions import db


class OutboxStatus(StrEnum):
    QUEUED = "queued"      # waiting for its first or next attempt (see next_attempt_at)
    SENDING = "sending"    # claimed by a delivery run (claimed_until guards a crashed run)
    SENT = "sent"
    FAILED = "failed"      # permanent failure or attempts exhausted


class OutboxMessage(TimestampMixin, db.Model):
    __tablename__ = "outbox"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    category: so.Mapped[str] = so.mapped_column(sa.String(60), index=True)
    recipient: so.Mapped[str] = so.mapped_column(sa.String(254), index=True)
    sender: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    subject: so.Mapped[str] = so.mapped_column(sa.String(300))
    body_text: so.Mapped[str] = so.mapped_column(sa.Text)
    body_html: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    language: so.Mapped[str] = so.mapped_column(sa.String(8), default="it")
    # Extra headers, e.g. List-Unsubscribe.
    headers: so.Mapped[dict[str, str]] = so.mapped_column(sa.JSON, default=dict)
    # [{"filename", "content_type", "content" (text), "method"?, "alternative"?: bool}]
    attachments: so.Mapped[list[dict[str, Any]]] = so.mapped_column(sa.JSON, default=list)
    message_id: so.Mapped[str] = so.mapped_column(sa.String(300), default="")

    status: so.Mapped[OutboxStatus] = so.mapped_column(
        enum_column(OutboxStatus), default=OutboxStatus.QUEUED
    )
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    claimed_until: so.Mapped[datetime | None]
    # Which delivery run holds the row while SENDING; a run only settles its own claims.
    claim_token: so.Mapped[str] = so.mapped_column(sa.String(32), default="")
    last_error: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    sent_at: so.Mapped[datetime | None]

    event_id: so.Mapped[int | None] = reference("events.id", on_delete="SET NULL", index=True)
    registration_id: so.Mapped[int | None] = reference("registrations.id", on_delete="SET NULL", index=True)

    __table_args__ = (sa.Index("ix_outbox_due", "status", "next_attempt_at"),)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.category} {self.status}>"


class MailCooldown(db.Model):
    """Per address and kind: the last mail a stranger could trigger, and today's count
    (app/mail/cooldown.py). `key` is a keyed hash: no address is stored."""

    __tablename__ = "mail_cooldowns"

    key: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    last_sent_at: so.Mapped[datetime]
    day: so.Mapped[str] = so.mapped_column(sa.String(10))  # UTC date of sent_today
    sent_today: so.Mapped[int] = so.mapped_column(default=0)

"""Organiser API keys: a secret shown once, stored only as its SHA-256.

A key belongs to one organiser and reaches either one event or every event that
organiser manages (`event_id` None). It never outlives its owner's rights: each use
checks `can_manage` again, so an organiser removed from an event, or deactivated,
takes their keys' reach with them. Keys are long random strings, so a fast hash is
enough (there is nothing to brute-force); the short public prefix finds the row.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.db import TimestampMixin, reference
from app.extensions import db

if TYPE_CHECKING:
    from app.auth.models import User
    from app.events.models import Event


class ApiKey(TimestampMixin, db.Model):
    __tablename__ = "api_keys"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = reference("users.id", index=True)
    # None: every event the owner manages.
    event_id: so.Mapped[int | None] = reference("events.id", index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    prefix: so.Mapped[str] = so.mapped_column(sa.String(16), unique=True)
    key_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    last_used_at: so.Mapped[datetime | None]
    revoked_at: so.Mapped[datetime | None]

    user: so.Mapped[User] = so.relationship()
    event: so.Mapped[Event | None] = so.relationship()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def __repr__(self) -> str:
        return f"<ApiKey {self.prefix}>"

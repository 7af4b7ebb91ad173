"""Audit log: who changed what, and when."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.db import reference, utcnow
from app.extensions import db


class AuditEntry(db.Model):
    __tablename__ = "audit_log"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    user_id: so.Mapped[int | None] = reference("users.id", on_delete="SET NULL", index=True)
    action: so.Mapped[str] = so.mapped_column(sa.String(60))  # e.g. "event.publish"
    object_type: so.Mapped[str] = so.mapped_column(sa.String(40), default="")
    object_id: so.Mapped[int | None]
    summary: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    details: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON, default=dict)

    user = so.relationship("User", lazy="joined")

"""Scheduler state in the database: the leadership lease and what each job last did."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db


class SchedulerLease(db.Model):
    """One row per lease name; whoever holds an unexpired lease runs the jobs.

    Works the same on SQLite and PostgreSQL: taking the lease is a conditional
    UPDATE (held by me, or expired), so two processes can never both hold it.
    """

    __tablename__ = "scheduler_leases"

    name: so.Mapped[str] = so.mapped_column(sa.String(60), primary_key=True)
    holder: so.Mapped[str] = so.mapped_column(sa.String(200))  # host:pid:random
    acquired_at: so.Mapped[datetime]
    renewed_at: so.Mapped[datetime]
    expires_at: so.Mapped[datetime]

    def __repr__(self) -> str:
        return f"<SchedulerLease {self.name} {self.holder}>"


class SchedulerJobState(db.Model):
    """Written by the leading scheduler so `flask scheduler status` can tell from any host."""

    __tablename__ = "scheduler_jobs"

    id: so.Mapped[str] = so.mapped_column(sa.String(100), primary_key=True)
    trigger: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    next_run_at: so.Mapped[datetime | None]
    last_run_at: so.Mapped[datetime | None]
    last_duration_ms: so.Mapped[int | None]
    last_outcome: so.Mapped[str] = so.mapped_column(sa.String(20), default="")  # ok / error
    last_error: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    updated_by: so.Mapped[str] = so.mapped_column(sa.String(200), default="")

    def __repr__(self) -> str:
        return f"<SchedulerJobState {self.id}>"

"""Leadership through a lease row: only the holder of an unexpired lease runs jobs."""
from __future__ import annotations

import os
import secrets
import socket
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.db import utcnow
from app.extensions import db
from app.scheduler.models import SchedulerLease

LEASE_NAME = "scheduler"


def new_holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Lease:
    """A named lease held for `ttl` and renewed by calling acquire() again.

    Each call commits its own short transaction, so it must run on a session
    that has no other pending work.
    """

    def __init__(self, holder: str | None = None, *, ttl: timedelta = timedelta(seconds=20),
                 name: str = LEASE_NAME) -> None:
        self.holder = holder or new_holder_id()
        self.ttl = ttl
        self.name = name

    def acquire(self, now: datetime | None = None) -> bool:
        """Take the lease if free or expired, or renew it if already ours."""
        now = now or utcnow()
        table = SchedulerLease.__table__
        mine = table.c.holder == self.holder
        result = db.session.execute(
            sa.update(table)
            .where(table.c.name == self.name, sa.or_(mine, table.c.expires_at < now))
            .values(
                holder=self.holder,
                acquired_at=sa.case((mine, table.c.acquired_at), else_=now),
                renewed_at=now,
                expires_at=now + self.ttl,
            )
        )
        if result.rowcount == 1:
            db.session.commit()
            return True
        exists = db.session.scalar(sa.select(table.c.name).where(table.c.name == self.name))
        if exists:
            db.session.commit()
            return False
        try:
            db.session.execute(sa.insert(table).values(
                name=self.name, holder=self.holder, acquired_at=now, renewed_at=now,
                expires_at=now + self.ttl,
            ))
            db.session.commit()
            return True
        except IntegrityError:  # another process inserted it first
            db.session.rollback()
            return False

    def release(self) -> None:
        """Give the lease up at once so a standby need not wait for it to expire."""
        table = SchedulerLease.__table__
        db.session.execute(
            sa.update(table)
            .where(table.c.name == self.name, table.c.holder == self.holder)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()


def current_lease(name: str = LEASE_NAME) -> SchedulerLease | None:
    return db.session.get(SchedulerLease, name)

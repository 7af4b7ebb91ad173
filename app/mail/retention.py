"""Sent e-mails are kept OUTBOX_RETENTION_DAYS (90 by default), then deleted.

A delivered message's body holds the recipient's name and private links; once
delivery is long settled nobody needs it. Failed messages go after the same time
counted from their last attempt; queued and sending ones are never touched.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.db import utcnow
from app.extensions import db
from app.mail.models import OutboxMessage, OutboxStatus


def purge_old_messages(now: datetime | None = None, batch: int = 1000) -> int:
    """Delete up to `batch` sent or failed messages older than the retention; returns how many."""
    now = now or utcnow()
    cutoff = now - timedelta(days=int(current_app.config.get("OUTBOX_RETENTION_DAYS", 90)))
    old = sa.or_(
        sa.and_(OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.sent_at < cutoff),
        sa.and_(OutboxMessage.status == OutboxStatus.FAILED, OutboxMessage.updated_at < cutoff),
    )
    ids = list(db.session.scalars(sa.select(OutboxMessage.id).where(old).order_by(OutboxMessage.id)
                                  .limit(batch)))
    if ids:
        # Reminders pointing at these rows lose the pointer (ON DELETE SET NULL).
        db.session.execute(sa.delete(OutboxMessage).where(OutboxMessage.id.in_(ids))
                           .execution_options(synchronize_session=False))
    return len(ids)

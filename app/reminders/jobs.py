"""Periodic jobs of the reminders capability."""
from __future__ import annotations

import logging

from app.extensions import db
from app.reminders.services import send_due_reminders
from app.scheduler.registry import job

log = logging.getLogger(__name__)

BATCH = 200


@job("reminders.send_due", "interval", seconds=60, description="Queue due event reminders")
def send_reminders() -> tuple[int, int]:
    """Queue due reminders in batches; each batch commits its marks with its e-mails."""
    total_sent = total_skipped = 0
    for _ in range(50):
        sent, skipped = send_due_reminders(limit=BATCH)
        db.session.commit()
        total_sent += sent
        total_skipped += skipped
        if sent + skipped < BATCH:
            break
    if total_sent or total_skipped:
        log.info("reminders: %s queued, %s skipped", total_sent, total_skipped)
    return total_sent, total_skipped

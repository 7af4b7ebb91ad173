"""Periodic jobs of the mail capability: delivering the outbox."""
from __future__ import annotations

import logging

from app.mail.delivery import DeliveryReport, deliver_due_messages
from app.scheduler.registry import job

log = logging.getLogger(__name__)

BATCH = 200
MAX_BATCHES = 50  # bounds one run; the next run, seconds later, continues


@job("mail.deliver", "interval", seconds=10, description="Deliver due outbox e-mails over SMTP")
def deliver_outbox() -> DeliveryReport:
    total = DeliveryReport()
    for _ in range(MAX_BATCHES):
        report = deliver_due_messages(limit=BATCH)
        if report.disabled:
            return report
        total.sent += report.sent
        total.retried += report.retried
        total.failed += report.failed
        total.claimed += report.claimed
        if report.claimed < BATCH:
            break
    if total.claimed:
        log.info("outbox: %s", total)
    return total


@job("mail.purge", "cron", hour=3, minute=41,
     description="Delete sent e-mails older than OUTBOX_RETENTION_DAYS, and stale cool-downs")
def purge_outbox() -> int:
    from app.extensions import db
    from app.mail.cooldown import forget_old
    from app.mail.retention import purge_old_messages

    total = 0
    for _ in range(MAX_BATCHES):
        done = purge_old_messages()
        db.session.commit()
        total += done
        if done == 0:
            break
    forget_old()
    db.session.commit()
    if total:
        log.info("outbox: %d old messages deleted", total)
    return total

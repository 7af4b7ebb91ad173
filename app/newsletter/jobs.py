"""Periodic jobs of the newsletter, registered with app.scheduler.registry.job."""
from __future__ import annotations

import logging

import sqlalchemy as sa

from app.extensions import db
from app.newsletter.digest import prepare_digest
from app.newsletter.sending import send_due_campaigns
from app.scheduler.registry import job

log = logging.getLogger(__name__)


@job("newsletter-send", "interval", seconds=30)
def send_newsletter_campaigns() -> None:
    """Start scheduled newsletter issues and send their due deliveries."""
    report = send_due_campaigns()
    if report.sent or report.failed or report.retried:
        log.info("newsletter: sent %s, retried %s, failed %s, skipped %s",
                 report.sent, report.retried, report.failed, report.skipped)


# Checked often, fired by the NEWSLETTER_DIGEST_CRON expression (APScheduler CronTrigger,
# default Monday 09:00 Europe/Rome): a slot missed while the scheduler was down is
# caught up on the same day, and the setting applies without re-registering the job.
@job("newsletter-digest", "interval", minutes=10)
def prepare_upcoming_events_digest() -> None:
    """Prepare the upcoming-events digest when its cron slot has come."""
    try:
        campaign = prepare_digest()
        db.session.commit()
    except sa.exc.IntegrityError:  # another scheduler made this slot's digest first
        db.session.rollback()
        return
    if campaign is not None:
        log.info("newsletter: digest %s prepared (%s)", campaign.id, campaign.status)

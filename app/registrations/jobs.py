"""Periodic jobs of this capability, registered with app.scheduler.registry.job."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.db import utcnow
from app.events.models import Event, EventStatus
from app.extensions import db
from app.registrations import capacity, services
from app.scheduler.registry import job


@job("registrations.anonymise", "cron", hour=3, minute=17)
def anonymise_old_registrations() -> int:
    """Anonymise registrations REGISTRATION_RETENTION_DAYS after their event ended."""
    total = 0
    while True:
        done = services.anonymise_expired()
        db.session.commit()  # one batch per transaction: a restart resumes where it stopped
        total += done
        if done == 0:
            return total


@job("registrations.availability", "interval", minutes=1)
def refresh_availability() -> int:
    """Move the event page's version when registration opens or closes with the clock."""
    now = utcnow()
    recent = now - timedelta(days=2)
    events = db.session.scalars(
        sa.select(Event).where(
            Event.status == EventStatus.PUBLISHED,
            sa.or_(
                Event.registration_opens_at.between(recent, now),
                Event.registration_closes_at.between(recent, now),
                Event.ends_at.between(recent, now),
            ),
        )
    ).all()
    changed = 0
    for event in events:
        counters = capacity.lock_counters(event)
        before = event.version
        capacity.sync_page_state(counters)
        changed += event.version != before
        db.session.commit()
    return changed

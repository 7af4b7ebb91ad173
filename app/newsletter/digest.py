"""The upcoming-events digest: one issue per cron slot, as a draft or sent at once."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from apscheduler.triggers.cron import CronTrigger
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from app.db import utcnow
from app.events.models import Event, EventStatus
from app.extensions import db
from app.i18n import SECOND
from app.newsletter.models import Campaign
from app.newsletter.services import schedule_campaign

# Slots older than this are not caught up (e.g. the first start after a long stop).
CATCH_UP = timedelta(days=1)


def latest_slot(cron: dict, now: datetime) -> datetime | None:
    """The most recent fire time of the cron expression not after `now`, within CATCH_UP."""
    trigger = CronTrigger(**cron)
    slot = None
    fire = trigger.get_next_fire_time(None, now - CATCH_UP)
    while fire is not None and fire <= now:
        slot = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return slot


def digest_events(now: datetime, weeks: int) -> list[Event]:
    return list(db.session.scalars(
        sa.select(Event)
        .where(Event.status == EventStatus.PUBLISHED, Event.starts_at >= now,
               Event.starts_at < now + timedelta(weeks=weeks))
        .order_by(Event.starts_at, Event.id)
        .limit(20)
    ).unique())


def prepare_digest(now: datetime | None = None) -> Campaign | None:
    """Create this slot's digest if it is due, not yet made, and there are events; flushes.

    The digest key is unique, so two schedulers racing for one slot leave one issue.
    """
    now = now or utcnow()
    config = current_app.config
    slot = latest_slot(config["NEWSLETTER_DIGEST_CRON"], now)
    if slot is None:
        return None
    key = f"digest:{slot.isoformat()}"
    if db.session.scalar(sa.select(Campaign.id).where(Campaign.digest_key == key)):
        return None
    events = digest_events(now, int(config["NEWSLETTER_DIGEST_WEEKS"]))
    if not events:
        return None
    language = config["BABEL_DEFAULT_LOCALE"]
    texts = {}
    # Written in both languages: each subscriber reads the digest in theirs.
    for lang in (language, SECOND):
        with force_locale(lang):
            texts[lang] = (
                _("%(name)s: events in the coming weeks", name=config["NEWSLETTER_NAME"]),
                _("Here are the events and webinars we have published for the coming weeks. "
                  "Registration is free unless stated otherwise."),
            )
    subject, body = texts[language]
    subject_en, body_en = texts[SECOND] if language != SECOND else ("", "")
    campaign = Campaign(
        subject=subject[:200],
        body_markdown=body,
        subject_en=subject_en[:200],
        body_markdown_en=body_en,
        featured_event_ids=[e.id for e in events],
        target_topics=[],
        target_language="",
        language=language,
        digest_key=key,
    )
    db.session.add(campaign)
    db.session.flush()
    if config["NEWSLETTER_DIGEST_AUTO_SEND"]:
        schedule_campaign(campaign, None, now=now)
    return campaign

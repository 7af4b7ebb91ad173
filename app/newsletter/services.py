"""Subscribing, confirming, preferences and leaving; composing and steering campaigns."""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.audit import record
from app.db import utcnow
from app.errors import DomainError
from app.events.models import Event, EventStatus
from app.extensions import db
from app.i18n import SUPPORTED
from app.mail.cooldown import may_send
from app.mail.outbox import queue_email
from app.newsletter.models import (
    Campaign,
    CampaignStatus,
    Delivery,
    DeliveryStatus,
    Subscriber,
    SubscriberStatus,
    SubscriberTopic,
    topic_codes,
)


class NewsletterError(DomainError):
    """A request the newsletter cannot carry out; str(exc) is safe to show."""


class InvalidToken(NewsletterError):
    pass


class ExpiredToken(NewsletterError):
    pass


class InvalidTransition(NewsletterError):
    """A campaign change its current state does not allow; `reason` says which rule."""

    def __init__(self, reason: str = "") -> None:
        super().__init__(_l("That is not possible in the issue's current state."))
        self.reason = reason


def normalise_email(email: str) -> str:
    return email.strip().lower()


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _known_topics(topics: list[str] | None) -> list[str]:
    allowed = topic_codes(current_app.config)
    if topics is None:
        return allowed
    return [t for t in allowed if t in set(topics)]


# --- subscribers -------------------------------------------------------------------


def request_subscription(
    email: str,
    *,
    name: str = "",
    topics: list[str] | None = None,
    language: str = "it",
    consent_version: str,
    ip: str = "",
    user_agent: str = "",
    source: str = "form",
    now: datetime | None = None,
) -> Subscriber:
    """Start (or restart) the double opt-in for an address and queue the confirmation e-mail.

    An address that is already active is left untouched and gets no e-mail: the caller
    answers the same either way, so nobody learns who is subscribed.
    """
    now = now or utcnow()
    email = normalise_email(email)
    language = language if language in SUPPORTED else "it"
    subscriber = db.session.scalar(sa.select(Subscriber).where(Subscriber.email == email))
    if subscriber is not None and subscriber.status == SubscriberStatus.ACTIVE:
        return subscriber
    if not may_send(email, "newsletter.confirm"):
        # A confirmation went out minutes ago (or too many today): keep its link valid
        # and send nothing; the visitor sees the same answer either way.
        return subscriber
    if subscriber is None:
        subscriber = Subscriber(email=email, token=new_token())
        db.session.add(subscriber)
    subscriber.name = name.strip()[:200] or subscriber.name
    subscriber.language = language
    subscriber.set_topics(_known_topics(topics))
    subscriber.status = SubscriberStatus.PENDING
    subscriber.confirm_token = new_token()
    subscriber.confirm_expires_at = now + timedelta(
        days=current_app.config["NEWSLETTER_CONFIRM_DAYS"]
    )
    subscriber.consent_at = now
    subscriber.consent_ip = (ip or "")[:64]
    subscriber.consent_user_agent = (user_agent or "")[:400]
    subscriber.consent_version = consent_version[:40]
    subscriber.consent_source = source[:40]
    subscriber.confirmed_at = None
    subscriber.unsubscribed_at = None
    subscriber.permanent_failures = 0
    db.session.flush()
    queue_email(
        email,
        "newsletter/confirm",
        category="newsletter-confirm",
        language=language,
        context={
            "subscriber": subscriber,
            "confirm_url": external_url("newsletter.confirm", token=subscriber.confirm_token),
            "newsletter_name": current_app.config["NEWSLETTER_NAME"],
            "days": current_app.config["NEWSLETTER_CONFIRM_DAYS"],
        },
    )
    return subscriber


def _by_token(column, token: str) -> Subscriber:
    if not token or len(token) > 64:
        raise InvalidToken(token)
    subscriber = db.session.scalar(sa.select(Subscriber).where(column == token))
    # Looked up by an indexed unique column, then compared in constant time.
    if subscriber is None or not hmac.compare_digest(getattr(subscriber, column.key) or "", token):
        raise InvalidToken(token)
    return subscriber


def subscriber_for_confirmation(token: str, now: datetime | None = None) -> Subscriber:
    subscriber = _by_token(Subscriber.confirm_token, token)
    if subscriber.confirm_expires_at is None or subscriber.confirm_expires_at < (now or utcnow()):
        raise ExpiredToken(token)
    return subscriber


def confirm_subscription(token: str, now: datetime | None = None) -> Subscriber:
    now = now or utcnow()
    subscriber = subscriber_for_confirmation(token, now)
    subscriber.status = SubscriberStatus.ACTIVE
    subscriber.confirmed_at = now
    subscriber.confirm_token = None
    subscriber.confirm_expires_at = None
    db.session.flush()
    return subscriber


def subscriber_by_token(token: str) -> Subscriber:
    return _by_token(Subscriber.token, token)


def update_preferences(subscriber: Subscriber, *, topics: list[str], language: str,
                       name: str | None = None) -> Subscriber:
    subscriber.set_topics(_known_topics(topics))
    if language in SUPPORTED:
        subscriber.language = language
    if name is not None:
        subscriber.name = name.strip()[:200]
    db.session.flush()
    return subscriber


def unsubscribe(subscriber: Subscriber, now: datetime | None = None) -> Subscriber:
    """Leave at once. Messages already queued for this address are skipped at claim time."""
    if subscriber.status != SubscriberStatus.UNSUBSCRIBED:
        subscriber.status = SubscriberStatus.UNSUBSCRIBED
        subscriber.unsubscribed_at = now or utcnow()
        subscriber.confirm_token = None
        subscriber.confirm_expires_at = None
        db.session.flush()
    return subscriber


def subscription_from_registration(registration) -> Subscriber | None:
    """A registration's newsletter box starts the same double opt-in as the form."""
    if not getattr(registration, "newsletter_opt_in", False):
        return None
    from flask import has_request_context, request

    ip = ua = ""
    if has_request_context():
        ip = request.remote_addr or ""
        ua = request.user_agent.string or ""
    return request_subscription(
        registration.email,
        name=registration.full_name,
        topics=None,
        language=registration.language or "it",
        consent_version=registration.consent_version
        or current_app.config["PRIVACY_TEXT_VERSION"],
        ip=ip,
        user_agent=ua,
        source="registration",
    )


# --- campaigns ---------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignData:
    subject: str
    body_markdown: str
    featured_event_ids: list[int]
    target_topics: list[str]
    target_language: str
    language: str
    # The English version (optional): English subscribers get it, else the texts above.
    subject_en: str = ""
    body_markdown_en: str = ""


def save_campaign(data: CampaignData, *, campaign: Campaign | None = None, user=None) -> Campaign:
    if campaign is None:
        campaign = Campaign(created_by_id=getattr(user, "id", None))
        db.session.add(campaign)
    elif not campaign.is_editable:
        raise InvalidTransition("only drafts and scheduled issues can be edited")
    campaign.subject = data.subject.strip()[:200]
    campaign.body_markdown = data.body_markdown
    campaign.subject_en = (data.subject_en or "").strip()[:200]
    campaign.body_markdown_en = data.body_markdown_en or ""
    campaign.featured_event_ids = [int(i) for i in data.featured_event_ids]
    campaign.target_topics = _known_topics(data.target_topics) if data.target_topics else []
    campaign.target_language = data.target_language if data.target_language in SUPPORTED else ""
    campaign.language = data.language if data.language in SUPPORTED else "it"
    db.session.flush()
    record("newsletter.campaign_saved", campaign, user=user, summary=campaign.subject)
    return campaign


def schedule_campaign(campaign: Campaign, when: datetime | None, *, user=None,
                      now: datetime | None = None) -> Campaign:
    """Schedule for `when` (aware), or for now when None: the sending job starts it."""
    now = now or utcnow()
    if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED):
        raise InvalidTransition("this issue can no longer be scheduled")
    if when is not None and when < now - timedelta(minutes=1):
        raise InvalidTransition("the date is in the past")
    campaign.status = CampaignStatus.SCHEDULED
    campaign.scheduled_at = when or now
    db.session.flush()
    record("newsletter.campaign_scheduled", campaign, user=user, summary=campaign.subject,
           scheduled_at=campaign.scheduled_at.isoformat())
    return campaign


def unschedule_campaign(campaign: Campaign, *, user=None) -> Campaign:
    if campaign.status != CampaignStatus.SCHEDULED:
        raise InvalidTransition("only a scheduled issue can go back to draft")
    campaign.status = CampaignStatus.DRAFT
    campaign.scheduled_at = None
    db.session.flush()
    record("newsletter.campaign_unscheduled", campaign, user=user, summary=campaign.subject)
    return campaign


def _set_status(campaign: Campaign, expected: tuple[CampaignStatus, ...],
                new: CampaignStatus) -> bool:
    # Conditional UPDATE: a sender finishing the campaign at the same moment wins cleanly.
    result = db.session.execute(
        sa.update(Campaign)
        .where(Campaign.id == campaign.id, Campaign.status.in_(expected))
        .values(status=new)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(campaign)
    return result.rowcount == 1


def pause_campaign(campaign: Campaign, *, user=None) -> Campaign:
    if not _set_status(campaign, (CampaignStatus.SENDING,), CampaignStatus.PAUSED):
        raise InvalidTransition("only an issue being sent can be paused")
    record("newsletter.campaign_paused", campaign, user=user, summary=campaign.subject)
    return campaign


def resume_campaign(campaign: Campaign, *, user=None) -> Campaign:
    if not _set_status(campaign, (CampaignStatus.PAUSED,), CampaignStatus.SENDING):
        raise InvalidTransition("only a paused issue can be resumed")
    record("newsletter.campaign_resumed", campaign, user=user, summary=campaign.subject)
    return campaign


def cancel_campaign(campaign: Campaign, *, user=None, now: datetime | None = None) -> Campaign:
    cancellable = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.SENDING,
                   CampaignStatus.PAUSED)
    if not _set_status(campaign, cancellable, CampaignStatus.CANCELLED):
        raise InvalidTransition("this issue can no longer be cancelled")
    campaign.cancelled_at = now or utcnow()
    # Rows a sender holds right now finish their single message; everything else stops.
    db.session.execute(
        sa.update(Delivery)
        .where(Delivery.campaign_id == campaign.id, Delivery.status == DeliveryStatus.QUEUED)
        .values(status=DeliveryStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    record("newsletter.campaign_cancelled", campaign, user=user, summary=campaign.subject)
    return campaign


@dataclass(frozen=True)
class Counters:
    queued: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    cancelled: int = 0

    @property
    def total(self) -> int:
        return self.queued + self.sending + self.sent + self.failed + self.skipped + self.cancelled

    @property
    def done(self) -> int:
        return self.total - self.queued - self.sending

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0


def campaign_counters(campaign_id: int) -> Counters:
    rows = db.session.execute(
        sa.select(Delivery.status, sa.func.count())
        .where(Delivery.campaign_id == campaign_id)
        .group_by(Delivery.status)
    ).all()
    return Counters(**{DeliveryStatus(s).value: n for s, n in rows})


def counters_for(campaign_ids: list[int]) -> dict[int, Counters]:
    if not campaign_ids:
        return {}
    rows = db.session.execute(
        sa.select(Delivery.campaign_id, Delivery.status, sa.func.count())
        .where(Delivery.campaign_id.in_(campaign_ids))
        .group_by(Delivery.campaign_id, Delivery.status)
    ).all()
    found: dict[int, dict[str, int]] = {}
    for cid, status, n in rows:
        found.setdefault(cid, {})[DeliveryStatus(status).value] = n
    return {cid: Counters(**found.get(cid, {})) for cid in campaign_ids}


def unsubscribed_after(campaign_ids: list[int]) -> dict[int, int]:
    """Per issue, how many people it reached unsubscribed after receiving it (one query)."""
    if not campaign_ids:
        return {}
    rows = db.session.execute(
        sa.select(Delivery.campaign_id, sa.func.count())
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        .where(Delivery.campaign_id.in_(campaign_ids), Delivery.status == DeliveryStatus.SENT,
               Subscriber.unsubscribed_at.is_not(None), Subscriber.unsubscribed_at >= Delivery.sent_at)
        .group_by(Delivery.campaign_id)
    ).all()
    found = dict(rows)
    return {cid: found.get(cid, 0) for cid in campaign_ids}


def featured_events(campaign: Campaign) -> list[Event]:
    ids = list(campaign.featured_event_ids or [])
    if not ids:
        return []
    found = {
        e.id: e
        for e in db.session.scalars(
            sa.select(Event).where(Event.id.in_(ids), Event.status == EventStatus.PUBLISHED)
        ).unique()
    }
    return [found[i] for i in ids if i in found]


def upcoming_event_choices(now: datetime | None = None, limit: int = 60) -> list[Event]:
    now = now or utcnow()
    return list(
        db.session.scalars(
            sa.select(Event)
            .where(Event.status == EventStatus.PUBLISHED, Event.ends_at >= now)
            .order_by(Event.starts_at, Event.id)
            .limit(limit)
        ).unique()
    )


def archived_campaigns(limit: int | None = None) -> sa.Select:
    stmt = (
        sa.select(Campaign)
        .where(Campaign.status == CampaignStatus.SENT)
        .order_by(Campaign.sent_at.desc(), Campaign.id.desc())
    )
    return stmt.limit(limit) if limit else stmt


def subscriber_counts() -> dict[str, int]:
    rows = db.session.execute(
        sa.select(Subscriber.status, sa.func.count()).group_by(Subscriber.status)
    ).all()
    return {SubscriberStatus(s).value: n for s, n in rows}


def recipients_count(campaign: Campaign) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(recipients_query(campaign).subquery()))


def recipients_query(campaign: Campaign) -> sa.Select:
    """Subscriber ids an issue goes to: active, in its language, with one of its topics."""
    stmt = sa.select(Subscriber.id).where(Subscriber.status == SubscriberStatus.ACTIVE)
    if campaign.target_language:
        stmt = stmt.where(Subscriber.language == campaign.target_language)
    if campaign.target_topics:
        stmt = stmt.where(
            sa.exists().where(
                SubscriberTopic.subscriber_id == Subscriber.id,
                SubscriberTopic.topic.in_(list(campaign.target_topics)),
            )
        )
    return stmt


def external_url(endpoint: str, **values) -> str:
    """An absolute URL on BASE_URL, usable outside a request (scheduler, CLI)."""
    from flask import url_for

    base = current_app.config["BASE_URL"].rstrip("/")
    with current_app.test_request_context(base_url=base + "/"):
        return url_for(endpoint, _external=True, **values)

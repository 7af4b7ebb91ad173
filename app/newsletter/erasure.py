"""A subscriber's data: shown and exported whole, erased completely.

The rule: whatever we store about a subscriber, the person (from the token link of
their preferences page) or an administrator can download it as JSON and erase it.
After erasure the address, the name, the topics and the consent evidence are in no
table:

- the subscriber row stays, blank (no address, name, topics or evidence, a new
  token so the old links stop working), holding only its id, language and dates:
  the delivery rows point at it, so every issue's sent/failed/skipped counts and its
  "unsubscribed after receiving it" count stay right. A subscriber who erases
  without unsubscribing first leaves at that moment;
- delivery rows keep status and times and lose the server's error text (it may
  quote the address); one still waiting is skipped;
- outbox rows of the newsletter addressed to them (the confirmation e-mail) go;
- staged imports lose the rows holding the address;
- the mail cool-down row of the address goes (it holds only a keyed hash, but it
  would hold back the confirmation of a later sign-up);
- audit entries about the subscriber, or quoting the address or the name, keep ids
  and numbers and lose every text; the erasure itself is recorded by id only.

The address may subscribe again later: it is a new subscriber from scratch.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.audit import record, scrub
from app.db import utcnow
from app.extensions import db
from app.imports.services import forget_address
from app.mail import cooldown
from app.mail.models import OutboxMessage
from app.newsletter.models import (
    Campaign,
    Delivery,
    DeliveryStatus,
    Subscriber,
    SubscriberStatus,
)
from app.newsletter.services import new_token

NEWSLETTER_CATEGORIES = "newsletter"  # prefix of the outbox categories of this capability
COOLDOWN_KINDS = ("newsletter.confirm",)


def _at(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _outbox_rows(email: str) -> sa.Select:
    return sa.select(OutboxMessage).where(
        OutboxMessage.recipient == email,
        OutboxMessage.category.startswith(NEWSLETTER_CATEGORIES, autoescape=True),
    )


def subscriber_data(subscriber: Subscriber) -> dict[str, Any]:
    """Everything stored about the subscriber, as JSON-ready values."""
    deliveries = db.session.execute(
        sa.select(Delivery, Campaign.subject)
        .join(Campaign, Campaign.id == Delivery.campaign_id)
        .where(Delivery.subscriber_id == subscriber.id)
        .order_by(Delivery.id)
    ).all()
    messages = db.session.scalars(_outbox_rows(subscriber.email).order_by(OutboxMessage.id)).all()
    return {
        "subscriber": {
            "email": subscriber.email,
            "name": subscriber.name,
            "language": subscriber.language,
            "status": subscriber.status.value,
            "topics": subscriber.topics,
            "subscribed_at": _at(subscriber.created_at),
            "confirmed_at": _at(subscriber.confirmed_at),
            "unsubscribed_at": _at(subscriber.unsubscribed_at),
            "consecutive_refusals": subscriber.permanent_failures,
        },
        "consent": {
            "given_at": _at(subscriber.consent_at),
            "privacy_text_version": subscriber.consent_version,
            "source": subscriber.consent_source,
            "note": subscriber.consent_note,
            "ip_address": subscriber.consent_ip,
            "user_agent": subscriber.consent_user_agent,
        },
        "issues_sent_to_you": [
            {"issue": subject, "status": d.status.value, "sent_at": _at(d.sent_at),
             "attempts": d.attempts, "error": d.last_error}
            for d, subject in deliveries
        ],
        "emails_to_you": [
            {"subject": m.subject, "kind": m.category, "status": m.status.value,
             "queued_at": _at(m.created_at), "sent_at": _at(m.sent_at)}
            for m in messages
        ],
    }


def erase_subscriber(subscriber: Subscriber, *, by: Any = None, reason: str = "subscriber",
                     now: datetime | None = None) -> None:
    """Forget the person behind `subscriber`; see the module's rule. Flushes, never commits."""
    if subscriber.is_erased:
        return
    now = now or utcnow()
    email, name = subscriber.email, subscriber.name
    db.session.execute(
        sa.delete(OutboxMessage)
        .where(OutboxMessage.id.in_(_outbox_rows(email).with_only_columns(OutboxMessage.id)))
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(Delivery)
        .where(Delivery.subscriber_id == subscriber.id, Delivery.status == DeliveryStatus.QUEUED)
        .values(status=DeliveryStatus.SKIPPED)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(Delivery).where(Delivery.subscriber_id == subscriber.id).values(last_error="")
        .execution_options(synchronize_session=False)
    )
    forget_address(email)
    cooldown.forget(email, COOLDOWN_KINDS)
    scrub([email, name], object_type="subscriber", object_id=subscriber.id)

    if subscriber.status != SubscriberStatus.UNSUBSCRIBED:
        subscriber.status = SubscriberStatus.UNSUBSCRIBED
        subscriber.unsubscribed_at = now
    # Not an address (no "@"), unique by the id: the address itself is free to sign up again.
    subscriber.email = f"erased-{subscriber.id}"
    subscriber.name = ""
    subscriber.set_topics([])
    subscriber.token = new_token()
    subscriber.confirm_token = None
    subscriber.confirm_expires_at = None
    subscriber.consent_at = None
    subscriber.consent_ip = ""
    subscriber.consent_user_agent = ""
    subscriber.consent_version = ""
    subscriber.consent_source = ""
    subscriber.consent_note = ""
    subscriber.confirmed_at = None
    subscriber.permanent_failures = 0
    subscriber.erased_at = now
    db.session.flush()
    db.session.expire_all()  # the bulk changes bypassed the identity map
    record("newsletter.subscriber_erased", subscriber, user=by, reason=reason)
    db.session.flush()


def record_export(subscriber: Subscriber, *, by: Any) -> None:
    """An administrator downloaded a subscriber's data: logged by id only."""
    record("newsletter.subscriber_exported", subscriber, user=by)
    db.session.flush()

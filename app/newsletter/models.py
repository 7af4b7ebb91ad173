"""Subscribers of "La Camera Informa", campaigns, and one delivery row per campaign and subscriber."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.db import StrEnum, TimestampMixin, enum_column, holds, reference, stamped, utcnow
from app.extensions import db


class SubscriberStatus(StrEnum):
    PENDING = "pending"            # signed up, confirmation link not yet followed
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCING = "bouncing"          # repeated permanent failures: skipped by campaigns


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    PAUSED = "paused"
    SENT = "sent"
    CANCELLED = "cancelled"


class DeliveryStatus(StrEnum):
    QUEUED = "queued"        # waiting for its first or next attempt (next_attempt_at)
    SENDING = "sending"      # claimed by a sender until claimed_until
    SENT = "sent"            # accepted by the SMTP server
    FAILED = "failed"        # refused for good, or attempts exhausted
    SKIPPED = "skipped"      # the subscriber left (or bounces) before the message went out
    CANCELLED = "cancelled"  # the campaign was cancelled before this message went out


subscriber_topics = sa.Table(
    "newsletter_subscriber_topics",
    db.metadata,
    sa.Column(
        "subscriber_id",
        sa.ForeignKey("newsletter_subscribers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("topic", sa.String(40), primary_key=True),
    sa.Index("ix_newsletter_subscriber_topics_topic", "topic", "subscriber_id"),
)


# consent_source of imported addresses: invited (double opt-in), or subscribed as
# confirmed by an administrator.
IMPORTED = "import"
IMPORTED_CONFIRMED = "import-confirmed"


class Subscriber(TimestampMixin, db.Model):
    __tablename__ = "newsletter_subscribers"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)  # normalised
    name: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    language: so.Mapped[str] = so.mapped_column(sa.String(8), default="it")
    status: so.Mapped[SubscriberStatus] = so.mapped_column(
        enum_column(SubscriberStatus), default=SubscriberStatus.PENDING, index=True
    )
    # secrets.token_urlsafe(24): preferences and unsubscribe links, for as long as the row lives.
    token: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    # The double opt-in link; cleared once used.
    confirm_token: so.Mapped[str | None] = so.mapped_column(sa.String(64), unique=True)
    confirm_expires_at: so.Mapped[datetime | None]

    # Evidence of consent.
    consent_at: so.Mapped[datetime | None]
    consent_ip: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    consent_user_agent: so.Mapped[str] = so.mapped_column(sa.String(400), default="")
    consent_version: so.Mapped[str] = so.mapped_column(sa.String(40), default="")
    consent_source: so.Mapped[str] = so.mapped_column(sa.String(40), default="form")
    # For an imported address (consent_source IMPORTED or IMPORTED_CONFIRMED): where its
    # consent was given, as the importer stated it ("paper form, Mestre workshop
    # 17/01/2022"). The reason for an import as confirmed is in the audit log.
    consent_note: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    confirmed_at: so.Mapped[datetime | None]
    unsubscribed_at: so.Mapped[datetime | None]
    # Set when the person's data were erased (app/newsletter/erasure.py): the row stays,
    # holding no address, name or evidence, so the issues' counts stay right.
    erased_at: so.Mapped[datetime | None]

    # Consecutive permanent refusals; reset by a successful delivery.
    permanent_failures: so.Mapped[int] = so.mapped_column(default=0)

    topic_rows: so.Mapped[list[SubscriberTopic]] = so.relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def topics(self) -> list[str]:
        return sorted(t.topic for t in self.topic_rows)

    def set_topics(self, topics: list[str]) -> None:
        wanted = set(topics)
        self.topic_rows = [t for t in self.topic_rows if t.topic in wanted] + [
            SubscriberTopic(topic=t) for t in sorted(wanted - {t.topic for t in self.topic_rows})
        ]

    is_active = holds("status", SubscriberStatus.ACTIVE)

    is_erased = stamped("erased_at")

    def __repr__(self) -> str:
        return f"<Subscriber {self.id} {self.status}>"


class SubscriberTopic(db.Model):
    __table__ = subscriber_topics


class Campaign(TimestampMixin, db.Model):
    __tablename__ = "newsletter_campaigns"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    subject: so.Mapped[str] = so.mapped_column(sa.String(200))
    body_markdown: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # The English version (optional): English subscribers get it, else the text above.
    subject_en: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    body_markdown_en: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # Upcoming events shown as cards, in this order.
    featured_event_ids: so.Mapped[list[int]] = so.mapped_column(sa.JSON, default=list)
    # Empty list: every subscriber; else subscribers who chose at least one of these topics.
    target_topics: so.Mapped[list[str]] = so.mapped_column(sa.JSON, default=list)
    # "" = every language; else only subscribers who read this language.
    target_language: so.Mapped[str] = so.mapped_column(sa.String(8), default="")
    # The language the issue is written in (its subject and body).
    language: so.Mapped[str] = so.mapped_column(sa.String(8), default="it")

    status: so.Mapped[CampaignStatus] = so.mapped_column(
        enum_column(CampaignStatus), default=CampaignStatus.DRAFT, index=True
    )
    scheduled_at: so.Mapped[datetime | None]
    started_at: so.Mapped[datetime | None]
    sent_at: so.Mapped[datetime | None]
    cancelled_at: so.Mapped[datetime | None]
    # Totals written when the campaign finishes (live numbers come from the delivery rows).
    recipients_count: so.Mapped[int] = so.mapped_column(default=0)
    sent_count: so.Mapped[int] = so.mapped_column(default=0)
    failed_count: so.Mapped[int] = so.mapped_column(default=0)

    # The upcoming-events digest: one per cron slot, e.g. "digest:2026-03-02T09:00+01:00".
    digest_key: so.Mapped[str | None] = so.mapped_column(sa.String(60), unique=True)
    created_by_id: so.Mapped[int | None] = reference("users.id", on_delete="SET NULL")

    is_editable = holds("status", CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)

    def __repr__(self) -> str:
        return f"<Campaign {self.id} {self.status}>"


class Delivery(db.Model):
    __tablename__ = "newsletter_deliveries"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    campaign_id: so.Mapped[int] = reference("newsletter_campaigns.id")
    subscriber_id: so.Mapped[int] = reference("newsletter_subscribers.id", index=True)
    status: so.Mapped[DeliveryStatus] = so.mapped_column(
        enum_column(DeliveryStatus), default=DeliveryStatus.QUEUED
    )
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    # Which sender holds the row, and until when (a crashed sender's rows come back after it).
    claim_token: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    claimed_until: so.Mapped[datetime | None]
    message_id: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    sent_at: so.Mapped[datetime | None]
    last_error: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    subscriber: so.Mapped[Subscriber] = so.relationship()

    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "subscriber_id", name="uq_newsletter_deliveries_once"),
        sa.Index("ix_newsletter_deliveries_due", "campaign_id", "status", "id"),
    )

    def __repr__(self) -> str:
        return f"<Delivery {self.campaign_id}/{self.subscriber_id} {self.status}>"


def topic_codes(config: dict[str, Any]) -> list[str]:
    return [code for code, _label in config["NEWSLETTER_TOPICS"]]

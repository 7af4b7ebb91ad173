"""Campaign delivery: one row per recipient, claimed in batches, each message committed once accepted.

Exactly once, step by step:

1. ``start_due_campaigns`` flips a scheduled campaign to *sending* with a conditional
   UPDATE (only one process can win it) and, in the same transaction, inserts one
   delivery row per recipient with INSERT ... SELECT (unique per campaign and subscriber).
2. ``claim_batch`` takes the next queued rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL;
   a conditional UPDATE elsewhere) and stamps them with a claim token and a lease; it
   commits before anything is sent, so two senders never hold the same row.
3. Each message is rendered from a campaign message prepared once per language, handed
   to the SMTP server over a connection held for the run, and its row is marked sent and
   committed right after the server accepted it.

NEWSLETTER_SMTP_CONNECTIONS senders (one on SQLite) do this side by side, each in its
own thread with its own SMTP connection and its own claims; they share the rate limit,
the time budget and the prepared messages.

A sender stops using its batch before the lease ends; rows of a sender that died come
back to the queue once their lease has passed. The one window in which a message can go
out twice is a crash after the SMTP server accepted it and before that row's commit:
it holds a single message per connection, and the repeat carries the same Message-ID.
"""
from __future__ import annotations

import binascii
import hashlib
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import Any, Protocol

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale

from app.db import UTCDateTime, utcnow
from app.extensions import db
from app.files import services as files
from app.i18n import localized, tr
from app.mail.delivery import close_marks, marks_connection
from app.mail.parallel import sender_count, side_by_side
from app.mail.retry import RetryPolicy
from app.mail.smtp import (
    MAIL_POLICY,
    PermanentFailure,
    SMTPConnection,
    SMTPSettings,
    TemporaryFailure,
    build_message,
)
from app.newsletter.models import (
    Campaign,
    CampaignStatus,
    Delivery,
    DeliveryStatus,
    Subscriber,
    SubscriberStatus,
)
from app.newsletter.services import external_url, featured_events, recipients_query
from app.text import markdown_to_text, render_markdown

log = logging.getLogger(__name__)


def _error_text(exc: Exception, address: str) -> str:
    """The server's answer without the recipient's address (servers often quote it):
    the delivery row keeps why it failed, never whom it was for."""
    text = str(exc)
    if address:
        text = re.sub(re.escape(address), "<recipient>", text, flags=re.IGNORECASE)
    return text[:2000]

# Stands for a subscriber's token in the prepared message; "~" never occurs in
# secrets.token_urlsafe output, so the substitution cannot touch anything else.
TOKEN_PLACEHOLDER = "~~subscriber-token~~"


class Transport(Protocol):
    def send(self, message: bytes, *, sender: str, recipients: list[str]) -> None: ...

    def close(self) -> None: ...


def smtp_transport() -> Transport | None:
    settings = SMTPSettings.from_config(current_app.config)
    return SMTPConnection(settings) if settings.configured else None


# --- the message, built once per campaign and language ------------------------------


@dataclass
class _Row:
    """What app.mail.smtp.build_message needs to encode the shared headers."""

    sender: str
    recipient: str
    subject: str
    body_text: str = ""
    body_html: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    message_id: str = ""


def _qp(text: str) -> bytes:
    # binascii's quoted-printable is C code: encoding a 20 KB part costs microseconds.
    return binascii.b2a_qp(text.encode("utf-8"), quotetabs=False, istext=True, header=False)


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def _qp_segments(text: str) -> tuple[bytes, ...]:
    """Quoted-printable encoding of the text around each token placeholder, done once.

    At render time the token goes between the segments on a line of its own, framed by
    QP soft line breaks ("=" CRLF), which decoders remove: the decoded text is exactly
    the text with the token in place, and no encoded line grows past 76 characters.
    """
    return tuple(_qp(segment) for segment in text.split(TOKEN_PLACEHOLDER))


@dataclass
class PreparedMessage:
    """A campaign in one language: everything but the recipient's address, token and date."""

    campaign_id: int
    sender: str
    head: bytes           # From, Subject, List-* ... already encoded and folded
    text: tuple[bytes, ...]  # QP-encoded segments around the token (see _qp_segments)
    html: tuple[bytes, ...]
    unsubscribe_url: str  # with TOKEN_PLACEHOLDER
    boundary: str
    domain: str
    secret: bytes

    def message_id(self, delivery_id: int) -> str:
        # The same for every attempt at one delivery, so the one possible repeat (a crash
        # between acceptance and commit) can be recognised as a duplicate downstream.
        digest = hashlib.blake2s(
            f"{self.campaign_id}.{delivery_id}".encode(), key=self.secret[:32], digest_size=6
        ).hexdigest()
        return f"<nl.{self.campaign_id}.{delivery_id}.{digest}@{self.domain}>"

    def render(self, *, recipient: str, token: str, delivery_id: int,
               date: datetime | None = None) -> bytes:
        url = self.unsubscribe_url.replace(TOKEN_PLACEHOLDER, token)
        b = self.boundary
        head = (
            f"To: {recipient}\r\n"
            f"Date: {format_datetime(date or utcnow())}\r\n"
            f"Message-ID: {self.message_id(delivery_id)}\r\n"
            f"List-Unsubscribe: <{url}>\r\n"
            "MIME-Version: 1.0\r\n"
            f'Content-Type: multipart/alternative; boundary="{b}"\r\n\r\n'
        ).encode("ascii")
        glue = b"=\r\n" + token.encode("ascii") + b"=\r\n"
        part = b"Content-Type: text/%s; charset=\"utf-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        return b"".join((
            self.head, head,
            f"--{b}\r\n".encode(), part % b"plain", glue.join(self.text),
            f"\r\n--{b}\r\n".encode(), part % b"html", glue.join(self.html),
            f"\r\n--{b}--\r\n".encode(),
        ))


def campaign_context(campaign: Campaign, language: str, *, token: str = TOKEN_PLACEHOLDER,
                     events=None) -> dict[str, Any]:
    """What the campaign e-mail templates need, with `token` in the personal links."""
    config = current_app.config
    events = featured_events(campaign) if events is None else events
    # One issue, each subscriber in their language: the English text where given.
    body = localized(campaign, "body_markdown", language)
    return {
        "campaign": campaign,
        "subject": tr(campaign, "subject", language),
        "newsletter_name": config["NEWSLETTER_NAME"],
        "body_html": render_markdown(body.text),
        "body_text": markdown_to_text(body.text),
        "body_lang": body.lang,
        "events": events,
        "event_urls": {e.id: external_url("events.detail", slug=e.slug) for e in events},
        "event_covers": _covers(events),
        "unsubscribe_url": external_url("newsletter.unsubscribe", token=token),
        "preferences_url": external_url("newsletter.preferences", token=token),
        "archive_url": external_url("newsletter.archive_detail", campaign_id=campaign.id),
        "base_url": config["BASE_URL"],
        "site_name": config["SITE_NAME"],
        "organisation_name": config["ORGANISATION_NAME"],
        "language": language,
    }


def _covers(events) -> dict[int, dict]:
    """{event id: its card-size JPEG cover, absolute address and box} for the e-mail."""
    covers = {}
    for event_id, picture in files.pictures_of("event", [e.id for e in events]).items():
        jpeg = picture.variant("card", "jpeg")
        if jpeg is not None:
            covers[event_id] = {"url": external_url("files.picture", sha=jpeg.blob.sha256,
                                                    ext="jpeg"),
                                "width": jpeg.width, "height": jpeg.height, "alt": picture.alt}
    return covers


def render_campaign(campaign: Campaign, language: str, *, token: str = TOKEN_PLACEHOLDER,
                    events=None) -> dict[str, str]:
    """Subject, text and HTML of an issue as a subscriber reading `language` sees it."""
    context = campaign_context(campaign, language, token=token, events=events)
    with force_locale(language):
        return {
            "subject": " ".join(
                render_template("email/newsletter/campaign.subject.txt", **context).split()
            ),
            "text": render_template("email/newsletter/campaign.txt", **context),
            "html": render_template("email/newsletter/campaign.html", **context),
            "unsubscribe_url": context["unsubscribe_url"],
        }


def prepare_message(campaign: Campaign, language: str, events=None) -> PreparedMessage:
    config = current_app.config
    content = render_campaign(campaign, language, events=events)
    sender = config["MAIL_DEFAULT_SENDER"]
    domain = config["UID_DOMAIN"]
    shared = build_message(_Row(
        sender=sender,
        recipient="recipient@invalid",
        subject=content["subject"],
        headers={
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"{config['NEWSLETTER_NAME']} <newsletter.{domain}>",
            "Precedence": "bulk",
            "Auto-Submitted": "auto-generated",
        },
    ))
    wanted = ("From", "Subject", "List-Unsubscribe-Post", "List-Id", "Precedence",
              "Auto-Submitted")
    head = b"".join(MAIL_POLICY.fold_binary(name, shared[name]) for name in wanted)
    return PreparedMessage(
        campaign_id=campaign.id,
        sender=_bare(sender),
        head=head,
        text=_qp_segments(_crlf(content["text"])),
        html=_qp_segments(_crlf(content["html"])),
        unsubscribe_url=content["unsubscribe_url"],
        boundary="=_nl_" + secrets.token_hex(12),
        domain=domain,
        secret=hashlib.sha256(current_app.config["SECRET_KEY"].encode()).digest(),
    )


def _bare(address: str) -> str:
    from email.utils import parseaddr

    return parseaddr(address)[1] or address


# --- starting and claiming ----------------------------------------------------------


def start_due_campaigns(now: datetime | None = None) -> list[int]:
    """Turn scheduled campaigns whose time has come into delivery rows; commits."""
    now = now or utcnow()
    started = []
    due = db.session.scalars(
        sa.select(Campaign.id)
        .where(Campaign.status == CampaignStatus.SCHEDULED, Campaign.scheduled_at <= now)
        .order_by(Campaign.scheduled_at, Campaign.id)
    ).all()
    db.session.commit()
    for campaign_id in due:
        won = db.session.execute(
            sa.update(Campaign)
            .where(Campaign.id == campaign_id, Campaign.status == CampaignStatus.SCHEDULED)
            .values(status=CampaignStatus.SENDING, started_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if won != 1:
            db.session.rollback()
            continue
        campaign = db.session.get(Campaign, campaign_id)
        db.session.refresh(campaign)
        recipients = recipients_query(campaign).subquery()
        select = sa.select(
            sa.literal(campaign_id),
            recipients.c.id,
            sa.literal(DeliveryStatus.QUEUED.value),
            sa.literal(0),
            sa.literal(min(now, utcnow()), UTCDateTime()),
            sa.literal(""),
            sa.literal(""),
        )
        db.session.execute(
            sa.insert(Delivery).from_select(
                ["campaign_id", "subscriber_id", "status", "attempts", "next_attempt_at",
                 "message_id", "last_error"],
                select,
            )
        )
        # Counted, not read from the INSERT's rowcount: the ORM's INSERT ... SELECT reports
        # -1 on PostgreSQL.
        inserted = db.session.scalar(
            sa.select(sa.func.count()).select_from(Delivery).where(Delivery.campaign_id == campaign_id))
        campaign.recipients_count = inserted
        db.session.commit()
        log.info("campaign %s started with %s recipients", campaign_id, inserted)
        started.append(campaign_id)
    return started


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    attempts: int
    subscriber_id: int
    email: str
    token: str
    language: str
    subscriber_status: SubscriberStatus
    permanent_failures: int


def recover_abandoned(campaign_id: int, now: datetime) -> int:
    """Rows whose sender vanished (lease over) go back to the queue; commits."""
    count = db.session.execute(
        sa.update(Delivery)
        .where(
            Delivery.campaign_id == campaign_id,
            Delivery.status == DeliveryStatus.SENDING,
            Delivery.claimed_until < now,
        )
        .values(status=DeliveryStatus.QUEUED, claim_token=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return count


def claim_batch(campaign_id: int, size: int, lease: timedelta,
                now: datetime | None = None) -> tuple[str, list[Claimed]]:
    """Claim up to `size` due rows of a campaign that is sending; commits the claim."""
    now = now or utcnow()
    due = sa.and_(
        Delivery.campaign_id == campaign_id,
        Delivery.status == DeliveryStatus.QUEUED,
        Delivery.next_attempt_at <= now,
    )
    still_sending = sa.exists().where(
        Campaign.id == campaign_id, Campaign.status == CampaignStatus.SENDING
    )
    ids_stmt = sa.select(Delivery.id).where(due, still_sending).order_by(Delivery.id).limit(size)
    if db.session.get_bind().dialect.name == "postgresql":
        ids_stmt = ids_stmt.with_for_update(of=Delivery, skip_locked=True)
    ids = db.session.scalars(ids_stmt).all()
    if not ids:
        db.session.commit()
        return "", []
    token = secrets.token_hex(8)
    # The conditions again: on SQLite another sender may have claimed between our
    # SELECT and this UPDATE; only the rows we really won carry our token.
    db.session.execute(
        sa.update(Delivery)
        .where(Delivery.id.in_(ids), due)
        .values(status=DeliveryStatus.SENDING, claim_token=token, claimed_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    rows = db.session.execute(
        sa.select(
            Delivery.id, Delivery.attempts, Subscriber.id, Subscriber.email, Subscriber.token,
            Subscriber.language, Subscriber.status, Subscriber.permanent_failures,
        )
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        .where(Delivery.claim_token == token)
        .order_by(Delivery.id)
    ).all()
    db.session.commit()
    return token, [Claimed(*row) for row in rows]


# --- recording outcomes (each commits) ---------------------------------------------


def _finish_row(delivery_id: int, token: str, **values: Any) -> None:
    db.session.execute(
        sa.update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.claim_token == token)
        .values(claim_token=None, claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )


# The statement run once per message, built once: SQLAlchemy reuses its compiled form.
_deliveries = Delivery.__table__
_MARK_SENT = (
    sa.update(_deliveries)
    .where(_deliveries.c.id == sa.bindparam("delivery_id"),
           _deliveries.c.claim_token == sa.bindparam("token"))
    .values(status=DeliveryStatus.SENT.value, attempts=sa.bindparam("attempts"),
            sent_at=sa.bindparam("sent_at"), message_id=sa.bindparam("message_id"),
            last_error="", claim_token=None, claimed_until=None)
)


def _release(token: str, ids: list[int]) -> None:
    if ids:
        db.session.execute(
            sa.update(Delivery)
            .where(Delivery.id.in_(ids), Delivery.claim_token == token,
                   Delivery.status == DeliveryStatus.SENDING)
            .values(status=DeliveryStatus.QUEUED, claim_token=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()


@dataclass(frozen=True)
class SendRun:
    """What one sending run works with, shared by its connections: its clock and
    budget, the claim lease, batch size, the message quota, retry policy, pacing, and
    the messages prepared once per language."""

    started: float
    budget: float
    lease: timedelta
    lease_margin: float  # stop using a batch this many seconds before its lease ends
    batch_size: int
    quota: _Quota
    retry: RetryPolicy
    bounce_threshold: int
    pacer: _Pacer
    prepared: dict[str, PreparedMessage]
    preparing: threading.Lock
    default_language: str
    async_commit: bool
    clock: Callable[[], float]


@dataclass
class SendReport:
    started: list[int] = field(default_factory=list)
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    finished: list[int] = field(default_factory=list)
    stopped: str = ""

    def __iadd__(self, other: SendReport) -> SendReport:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.skipped += other.skipped
        self.finished += other.finished
        self.stopped = self.stopped or other.stopped
        return self


class _Pacer:
    """Spaces messages to at most `rate` per second (0: no limit), across all the
    connections of a run: each message takes the next free slot under a lock, then
    waits for it outside the lock."""

    def __init__(self, rate: float, clock: Callable[[], float], sleep: Callable[[float], None]):
        self.interval = 1.0 / rate if rate and rate > 0 else 0.0
        self.clock, self.sleep = clock, sleep
        self.next_at = clock()
        self.lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self.lock:
            now = self.clock()
            slot = max(self.next_at, now)
            self.next_at = max(self.next_at, slot - self.interval) + self.interval
        if slot > now:
            self.sleep(slot - now)


class _Quota:
    """At most `limit` messages sent by all the connections of a run (None: no limit)."""

    def __init__(self, limit: int | None):
        self.left = limit
        self.lock = threading.Lock()

    def take(self, wanted: int) -> int:
        """Reserve up to `wanted` messages; give back what was not sent with `give_back`."""
        if self.left is None:
            return wanted
        with self.lock:
            granted = max(0, min(wanted, self.left))
            self.left -= granted
            return granted

    def give_back(self, count: int) -> None:
        if self.left is not None and count:
            with self.lock:
                self.left += count


def send_campaign(
    campaign_id: int,
    transport: Transport | Sequence[Transport],
    *,
    budget_seconds: float | None = None,
    max_messages: int | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    prepared: dict[str, PreparedMessage] | None = None,
) -> SendReport:
    """Send the due rows of one campaign until none is left, the campaign is paused or
    cancelled, the SMTP server is unreachable, or the time budget is spent.

    Given several transports (one SMTP connection each), each sends in its own thread,
    claiming its own batches: the rate limit, the time budget and `max_messages` hold
    for all of them together."""
    transports = [transport] if not isinstance(transport, Sequence) else list(transport)
    config = current_app.config
    started = clock()
    budget = budget_seconds if budget_seconds is not None else config["NEWSLETTER_SEND_BUDGET_SECONDS"]
    lease = timedelta(seconds=config["NEWSLETTER_CLAIM_SECONDS"])
    campaign = db.session.get(Campaign, campaign_id)
    default_language = campaign.language if campaign is not None else "it"
    db.session.commit()
    if campaign is None:
        return SendReport()
    recover_abandoned(campaign_id, utcnow())
    run = SendRun(
        started=started, budget=budget, lease=lease,
        # Stop using a batch well before another sender may take it over.
        lease_margin=min(30.0, lease.total_seconds() / 5),
        batch_size=int(config["NEWSLETTER_BATCH_SIZE"]), quota=_Quota(max_messages),
        retry=RetryPolicy.from_config(config, "NEWSLETTER"),
        bounce_threshold=int(config["NEWSLETTER_BOUNCE_THRESHOLD"]),
        pacer=_Pacer(float(config["NEWSLETTER_RATE_PER_SECOND"]), clock, sleep),
        prepared={} if prepared is None else prepared, preparing=threading.Lock(),
        default_language=default_language,
        # PostgreSQL only: the "sent" mark survives a crash of this process as soon as
        # the commit returns, but not a crash of the database server itself.
        async_commit=bool(config["NEWSLETTER_ASYNC_COMMIT"]),
        clock=clock,
    )

    def connection(n: int) -> SendReport:
        report = SendReport()
        marks = marks_connection(run.async_commit)
        try:
            _send_batches(campaign_id, transports[n], report, marks, run)
        finally:
            close_marks(marks, run.async_commit)
        return report

    report = SendReport()
    for part in side_by_side(len(transports), connection, name="newsletter-sender"):
        report += part
    if finish_if_complete(campaign_id):
        report.finished.append(campaign_id)
    return report


def _message_for(campaign_id: int, language: str, run: SendRun) -> PreparedMessage:
    """The campaign in `language`, prepared once for all the run's connections."""
    message = run.prepared.get(language)
    if message is None:
        with run.preparing:
            message = run.prepared.get(language)
            if message is None:
                campaign = db.session.get(Campaign, campaign_id)
                message = run.prepared[language] = prepare_message(campaign, language)
                db.session.commit()
    return message


def _send_batches(campaign_id: int, transport: Transport, report: SendReport, marks,
                  run: SendRun) -> None:
    while not report.stopped:
        if run.clock() - run.started > run.budget:
            report.stopped = "budget"
            break
        size = run.quota.take(run.batch_size)
        if size <= 0:
            report.stopped = "limit"
            break
        token, batch = claim_batch(campaign_id, size, run.lease)
        unsent = size
        try:
            if not batch:
                break
            deadline = run.clock() + run.lease.total_seconds() - run.lease_margin
            for index, row in enumerate(batch):
                if run.clock() > deadline or run.clock() - run.started > run.budget:
                    _release(token, [r.delivery_id for r in batch[index:]])
                    break
                sent_before = report.sent
                reachable = _send_one(campaign_id, transport, token, row, report, marks, run)
                unsent -= report.sent - sent_before
                if not reachable:
                    # No server to talk to: give the rest of the batch back and stop.
                    _release(token, [r.delivery_id for r in batch[index + 1:]])
                    break
        finally:
            run.quota.give_back(unsent)


def _send_one(campaign_id: int, transport: Transport, token: str, row: Claimed,
              report: SendReport, marks, run: SendRun) -> bool:
    """One claimed row: skipped, sent and marked, retried later or failed; False when
    the SMTP server cannot be reached."""
    if row.subscriber_status != SubscriberStatus.ACTIVE:
        # Left (or started bouncing) after the campaign was scheduled: nothing goes out.
        _finish_row(row.delivery_id, token, status=DeliveryStatus.SKIPPED)
        db.session.commit()
        report.skipped += 1
        return True
    language = row.language if row.language in ("it", "en") else run.default_language
    message = _message_for(campaign_id, language, run)
    data = message.render(recipient=row.email, token=row.token, delivery_id=row.delivery_id)
    run.pacer.wait()
    try:
        transport.send(data, sender=message.sender, recipients=[row.email])
    except PermanentFailure as exc:
        _finish_row(row.delivery_id, token, status=DeliveryStatus.FAILED,
                    attempts=row.attempts + 1, last_error=_error_text(exc, row.email))
        failures = Subscriber.permanent_failures + 1
        db.session.execute(
            sa.update(Subscriber)
            .where(Subscriber.id == row.subscriber_id)
            .values(
                permanent_failures=failures,
                status=sa.case(
                    (sa.and_(failures >= run.bounce_threshold,
                             Subscriber.status == SubscriberStatus.ACTIVE),
                     SubscriberStatus.BOUNCING.value),
                    else_=Subscriber.status,
                ),
            )
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        report.failed += 1
    except TemporaryFailure as exc:
        attempts = row.attempts + 1
        if run.retry.gives_up(attempts):
            _finish_row(row.delivery_id, token, status=DeliveryStatus.FAILED,
                        attempts=attempts, last_error=_error_text(exc, row.email))
            report.failed += 1
        else:
            _finish_row(row.delivery_id, token, status=DeliveryStatus.QUEUED,
                        attempts=attempts, last_error=_error_text(exc, row.email),
                        next_attempt_at=utcnow() + run.retry.delay(attempts))
            report.retried += 1
        db.session.commit()
        if exc.code is None:
            report.stopped = "smtp-unavailable"
            log.warning("campaign %s: SMTP unavailable: %s", campaign_id, exc)
            return False
    else:
        # The crash window is here: accepted by the server, not yet marked sent. The
        # mark goes over the connection this sender holds (app.mail.delivery), without
        # ORM bookkeeping or a pool checkout, and is committed before the next message.
        marks.execute(_MARK_SENT, {
            "delivery_id": row.delivery_id, "token": token,
            "attempts": row.attempts + 1, "sent_at": utcnow(),
            "message_id": message.message_id(row.delivery_id),
        })
        if row.permanent_failures:
            marks.execute(
                sa.update(Subscriber.__table__)
                .where(Subscriber.__table__.c.id == row.subscriber_id)
                .values(permanent_failures=0)
            )
        marks.commit()
        report.sent += 1
    return True


def finish_if_complete(campaign_id: int, now: datetime | None = None) -> bool:
    """Mark a sending campaign sent once no row is queued or in flight; commits."""
    open_rows = db.session.scalar(
        sa.select(sa.func.count()).select_from(Delivery).where(
            Delivery.campaign_id == campaign_id,
            Delivery.status.in_((DeliveryStatus.QUEUED, DeliveryStatus.SENDING)),
        )
    )
    if open_rows:
        db.session.commit()
        return False
    counts = dict(db.session.execute(
        sa.select(Delivery.status, sa.func.count())
        .where(Delivery.campaign_id == campaign_id).group_by(Delivery.status)
    ).all())
    done = db.session.execute(
        sa.update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.status == CampaignStatus.SENDING)
        .values(status=CampaignStatus.SENT, sent_at=now or utcnow(),
                sent_count=counts.get(DeliveryStatus.SENT, 0),
                failed_count=counts.get(DeliveryStatus.FAILED, 0))
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return done == 1


def send_due_campaigns(
    *,
    transport_factory: Callable[[], Transport | None] = smtp_transport,
    now: datetime | None = None,
    budget_seconds: float | None = None,
    max_messages: int | None = None,
) -> SendReport:
    """The scheduler's job: start due campaigns, then send what is due of each."""
    report = SendReport(started=start_due_campaigns(now))
    sending = db.session.scalars(
        sa.select(Campaign.id).where(Campaign.status == CampaignStatus.SENDING)
        .order_by(Campaign.started_at, Campaign.id)
    ).all()
    db.session.commit()
    if not sending:
        return report
    # NEWSLETTER_SMTP_CONNECTIONS connections, each held for the whole run and sending
    # from its own thread (one on SQLite).
    transports: list[Transport] = []
    try:
        for _ in range(sender_count(current_app.config["NEWSLETTER_SMTP_CONNECTIONS"])):
            transport = transport_factory()
            if transport is None:
                report.stopped = "smtp-not-configured"
                log.warning("newsletter: %s campaign(s) waiting, no SMTP server configured",
                            len(sending))
                return report
            transports.append(transport)
        for campaign_id in sending:
            report += send_campaign(campaign_id, transports, budget_seconds=budget_seconds,
                                    max_messages=max_messages)
            if report.stopped:
                break
    finally:
        for transport in transports:
            transport.close()
    return report

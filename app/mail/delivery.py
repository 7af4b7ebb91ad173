"""Delivering the outbox over SMTP: claim due rows atomically, send, settle each one.

How a row travels:

1. ``queue_email`` writes it QUEUED in the transaction of the change that causes it.
2. A delivery run claims a batch of due rows (QUEUED with ``next_attempt_at`` passed,
   or SENDING whose ``claimed_until`` passed because a run died) and commits the
   claim: status SENDING, its own ``claim_token``, ``claimed_until`` = now + lease.
   On PostgreSQL the batch is selected with ``FOR UPDATE SKIP LOCKED``; on SQLite each
   row is taken with a conditional UPDATE. Either way two runs never claim the same row.
3. Each message goes over one reused SMTP connection. Right after the server accepts
   it the row is marked SENT and committed; a temporary failure (connection refused,
   timeout, 4xx) puts it back to QUEUED after an exponential backoff (1, 2, 4, 8…
   minutes) until ``MAIL_MAX_ATTEMPTS``, then FAILED; a permanent failure (5xx) makes
   it FAILED at once with the server's answer in ``last_error``.

The job runs MAIL_SENDERS such runs side by side (app/mail/jobs.py); each builds a body
once for all its rows with the same content and writes its marks on one connection it
holds, one autocommitted statement per message.

The crash window: if the process dies after the server accepted a message and
before the SENT mark is committed, that one message stays SENDING, is reclaimed
when its lease runs out and is sent a second time. At most one message per
crashed run is affected (MAIL_SENDERS runs share a process, so a crash of it repeats
at most that many); everything else is exactly once.

Without ``MAIL_SERVER`` nothing leaves the machine: rows stay QUEUED and the
organisers read them in the back-office outbox.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.audit import record, record_many
from app.db import utcnow
from app.errors import DomainError
from app.extensions import db
from app.mail.models import OutboxMessage, OutboxStatus
from app.mail.retry import RetryPolicy
from app.mail.smtp import DeliveryError, PreparedBodies, SMTPConnection, SMTPSettings

log = logging.getLogger(__name__)

# How long a claim protects a row from other runs; renewed while a long batch is sent.
CLAIM_LEASE = timedelta(minutes=5)


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    claimed: int = 0
    disabled: bool = False  # no MAIL_SERVER: nothing was attempted

    def __str__(self) -> str:
        if self.disabled:
            return "no mail server configured: nothing sent"
        return f"sent {self.sent}, retried later {self.retried}, failed {self.failed}"


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt after `attempts` failed ones: 1, 2, 4, 8… minutes."""
    return RetryPolicy.from_config(current_app.config, "MAIL").delay(attempts)


def _due(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now),
        sa.and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_until < now),
    )


def claim_due_messages(limit: int, *, now: datetime | None = None) -> tuple[str, list[int]]:
    """Claim up to `limit` due rows for this run and commit the claim; returns (token, ids)."""
    now = now or utcnow()
    token = secrets.token_hex(16)
    values = {"status": OutboxStatus.SENDING, "claimed_until": now + CLAIM_LEASE,
              "claim_token": token}
    candidates = (
        sa.select(OutboxMessage.id)
        .where(_due(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        ids = list(db.session.scalars(candidates.with_for_update(skip_locked=True)))
        if ids:
            db.session.execute(
                sa.update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(**values),
                execution_options={"synchronize_session": False},
            )
    else:
        # SQLite has no row locks: a row is ours only if our conditional UPDATE changed it.
        ids = []
        for row_id in db.session.scalars(candidates).all():
            result = db.session.execute(
                sa.update(OutboxMessage)
                .where(OutboxMessage.id == row_id, _due(now))
                .values(**values),
                execution_options={"synchronize_session": False},
            )
            if result.rowcount == 1:
                ids.append(row_id)
    db.session.commit()
    return token, ids


def _settle(row_id: int, token: str, conn: sa.Connection, **values) -> bool:
    """Write the outcome of one attempt, only if this run still holds the claim; commit.

    `conn`: the connection the run holds for its marks (see marks_connection: no pool
    checkout, no pre-ping, one round trip per message, and MAIL_ASYNC_COMMIT's choice of
    a durable or a faster commit).
    """
    result = conn.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.claim_token == token,
               OutboxMessage.status == OutboxStatus.SENDING)
        .values(claimed_until=None, claim_token="", updated_at=utcnow(), **values)
    )
    conn.commit()
    if result.rowcount != 1:
        log.warning("outbox row %s was reclaimed by another run before it was settled", row_id)
    return result.rowcount == 1


_FIELDS = ("id", "sender", "recipient", "subject", "body_text", "body_html", "headers",
           "attachments", "message_id", "attempts")


def _record_failure(row: sa.Row, token: str, error: DeliveryError, report: DeliveryReport,
                    policy: RetryPolicy, conn: sa.Connection) -> None:
    attempts = row.attempts + 1
    answer = str(error)[:2000]
    if error.temporary and not policy.gives_up(attempts):
        _settle(row.id, token, conn, status=OutboxStatus.QUEUED, attempts=attempts, last_error=answer,
                next_attempt_at=utcnow() + policy.delay(attempts))
        report.retried += 1
        log.info("outbox %s: temporary failure (%s), attempt %s of %s", row.id, answer,
                 attempts, policy.max_attempts)
    else:
        _settle(row.id, token, conn, status=OutboxStatus.FAILED, attempts=attempts, last_error=answer)
        report.failed += 1
        log.warning("outbox %s to %s failed: %s", row.id, row.recipient, answer)


def deliver_due_messages(limit: int = 200) -> DeliveryReport:
    """Send up to `limit` due outbox rows over one SMTP connection; commits per message."""
    config = current_app.config
    settings = SMTPSettings.from_config(config)
    if not settings.configured:
        return DeliveryReport(disabled=True)
    policy = RetryPolicy.from_config(config, "MAIL")

    token, ids = claim_due_messages(limit)
    report = DeliveryReport(claimed=len(ids))
    if not ids:
        return report
    # Plain rows, not ORM objects: committing after each message reloads nothing.
    rows = db.session.execute(
        sa.select(*(getattr(OutboxMessage, name) for name in _FIELDS))
        .where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
    ).all()

    renew_at = utcnow() + CLAIM_LEASE / 3
    bodies = PreparedBodies()
    connection = SMTPConnection(settings)
    # One database connection held for the run's marks: each is still committed on its
    # own right after the server accepts the message, so the crash window stays one
    # message wide.
    async_commit = bool(config["MAIL_ASYNC_COMMIT"])
    marks = marks_connection(async_commit)
    try:
        try:
            connection.connect()
        except DeliveryError as exc:
            for row in rows:
                _record_failure(row, token, exc, report, policy, marks)
            return report
        for index, row in enumerate(rows):
            if utcnow() >= renew_at:
                _renew_claims(token, [r.id for r in rows[index:]])
                renew_at = utcnow() + CLAIM_LEASE / 3
            try:
                connection.send(bodies.message_bytes(row), sender=_envelope_sender(row),
                                recipients=[_envelope_recipient(row.recipient)])
            except DeliveryError as exc:
                _record_failure(row, token, exc, report, policy, marks)
                continue
            # The crash window is here: accepted by the server, not yet marked SENT.
            _settle(row.id, token, marks, status=OutboxStatus.SENT, attempts=row.attempts + 1,
                    sent_at=utcnow(), last_error="")
            report.sent += 1
    finally:
        connection.close()
        close_marks(marks, async_commit)
        db.session.rollback()
    return report


def marks_connection(async_commit: bool) -> sa.Connection:
    """A database connection held by one sender for its "sent" marks: no pool checkout
    or pre-ping per message. The caller commits after each mark; on PostgreSQL it is in
    autocommit, so each statement is already its own transaction and that commit costs
    no round trip. (Not on SQLite: an in-memory database shares one connection per
    thread with the session.) `async_commit` (MAIL_ASYNC_COMMIT, PostgreSQL only) skips
    the wait for the WAL flush: faster, and a crash of this process still cannot lose a
    mark, but a crash of the database server within a fraction of a second could, and
    those few messages would be sent again."""
    conn = db.engine.connect()
    if db.engine.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        if async_commit:
            conn.execute(sa.text("SET synchronous_commit TO OFF"))
    return conn


def close_marks(conn: sa.Connection, async_commit: bool) -> None:
    if async_commit and db.engine.dialect.name == "postgresql":
        conn.execute(sa.text("RESET synchronous_commit"))  # the pool's next user gets the default
    conn.close()


def _renew_claims(token: str, ids: list[int]) -> None:
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.claim_token == token)
        .values(claimed_until=utcnow() + CLAIM_LEASE),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()


def _envelope_recipient(value: str) -> str:
    from email.utils import parseaddr

    return parseaddr(value)[1] or value


def _envelope_sender(row: sa.Row) -> str:
    from email.utils import parseaddr

    sender = row.sender or current_app.config["MAIL_DEFAULT_SENDER"]
    return parseaddr(sender)[1] or sender


class NotRetryable(DomainError):
    """Only a FAILED message can be queued again."""

    def __init__(self, status: str = "") -> None:
        super().__init__(_l("Only a failed message can be sent again."))
        self.status = status


def _requeue(message: OutboxMessage, by: Any) -> None:
    message.status = OutboxStatus.QUEUED
    message.attempts = 0
    message.next_attempt_at = utcnow()
    message.claimed_until = None
    message.claim_token = ""
    record("outbox.retry", message, user=by, summary=message.recipient)


def retry_message(message: OutboxMessage, *, by: Any = None) -> None:
    """Queue a FAILED message again for an immediate attempt (flushes, no commit)."""
    if message.status != OutboxStatus.FAILED:
        raise NotRetryable(message.status.value)
    _requeue(message, by)
    db.session.flush()


def retry_messages(messages: list[OutboxMessage], *, by: Any = None) -> int:
    """Queue again every FAILED message among `messages`; the others are left as they
    are (already sent, or still trying). One UPDATE and one INSERT of audit entries,
    however many: a list of 500 costs what a list of 5 does. Returns how many were queued."""
    failed = [m for m in messages if m.status == OutboxStatus.FAILED]
    if failed:
        db.session.execute(
            sa.update(OutboxMessage)
            # Still failed at the moment of the update: a delivery run may have moved one.
            .where(OutboxMessage.id.in_([m.id for m in failed]),
                   OutboxMessage.status == OutboxStatus.FAILED)
            .values(status=OutboxStatus.QUEUED, attempts=0, next_attempt_at=utcnow(),
                    claimed_until=None, claim_token="")
            .execution_options(synchronize_session="fetch")
        )
        record_many("outbox.retry", failed, user=by, summary=lambda m: m.recipient)
    return len(failed)

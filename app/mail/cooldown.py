"""Nobody can mail-bomb an address through our forms: a per-recipient cool-down.

The rule: at most one e-mail per address and kind every COOLDOWN (10 minutes), and
at most DAILY_CAP per address and kind per day, for the mails a stranger can trigger
by typing someone's address into a form (newsletter confirmation, "you are already
registered", password reset). The form answers the same whether the mail was queued
or held back, so the cool-down tells nobody anything.

State lives in the database (every worker and host shares it) under a keyed hash of
address and kind: the table holds no e-mail address, and erasure has nothing to find.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.db import utcnow
from app.extensions import db
from app.mail.models import MailCooldown

COOLDOWN = timedelta(minutes=10)
DAILY_CAP = 5


def _key(address: str, kind: str) -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    value = f"{(address or '').strip().lower()}|{kind}".encode()
    return hmac.new(secret, value, hashlib.sha256).hexdigest()


def may_send(address: str, kind: str, now: datetime | None = None) -> bool:
    """Whether a mail of `kind` may go to `address` now; if so, count it as sent.

    Call it in the transaction that queues the mail: the mark and the mail commit
    (or roll back) together.
    """
    now = now or utcnow()
    key = _key(address, kind)
    row = db.session.scalar(sa.select(MailCooldown).where(MailCooldown.key == key).with_for_update())
    today = now.astimezone(UTC).date().isoformat()
    if row is None:
        try:
            with db.session.begin_nested():
                db.session.add(MailCooldown(key=key, last_sent_at=now, day=today, sent_today=1))
        except IntegrityError:
            return False  # a concurrent request for the same address and kind got there first
        return True
    last = row.last_sent_at if row.last_sent_at.tzinfo else row.last_sent_at.replace(tzinfo=UTC)
    if now - last < COOLDOWN:
        return False
    if row.day == today and row.sent_today >= DAILY_CAP:
        return False
    row.sent_today = row.sent_today + 1 if row.day == today else 1
    row.day = today
    row.last_sent_at = now
    db.session.flush()
    return True


def forget(address: str, kinds: tuple[str, ...]) -> int:
    """Drop the rows of `address` for these kinds (the person's data were erased)."""
    keys = [_key(address, kind) for kind in kinds]
    result = db.session.execute(sa.delete(MailCooldown).where(MailCooldown.key.in_(keys))
                                .returning(MailCooldown.key))
    return len(result.all())


def forget_old(now: datetime | None = None) -> int:
    """Drop rows untouched for two days (they no longer hold anything back)."""
    cutoff = (now or utcnow()) - timedelta(days=2)
    result = db.session.execute(sa.delete(MailCooldown).where(MailCooldown.last_sent_at < cutoff)
                                .returning(MailCooldown.key))
    return len(result.all())

"""Login throttling: failures back off exponentially, per account and per client address.

The rule: after FREE_FAILURES failed log-ins, further attempts on that key are
refused (without even checking the password) until the back-off has passed; each
further failure doubles the wait, up to MAX_WAIT. Two keys are counted for every
failure: the account (so spreading guesses over many addresses does not help) and
the client address (so one address trying many accounts is slowed down). A flood
on one account never slows down another account at another address. A successful
log-in clears the account's count.

Counts live in the database so that every worker and host sees the same numbers;
keys are keyed hashes, so the table holds neither e-mail nor IP addresses.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.auth.models import LoginThrottle
from app.db import utcnow
from app.extensions import db

FREE_FAILURES = 5
MAX_WAIT = timedelta(hours=1)


def backoff_seconds(failures: int) -> int:
    """How long to refuse attempts after `failures` consecutive failures."""
    if failures < FREE_FAILURES:
        return 0
    return int(min(2 ** (failures - FREE_FAILURES + 1), MAX_WAIT.total_seconds()))


def _key(kind: str, value: str) -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, f"{kind}:{value.strip().lower()}".encode(), hashlib.sha256).hexdigest()


def _keys(email: str, address: str | None) -> list[str]:
    return [_key("account", email or ""), _key("address", address or "")]


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def wait_remaining(email: str, address: str | None) -> int:
    """Seconds before this account or this address may try again (0: go ahead)."""
    now = utcnow()
    rows = db.session.scalars(sa.select(LoginThrottle).where(LoginThrottle.key.in_(_keys(email, address))))
    waits = [(_aware(r.locked_until) - now).total_seconds() for r in rows if r.locked_until]
    return max([0, *[int(w) + 1 for w in waits if w > 0]])


def record_failure(email: str, address: str | None) -> None:
    now = utcnow()
    for key in _keys(email, address):
        row = db.session.get(LoginThrottle, key)
        if row is None:
            try:
                with db.session.begin_nested():
                    row = LoginThrottle(key=key, failures=0, last_failure_at=now)
                    db.session.add(row)
            except IntegrityError:  # a concurrent failure created it: count on that row
                row = db.session.get(LoginThrottle, key, populate_existing=True)
        elif now - _aware(row.last_failure_at) > MAX_WAIT * 24:
            row.failures = 0  # a day of quiet forgives old failures
        row.failures += 1
        row.last_failure_at = now
        wait = backoff_seconds(row.failures)
        row.locked_until = now + timedelta(seconds=wait) if wait else None
    db.session.flush()


def record_success(email: str) -> None:
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == _key("account", email or "")))

"""Forgotten passwords: an e-mailed, single-use link that works for 30 minutes.

The link's secret is `secrets.token_urlsafe(32)`; only its sha256 is stored, so the
database alone opens no account. Asking for a link answers the same whether the
address has an account or not, and goes through the outbox (in the request's
transaction, by the mail capability on a signal) and its per-address cool-down. Using a link sets the password,
ends every session of the account and voids every other link of that account.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, timedelta

import sqlalchemy as sa
from flask import current_app

from app.audit import record
from app.auth.models import PasswordReset, User
from app.auth.services import _check_password, find_user
from app.auth.sessions import end_sessions
from app.auth.signals import password_reset_requested
from app.db import utcnow
from app.extensions import db

LIFETIME = timedelta(minutes=30)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_reset(email: str, *, language: str = "it") -> bool:
    """Make a reset link when `email` is an active account and ask for it to be e-mailed
    (the mail capability queues it, through its cool-down); True when a link was made."""
    user = find_user(email)
    if user is None or not user.active:
        return False
    token = secrets.token_urlsafe(32)
    db.session.add(PasswordReset(user_id=user.id, token_hash=_hash(token),
                                 expires_at=utcnow() + LIFETIME))
    db.session.flush()
    url = f"{current_app.config['BASE_URL']}/admin/reset-password/{token}"
    password_reset_requested.send(user, url=url, minutes=int(LIFETIME.total_seconds() // 60),
                                  language=language)
    return True


def find_reset(token: str) -> PasswordReset | None:
    """The unused, unexpired reset for this link's secret, else None."""
    if not token or len(token) > 64:
        return None
    row = db.session.scalar(sa.select(PasswordReset).where(PasswordReset.token_hash == _hash(token)))
    if row is None or row.used_at is not None:
        return None
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
    if utcnow() >= expires:
        return None
    return row


def complete_reset(reset: PasswordReset, password: str) -> User:
    """Set the new password; every session and every other link of the account ends."""
    _check_password(password)
    user = db.session.get(User, reset.user_id)
    user.set_password(password)
    end_sessions(user)
    now = utcnow()
    db.session.execute(
        sa.update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    record("user.password_reset_link", user, user=user)
    db.session.flush()
    return user

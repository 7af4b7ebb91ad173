"""Organiser API keys: create, revoke, authenticate, and what a key may reach.

The rule: a key acts as its owner, never beyond. It reaches an event only while the
owner may manage it (`can_manage`, checked on every use) and, for a key scoped to
one event, only that event. The secret is shown once and stored as SHA-256; lookups
go by its public prefix and compare the hash in constant time.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.api.models import ApiKey
from app.audit import record
from app.db import utcnow
from app.errors import DomainError
from app.events.models import Event
from app.events.permissions import can_manage
from app.extensions import db
from app.registrations import services as registrations
from app.registrations.models import Registration

KEY_RE = re.compile(r"^ev_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


class ApiKeyError(DomainError):
    """A key that cannot be created as asked."""


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(owner, name: str, event: Event | None) -> tuple[ApiKey, str]:
    """A new key for `owner`; returns it with its secret, which is never stored."""
    name = " ".join(name.split())
    if not name:
        raise ApiKeyError(_l("Give the key a name, e.g. the app or device that uses it."), "name")
    if event is not None and not can_manage(owner, event):
        raise ApiKeyError(_l("You do not organise this event."), "scope")
    prefix = secrets.token_hex(6)
    plain = f"ev_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(user=owner, event=event, name=name[:120], prefix=prefix, key_hash=_hash(plain))
    db.session.add(key)
    db.session.flush()
    record("api_key.create", key, user=owner, summary=name[:120],
           event_id=event.id if event else None)
    return key, plain


def revoke_key(key: ApiKey, *, by) -> None:
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        record("api_key.revoke", key, user=by, summary=key.name)
        db.session.flush()


def authenticate(authorization: str | None) -> ApiKey | None:
    """The active key of an `Authorization: Bearer …` header whose owner is still active."""
    if not authorization or not authorization.startswith("Bearer "):
        return None
    plain = authorization[len("Bearer "):].strip()
    match = KEY_RE.match(plain)
    if match is None:
        return None
    key = db.session.scalar(sa.select(ApiKey).where(ApiKey.prefix == match.group(1)))
    if key is None or not hmac.compare_digest(key.key_hash, _hash(plain)):
        return None
    if key.revoked_at is not None or not key.user.is_active:
        return None
    return key


def reaches(key: ApiKey, event: Event) -> bool:
    if key.event_id is not None and key.event_id != event.id:
        return False
    return can_manage(key.user, event)


def keys_of(user) -> list[ApiKey]:
    return list(db.session.scalars(
        sa.select(ApiKey).where(ApiKey.user_id == user.id)
        .order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc(), ApiKey.id.desc())
    ))


def registration_for_checkin(token: str) -> Registration | None:
    """The registration a door scanner's QR code names.

    The one place that decides which token the API accepts at the door: today the
    registration's private token (as the back-office check-in page does); when the
    separate check-in token exists, this line becomes its lookup.
    """
    return registrations.find_by_token(token)

"""Personal feed tokens (one per e-mail address) and what each registrant's calendar was last sent."""
from __future__ import annotations

import hmac
import secrets
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import postgresql, sqlite

from app.db import TimestampMixin, reference, utcnow
from app.extensions import db


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


class CalendarFeedToken(TimestampMixin, db.Model):
    """The secret in /calendar/<token>.ics: whoever holds it sees that address's registrations."""

    __tablename__ = "calendar_feed_tokens"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    # secrets.token_urlsafe(24): 192 bits.
    token: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    reset_at: so.Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<CalendarFeedToken {self.id}>"


class CalendarInvite(db.Model):
    """The schedule last put in this registrant's calendar by an invite.

    Lets an event change notify only the people whose calendar entry actually
    changes, once, and say what it was before.
    """

    __tablename__ = "calendar_invites"

    registration_id: so.Mapped[int] = reference("registrations.id", primary_key=True)
    method: so.Mapped[str] = so.mapped_column(sa.String(10), default="REQUEST")
    sequence: so.Mapped[int] = so.mapped_column(default=0)
    snapshot: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON, default=dict)
    sent_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


def new_token() -> str:
    return secrets.token_urlsafe(24)


def get_or_create_feed_token(email: str) -> CalendarFeedToken:
    """The address's feed token, created on first use; safe when two requests race."""
    return ensure_feed_token(email)[0]


# The rows this session has read or written, by address: the confirmation e-mail's
# text and HTML both show the feed link the registration has just ensured, and ask
# the session again instead of the database.
_SEEN = "calendars.feed_tokens"


def _seen() -> dict[str, CalendarFeedToken]:
    return db.session.info.setdefault(_SEEN, {})


def forget_seen(email: str) -> None:
    """Drop the remembered row of an address whose token was deleted in bulk."""
    _seen().pop(normalise_email(email), None)


def feed_token_for(email: str) -> CalendarFeedToken | None:
    email = normalise_email(email)
    row = _seen().get(email)
    if row is not None and row in db.session:  # a rolled-back insert has left the session
        return row
    row = db.session.scalars(
        sa.select(CalendarFeedToken).where(CalendarFeedToken.email == email)
    ).one_or_none()
    if row is not None:
        _seen()[email] = row
    return row


def ensure_feed_token(email: str) -> tuple[CalendarFeedToken, bool]:
    """(token row, whether this call created it), in one statement.

    An upsert on the unique address: a concurrent registration with the same address
    waits for the other's row and gets it, and never fails because of the feed. The
    row written is ours only if it carries the token we proposed.
    """
    email = normalise_email(email)
    db.session.flush()
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    proposed = new_token()
    stmt = insert(CalendarFeedToken).values(email=email, token=proposed, created_at=now, updated_at=now)
    stmt = stmt.on_conflict_do_update(index_elements=["email"], set_={"email": stmt.excluded.email})
    row = db.session.scalars(stmt.returning(CalendarFeedToken),
                             execution_options={"populate_existing": True}).one()
    _seen()[email] = row
    return row, row.token == proposed


def reset_feed_token(email: str) -> CalendarFeedToken:
    """A new secret for the address; the old feed URL stops working."""
    row = get_or_create_feed_token(email)
    row.token = new_token()
    row.reset_at = utcnow()
    db.session.flush()
    return row


def find_feed_token(token: str) -> CalendarFeedToken | None:
    """The row for a presented token, or None; the final comparison is constant-time."""
    if not token or len(token) > 64:
        return None
    row = db.session.scalars(
        sa.select(CalendarFeedToken).where(CalendarFeedToken.token == token)
    ).one_or_none()
    if row is None or not hmac.compare_digest(row.token.encode(), token.encode()):
        return None
    return row

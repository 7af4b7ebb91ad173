"""Calendar invites attached to e-mails (text/calendar REQUEST and CANCEL, RFC 5546/6047)."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale

from app.calendars import ical
from app.calendars.models import CalendarInvite
from app.db import utcnow
from app.extensions import db
from app.registrations.models import Registration

# SEQUENCE per recipient (RFC 5546 3.2.2, 3.2.5): a calendar applies an update or a
# CANCEL only when its SEQUENCE is above the one it holds. The event's own sequence
# moves with its schedule; a registrant's calendar may have seen more (a CANCEL after
# they cancelled, then a REQUEST when they registered again), so what each address
# was last sent for an event is the floor of everything it is sent next.


def last_sent(event_id: int, email: str) -> tuple[int, str] | None:
    """(sequence, method) of the last invite this address got for this event."""
    row = db.session.execute(
        sa.select(CalendarInvite.sequence, CalendarInvite.method)
        .join(Registration, Registration.id == CalendarInvite.registration_id)
        .where(Registration.event_id == event_id, Registration.email == email)
        .order_by(CalendarInvite.sequence.desc(), CalendarInvite.sent_at.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def last_sent_by_event(email: str, event_ids: list[int]) -> dict[int, tuple[int, str]]:
    """last_sent for many events of one address in one query (the personal feed)."""
    if not event_ids:
        return {}
    rows = db.session.execute(
        sa.select(Registration.event_id, CalendarInvite.sequence, CalendarInvite.method)
        .join(Registration, Registration.id == CalendarInvite.registration_id)
        .where(Registration.email == email, Registration.event_id.in_(event_ids))
        .order_by(CalendarInvite.sequence, CalendarInvite.sent_at)
    ).all()
    return {event_id: (seq, method) for event_id, seq, method in rows}


def next_sequence(event_sequence: int, last: tuple[int, str] | None, method: str, *,
                  changed: bool = False, event_cancelled: bool = False) -> int:
    """The SEQUENCE of the next invite: never below what the recipient holds, above it
    for a CANCEL, for a REQUEST after a CANCEL and for a changed schedule. (Cancelling
    the event already moved its own sequence past anything sent before.)"""
    base = event_sequence or 0
    if last is None:
        return base + 1 if method == "CANCEL" and not event_cancelled else base
    seq, last_method = last
    if method == "CANCEL":
        return max(base, seq) if last_method == "CANCEL" else max(base, seq + 1)
    if last_method == "CANCEL" or changed:
        return max(base, seq + 1)
    return max(base, seq)


def entry_sequence(registration: Any, last: tuple[int, str] | None) -> int:
    """What the registrant's own .ics and feed say: the last sequence they were sent
    (one above it for a cancelled registration whose CANCEL never went out)."""
    base = registration.event.sequence or 0
    if last is None:
        return base + 1 if registration.is_cancelled else base
    seq, method = last
    if registration.is_cancelled and method != "CANCEL":
        return max(base, seq + 1)
    return max(base, seq)


def snapshot(registration: Any) -> dict[str, Any]:
    """What this registrant's calendar entry says: compared later to tell what changed."""
    event = registration.event
    with force_locale(registration.language or "it"):
        entries = ical.registration_entries(registration)
    return {
        "status": str(event.status),
        "timezone": event.timezone,
        "venue_id": event.venue_id,
        "format": str(event.format),
        "location": entries[0].location if entries else "",
        "times": [[e.uid, e.start.isoformat(), e.end.isoformat()] for e in entries],
    }


def invite_attachments(registration: Any, method: str = "REQUEST", *,
                       changed: bool = False, records: list[Any] | None = None) -> list[dict[str, Any]]:
    """Outbox attachments carrying the event as an iTIP invite for this registrant.

    Same UIDs as the feeds, so the entry a mail client adds is the one a feed
    updates. For multi-part registrations the invite holds the parts attended.
    Records what was sent, so a later change notifies only those it affects.

    A registration not yet written (prepared before its event's lock is taken)
    passes `records`: the invite record is appended there, unsaved, and the caller
    adds it with the registration once the seat is decided.
    """
    method = method.upper()
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unsupported iTIP method {method!r}")
    event = registration.event
    sequence = event.sequence or 0
    written = registration.id is not None
    if written or records is not None:
        if written:
            db.session.flush()
        sequence = next_sequence(sequence, last_sent(event.id, registration.email),
                                 method, changed=changed, event_cancelled=event.is_cancelled)
    content = ical.render_invite(registration, method, sequence).decode("utf-8")
    if written or records is not None:
        # A registration not yet written has no invite on record.
        row = db.session.get(CalendarInvite, registration.id) if written else None
        if row is None:
            row = CalendarInvite(registration_id=registration.id)
            if records is None:
                db.session.add(row)
        row.method = method
        row.sequence = sequence
        row.snapshot = snapshot(registration)
        row.sent_at = utcnow()
        if records is not None:
            records.append(row)
        else:
            db.session.flush()
    return [{
        "filename": "invite.ics",
        "content_type": "text/calendar",
        "method": method,
        "content": content,
        "alternative": True,
    }]

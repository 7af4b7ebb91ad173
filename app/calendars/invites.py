"""Calendar invites attached to e-mails (text/calendar REQUEST and CANCEL, RFC 5546/6047)."""
from __future__ import annotations

from typing import Any

from flask_babel import force_locale

from app.calendars import ical
from app.calendars.models import CalendarInvite
from app.db import utcnow
from app.extensions import db


def snapshot(registration: Any) -> dict[str, Any]:
    """What this registrant's calendar entry says: compared later to tell what changed."""
    event = registration.event
    with force_locale(registration.language or "it"):
        entries = ical.registration_entries(registration, private=False)
    return {
        "status": str(event.status),
        "timezone": event.timezone,
        "venue_id": event.venue_id,
        "format": str(event.format),
        "location": entries[0].location if entries else "",
        "times": [[e.uid, e.start.isoformat(), e.end.isoformat()] for e in entries],
    }


def invite_attachments(registration: Any, method: str = "REQUEST") -> list[dict[str, Any]]:
    """Outbox attachments carrying the event as an iTIP invite for this registrant.

    Same UIDs as the feeds, so the entry a mail client adds is the one a feed
    updates. For multi-part registrations the invite holds the parts attended.
    Records what was sent, so a later change notifies only those it affects.
    """
    method = method.upper()
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unsupported iTIP method {method!r}")
    content = ical.render_invite(registration, method).decode("utf-8")
    if registration.id is not None:
        row = db.session.get(CalendarInvite, registration.id)
        if row is None:
            row = CalendarInvite(registration_id=registration.id)
            db.session.add(row)
        row.method = method
        row.sequence = registration.event.sequence or 0
        row.snapshot = snapshot(registration)
        row.sent_at = utcnow()
        db.session.flush()
    return [{
        "filename": "invite.ics",
        "content_type": "text/calendar",
        "method": method,
        "content": content,
        "alternative": True,
    }]

"""Erasure erases: what goes when a registration is anonymised, beyond its own row.

The rule: after an attendee erases their data, or the retention job anonymises a
registration, the person's e-mail address and names are in no table and on no
back-office page. Besides blanking the registration itself this:

- deletes the outbox rows written for the registration (and the ones to the address
  about the same event, e.g. "you are already registered"): they hold the address,
  the name and the private links;
- deletes the registration's reminders and its calendar-invite snapshot;
- drops the personal-feed token of the address once no live registration of that
  address remains (the feed would be empty anyway, and the row holds the address);
- strips the audit log of copies: entries about the registration keep their ids and
  numbers, and any summary quoting the address or the name is emptied;
- records the erasure itself in the audit log (who, when, which registration id).

Newsletter subscriptions are a separate consent with their own unsubscribe link and
are left alone.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.admin.audit import record
from app.admin.models import AuditEntry
from app.calendars.models import CalendarFeedToken, CalendarInvite
from app.extensions import db
from app.mail.models import OutboxMessage
from app.registrations.models import Registration, RegistrationStatus
from app.reminders.models import Reminder


def forget_traces(reg: Registration, *, email: str, names: list[str], by: Any = None,
                  reason: str = "attendee") -> None:
    """Remove every copy of the person's data tied to `reg` (whose row is already blank)."""
    names = [n for n in names if n and n.strip()]
    outbox = sa.or_(OutboxMessage.registration_id == reg.id,
                    sa.and_(OutboxMessage.recipient == email, OutboxMessage.event_id == reg.event_id))
    db.session.execute(sa.update(Reminder).where(Reminder.outbox_id.in_(
        sa.select(OutboxMessage.id).where(outbox))).values(outbox_id=None)
        .execution_options(synchronize_session=False))
    db.session.execute(sa.delete(OutboxMessage).where(outbox).execution_options(synchronize_session=False))
    db.session.execute(sa.delete(Reminder).where(Reminder.registration_id == reg.id)
                       .execution_options(synchronize_session=False))
    db.session.execute(sa.delete(CalendarInvite).where(CalendarInvite.registration_id == reg.id)
                       .execution_options(synchronize_session=False))
    if email:
        still_live = db.session.scalar(
            sa.select(sa.func.count(Registration.id)).where(
                Registration.email == email, Registration.id != reg.id,
                Registration.anonymised_at.is_(None),
                Registration.status.in_((RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)),
            )
        )
        if not still_live:
            db.session.execute(sa.delete(CalendarFeedToken).where(CalendarFeedToken.email == email)
                               .execution_options(synchronize_session=False))
    _scrub_audit(reg, [email, *names])
    db.session.flush()
    db.session.expire_all()  # the bulk deletes above bypassed the identity map
    record("registration.erase", reg, user=by, event_id=reg.event_id, reason=reason)
    db.session.flush()


def _scrub_audit(reg: Registration, needles: list[str]) -> None:
    about = sa.and_(AuditEntry.object_type == "registration", AuditEntry.object_id == reg.id)
    quoting = [sa.func.lower(AuditEntry.summary).contains(n.lower()) for n in needles if n]
    entries = db.session.scalars(sa.select(AuditEntry).where(sa.or_(about, *quoting))).all()
    for entry in entries:
        entry.summary = f"#{entry.object_id}" if entry.object_id else ""
        # Keep ids and numbers (what happened to which record), drop every text.
        entry.details = {k: v for k, v in (entry.details or {}).items()
                         if isinstance(v, (int, float, bool)) and not isinstance(v, str)}

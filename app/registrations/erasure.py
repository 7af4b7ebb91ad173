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
their own erasure (app/newsletter/erasure.py), and are left alone.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.audit import record, scrub
from app.extensions import db
from app.imports.services import forget_address
from app.mail.models import OutboxMessage
from app.registrations import signals
from app.registrations.models import Registration, RegistrationStatus


def forget_traces(reg: Registration, *, email: str, names: list[str], by: Any = None,
                  reason: str = "attendee") -> None:
    """Remove every copy of the person's data tied to `reg` (whose row is already blank)."""
    names = [n for n in names if n and n.strip()]
    outbox = sa.or_(OutboxMessage.registration_id == reg.id,
                    sa.and_(OutboxMessage.recipient == email, OutboxMessage.event_id == reg.event_id))
    # Reminders pointing at these rows lose the pointer (ON DELETE SET NULL).
    db.session.execute(sa.delete(OutboxMessage).where(outbox).execution_options(synchronize_session=False))
    still_live = bool(email) and bool(db.session.scalar(
        sa.select(sa.func.count(Registration.id)).where(
            Registration.email == email, Registration.id != reg.id,
            Registration.anonymised_at.is_(None),
            Registration.status.in_((RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)),
        )
    ))
    # Reminders and calendars drop their own rows (their receivers).
    signals.registration_anonymised.send(reg, email=email, address_still_live=still_live)
    scrub([email, *names], object_type="registration", object_id=reg.id)
    forget_address(email)  # an upload still waiting for its import
    db.session.flush()
    db.session.expire_all()  # the bulk deletes bypassed the identity map
    record("registration.erase", reg, user=by, event_id=reg.event_id, reason=reason)
    db.session.flush()


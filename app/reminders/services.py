"""Scheduling reminders when registrations and events change, and sending the due ones.

Each (registration, kind) has at most one row (a unique constraint), so a reminder
goes out at most once whatever restarts, moves or repeated signals happen. Pending
rows follow the event: when it moves, their due times move; when it is cancelled
or a registration ends, they are skipped. Sending marks the row SENT and writes
the outbox e-mail in the same transaction.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from app.db import utcnow
from app.events.models import Event, EventStatus, Material, MaterialKind
from app.extensions import db
from app.mail.outbox import queue_email
from app.registrations import online
from app.registrations.models import Registration, RegistrationStatus
from app.reminders.models import Reminder, ReminderKind, ReminderStatus

log = logging.getLogger(__name__)

HOUR_BEFORE = timedelta(hours=1)
# Before-the-event reminders: (kind, template).
TEMPLATES = {
    ReminderKind.DAY_BEFORE: "reminders/day_before",
    ReminderKind.HOUR_BEFORE: "reminders/hour_before",
    ReminderKind.RECORDING: "reminders/recording",
}
TIMED = (ReminderKind.DAY_BEFORE, ReminderKind.HOUR_BEFORE)


def wanted_reminders(registration: Registration, event: Event) -> dict[ReminderKind, datetime]:
    """The before-the-event reminders a registration should get, with their due times."""
    if registration.status != RegistrationStatus.CONFIRMED or event.status != EventStatus.PUBLISHED:
        return {}
    wanted: dict[ReminderKind, datetime] = {}
    # From the first part this person attends: someone coming on day 2 only is
    # reminded before day 2.
    start = online.attendance_starts_at(registration)
    if (event.reminder_hours_before or 0) > 0:
        wanted[ReminderKind.DAY_BEFORE] = start - timedelta(hours=event.reminder_hours_before)
    if registration.is_online and event.is_online:
        wanted[ReminderKind.HOUR_BEFORE] = start - HOUR_BEFORE
    return wanted


def _reconcile(registration: Registration, event: Event, existing: dict[ReminderKind, Reminder],
               now: datetime) -> None:
    wanted = wanted_reminders(registration, event)
    for kind in TIMED:
        row = existing.get(kind)
        due = wanted.get(kind)
        if due is None:
            if row is not None and row.status == ReminderStatus.PENDING:
                row.status = ReminderStatus.SKIPPED
                row.skipped_reason = _reason(registration, event)
            continue
        if row is None:
            # A reminder whose moment has already passed when someone registers is
            # not worth sending: the confirmation has just said it all.
            if due > now:
                db.session.add(Reminder(registration=registration, event=event,
                                        registration_id=registration.id, event_id=event.id,
                                        kind=kind, due_at=due))
        elif row.status == ReminderStatus.PENDING:
            row.due_at = due
        elif row.status == ReminderStatus.SKIPPED and due > now:
            row.status = ReminderStatus.PENDING  # e.g. an event cancelled by mistake, restored
            row.skipped_reason = ""
            row.due_at = due
    _reconcile_recording(registration, event, existing.get(ReminderKind.RECORDING), now)


def _reconcile_recording(registration: Registration, event: Event, row: Reminder | None,
                         now: datetime) -> None:
    """'The recording is online' waits for the event's end, whenever it was published."""
    if row is not None:
        if row.status == ReminderStatus.PENDING:
            if registration.status != RegistrationStatus.CONFIRMED or event.status != EventStatus.PUBLISHED:
                row.status = ReminderStatus.SKIPPED
                row.skipped_reason = _reason(registration, event)
            else:
                row.due_at = event.ends_at
        return
    if registration.status != RegistrationStatus.CONFIRMED or event.status != EventStatus.PUBLISHED:
        return
    material = online.published_recording(event)
    if material is not None and event.ends_at > now:
        db.session.add(Reminder(registration=registration, event=event,
                                registration_id=registration.id, event_id=event.id,
                                kind=ReminderKind.RECORDING, due_at=event.ends_at,
                                material_id=material.id))


def _reason(registration: Registration, event: Event) -> str:
    if event.status == EventStatus.CANCELLED:
        return "event cancelled"
    if event.status != EventStatus.PUBLISHED:
        return "event not published"
    if registration.status != RegistrationStatus.CONFIRMED:
        return f"registration {registration.status.value}"
    return "no longer applies"


def schedule_registration(registration: Registration, now: datetime | None = None, *,
                          new: bool = False) -> None:
    """Create, move or skip the reminders of one registration to match its state
    (`new`: written in this transaction, so it has none yet to look up)."""
    db.session.flush()
    existing = {} if new else {r.kind: r for r in db.session.scalars(
        sa.select(Reminder).where(Reminder.registration_id == registration.id))}
    _reconcile(registration, registration.event, existing, now or utcnow())
    db.session.flush()


def schedule_event(event: Event, now: datetime | None = None) -> None:
    """Bring every reminder of an event in line with it (after a move, cancellation...)."""
    db.session.flush()
    now = now or utcnow()
    registrations = db.session.scalars(
        sa.select(Registration).where(Registration.event_id == event.id)
        .options(so.selectinload(Registration.parts))
    ).all()
    by_registration: dict[int, dict[ReminderKind, Reminder]] = {}
    for row in db.session.scalars(sa.select(Reminder).where(Reminder.event_id == event.id)):
        by_registration.setdefault(row.registration_id, {})[row.kind] = row
    for registration in registrations:
        _reconcile(registration, event, by_registration.get(registration.id, {}), now)
    db.session.flush()


def notify_recording(material: Material, now: datetime | None = None) -> int:
    """Schedule one 'the recording is online' notice per confirmed registration, once ever.

    It is due when the event has ended: a recording published while the event still
    runs (or before it) waits for the end. Returns how many registrations got a notice.
    """
    now = now or utcnow()
    event = material.event
    if material.kind != MaterialKind.RECORDING or event.status != EventStatus.PUBLISHED:
        return 0
    db.session.flush()
    already = set(db.session.scalars(
        sa.select(Reminder.registration_id).where(
            Reminder.event_id == event.id, Reminder.kind == ReminderKind.RECORDING)
    ))
    registration_ids = db.session.scalars(
        sa.select(Registration.id).where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.anonymised_at.is_(None),
        )
    ).all()
    new = [rid for rid in registration_ids if rid not in already]
    for rid in new:
        db.session.add(Reminder(registration_id=rid, event_id=event.id,
                                kind=ReminderKind.RECORDING, due_at=max(now, event.ends_at),
                                material_id=material.id))
    db.session.flush()
    return len(new)


# --- sending ----------------------------------------------------------------------


def _still_wanted(reminder: Reminder, now: datetime) -> str:
    """'' when the reminder should go out now, else why it is skipped."""
    registration, event = reminder.registration, reminder.event
    if registration.status != RegistrationStatus.CONFIRMED or registration.anonymised_at:
        return f"registration {registration.status.value}"
    if event.status != EventStatus.PUBLISHED:
        return "event cancelled" if event.status == EventStatus.CANCELLED else "event not published"
    if reminder.kind in TIMED and online.attendance_starts_at(registration) <= now:
        return "too late"
    if reminder.kind == ReminderKind.RECORDING and event.ends_at > now:
        return "event not over"
    if reminder.kind == ReminderKind.HOUR_BEFORE and not (registration.is_online and event.is_online):
        return "not attending online"
    return ""


def _claim(reminder_id: int, status: ReminderStatus, now: datetime, reason: str = "") -> bool:
    """Move a PENDING row on; False if another run got there first."""
    result = db.session.execute(
        sa.update(Reminder)
        .where(Reminder.id == reminder_id, Reminder.status == ReminderStatus.PENDING)
        .values(status=status, sent_at=now if status == ReminderStatus.SENT else None,
                skipped_reason=reason, updated_at=now),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount == 1


def email_context(reminder: Reminder) -> dict:
    base = current_app.config["BASE_URL"]
    registration, event = reminder.registration, reminder.event
    context = {
        "registration": registration,
        "event": event,
        "event_url": f"{base}/events/{event.slug}/",
        "attendee_url": f"{base}/registrations/{registration.token}/",
        "material": None,
        # The join link travels only in the hour-before reminder to an online attendee.
        "join_url": "",
    }
    if reminder.kind == ReminderKind.HOUR_BEFORE:
        context["join_url"] = online.join_link(registration)
    if reminder.kind == ReminderKind.RECORDING:
        material = db.session.get(Material, reminder.material_id) if reminder.material_id else None
        if material is None:
            material = next((m for m in event.materials if m.kind == MaterialKind.RECORDING), None)
        context["material"] = material
    return context


def due_reminders(now: datetime, limit: int) -> list[Reminder]:
    return list(db.session.scalars(
        sa.select(Reminder)
        .where(Reminder.status == ReminderStatus.PENDING, Reminder.due_at <= now)
        .order_by(Reminder.due_at, Reminder.id)
        .limit(limit)
        .options(so.joinedload(Reminder.registration), so.joinedload(Reminder.event))
    ).unique())


def send_due_reminders(now: datetime | None = None, limit: int = 200) -> tuple[int, int]:
    """Queue the e-mails of due reminders; returns (sent, skipped). Flushes, no commit.

    The SENT mark and the outbox row are written in the caller's transaction, so a
    crash before the commit leaves both undone and the next run does the work.
    """
    now = now or utcnow()
    sent = skipped = 0
    for reminder in due_reminders(now, limit):
        reason = _still_wanted(reminder, now)
        if reason:
            skipped += _claim(reminder.id, ReminderStatus.SKIPPED, now, reason)
            continue
        if not _claim(reminder.id, ReminderStatus.SENT, now):
            continue
        registration = reminder.registration
        message = queue_email(
            registration.email,
            TEMPLATES[reminder.kind],
            category=f"reminder.{reminder.kind.value}",
            language=registration.language or reminder.event.language or "it",
            context=email_context(reminder),
            event_id=reminder.event_id,
            registration_id=registration.id,
        )
        db.session.execute(
            sa.update(Reminder).where(Reminder.id == reminder.id).values(outbox_id=message.id),
            execution_options={"synchronize_session": False},
        )
        sent += 1
    return sent, skipped


def counts_by_status(event: Event) -> dict[tuple[str, str], int]:
    """{(kind, status): n} for the organiser's panel."""
    rows = db.session.execute(
        sa.select(Reminder.kind, Reminder.status, sa.func.count())
        .where(Reminder.event_id == event.id)
        .group_by(Reminder.kind, Reminder.status)
    ).all()
    return {(kind.value, status.value): n for kind, status, n in rows}



def forget_registration(registration: Registration) -> int:
    """Delete every reminder of an erased registration; returns how many."""
    result = db.session.execute(
        sa.delete(Reminder).where(Reminder.registration_id == registration.id)
        .returning(Reminder.id).execution_options(synchronize_session=False)
    )
    return len(result.all())

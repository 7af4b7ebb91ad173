"""Online attendance: who sees the join link, until when, and what replaces it.

The rule: a confirmed online registrant of an online or hybrid event sees the join
link in their own documents (attendee page, invite, .ics download, personal feed,
e-mails) from the moment they are confirmed until the last part they attend has
ended plus JOIN_LINK_GRACE_MINUTES. After that the link is gone for good and the
recording (once published) takes its place. Public pages and feeds never carry it.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from app.db import utcnow
from app.events.models import Event, Material, MaterialKind, Session
from app.registrations.models import Registration


def attended_parts(registration: Registration) -> list[Session]:
    """The parts the person attends; every registrable part when none was chosen."""
    return list(registration.parts) or registration.event.registrable_parts


def attendance_ends_at(registration: Registration) -> datetime:
    """When the last part this person attends ends (the event's end without parts)."""
    parts = attended_parts(registration)
    return max(p.ends_at for p in parts) if parts else registration.event.ends_at


def attendance_starts_at(registration: Registration) -> datetime:
    parts = attended_parts(registration)
    return min(p.starts_at for p in parts) if parts else registration.event.starts_at


def link_expires_at(registration: Registration) -> datetime:
    grace = current_app.config.get("JOIN_LINK_GRACE_MINUTES", 60)
    return attendance_ends_at(registration) + timedelta(minutes=grace)


def gets_join_link(registration: Registration) -> bool:
    """Whether this registration is one that receives a join link at all."""
    event = registration.event
    return (registration.is_confirmed and registration.is_online and event.is_online
            and bool(event.online_join_url) and not event.is_cancelled
            and not registration.is_anonymised)


def join_link(registration: Registration, now: datetime | None = None) -> str:
    """The join link this person may see now, or ''."""
    if not gets_join_link(registration):
        return ""
    if (now or utcnow()) >= link_expires_at(registration):
        return ""
    return registration.event.online_join_url


def published_recording(event: Event) -> Material | None:
    return next((m for m in event.materials if m.kind == MaterialKind.RECORDING), None)


def recording_link(registration: Registration, now: datetime | None = None) -> str:
    """The recording, once the link has expired (or for in-person attendees after the end)."""
    now = now or utcnow()
    if not registration.is_confirmed or registration.event.ends_at > now:
        return ""
    if gets_join_link(registration) and now < link_expires_at(registration):
        return ""
    material = published_recording(registration.event)
    return material.url if material is not None else ""


def inside_reminder_window(registration: Registration, now: datetime | None = None) -> bool:
    """Confirmed so late that the before-the-event reminder is already due or gone:
    the join link must go out at once."""
    event = registration.event
    hours = event.reminder_hours_before or 0
    start = attendance_starts_at(registration)
    lead = max(timedelta(hours=hours), timedelta(hours=1))
    return (now or utcnow()) >= start - lead

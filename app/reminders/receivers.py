"""Keep reminder rows in step with registrations and events (same transaction as the change)."""
from __future__ import annotations

from typing import Any

from app.events.signals import event_cancelled, event_published, event_updated, material_published
from app.registrations import online
from app.registrations.signals import (
    registration_anonymised,
    registration_cancelled,
    registration_created,
    registration_preparing,
    registration_promoted,
)
from app.reminders import services

# Event fields whose change can move, add or drop reminders.
RELEVANT = {"starts_at", "ends_at", "timezone", "format", "status", "reminder_hours_before"}


@registration_preparing.connect
def on_registration_preparing(registration: Any, **kwargs: Any) -> None:
    # Loaded now, outside the event's lock: whether a recording reminder is due.
    online.published_recording(registration.event)


@registration_created.connect
def on_registration_created(registration: Any, new: bool = False, **kwargs: Any) -> None:
    services.schedule_registration(registration, new=new)


@registration_promoted.connect
def on_registration_promoted(registration: Any, **kwargs: Any) -> None:
    services.schedule_registration(registration)


@registration_cancelled.connect
def on_registration_cancelled(registration: Any, **kwargs: Any) -> None:
    services.schedule_registration(registration)


@event_updated.connect
def on_event_updated(event: Any, changes: dict | None = None, **kwargs: Any) -> None:
    if changes is None or RELEVANT & set(changes):
        services.schedule_event(event)


@event_published.connect
def on_event_published(event: Any, **kwargs: Any) -> None:
    services.schedule_event(event)


@event_cancelled.connect
def on_event_cancelled(event: Any, **kwargs: Any) -> None:
    services.schedule_event(event)


@material_published.connect
def on_material_published(material: Any, **kwargs: Any) -> None:
    services.notify_recording(material)


@registration_anonymised.connect
def on_registration_anonymised(registration: Any, **kwargs: Any) -> None:
    """An erased registration keeps no reminders, sent or pending."""
    services.forget_registration(registration)

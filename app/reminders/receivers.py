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


def on_registration_changed(registration: Any, new: bool = False, **kwargs: Any) -> None:
    """A new, promoted or cancelled registration: its reminders follow its status
    (`new`: just created, so it has none to look up yet)."""
    services.schedule_registration(registration, new=new)


def on_event_published_or_cancelled(event: Any, **kwargs: Any) -> None:
    services.schedule_event(event)


for _signal in (registration_created, registration_promoted, registration_cancelled):
    _signal.connect(on_registration_changed)
for _signal in (event_published, event_cancelled):
    _signal.connect(on_event_published_or_cancelled)


@event_updated.connect
def on_event_updated(event: Any, changes: dict | None = None, **kwargs: Any) -> None:
    if changes is None or RELEVANT & set(changes):
        services.schedule_event(event)


@material_published.connect
def on_material_published(material: Any, **kwargs: Any) -> None:
    services.notify_recording(material)


@registration_anonymised.connect
def on_registration_anonymised(registration: Any, **kwargs: Any) -> None:
    """An erased registration keeps no reminders, sent or pending."""
    services.forget_registration(registration)

"""Reactions to back-office changes: new seats go to the waiting list at once."""
from __future__ import annotations

from app.events.signals import event_updated, part_capacity_changed
from app.registrations import services

CAPACITY_FIELDS = {"capacity", "capacity_in_person", "capacity_online", "waitlist_enabled",
                   "registration_opens_at", "registration_closes_at", "registration_mode",
                   "status", "format", "sessions"}


@event_updated.connect
def on_event_updated(event, changes=None, **kwargs) -> None:
    # Runs inside the organiser's transaction: promotions, their e-mails and the
    # capacity change are committed together.
    if CAPACITY_FIELDS & set(changes or {}):
        services.capacity_changed(event)


@part_capacity_changed.connect
def on_part_capacity_changed(part, changes=None, **kwargs) -> None:
    services.capacity_changed(part.event)

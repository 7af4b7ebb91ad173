"""The reminders panel on the back-office event page."""
from __future__ import annotations

from app.events.models import Event
from app.events.panels import event_panel
from app.reminders.services import counts_by_status


@event_panel("admin", "reminders/admin/_event_panel.html")
def reminders_panel(event: Event) -> dict:
    """{(kind, status): n} for the organiser's event panel."""
    return {"counts": counts_by_status(event)}

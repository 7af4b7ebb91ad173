"""The embed snippet on the back-office event page."""
from __future__ import annotations

from app.events.models import Event
from app.events.panels import event_panel


@event_panel("admin", "embeds/admin/_event_panel.html")
def embed_panel(event: Event) -> dict:
    """The template reads the event itself: nothing to compute."""
    return {}

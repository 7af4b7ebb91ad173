"""Who may manage an event: administrators every event, organisers the ones they organise."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from app.events.models import Event, event_organisers


def can_manage(user, event: Event) -> bool:
    """Administrators manage every event; organisers only those they organise."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_admin:
        return True
    return any(o.id == user.id for o in event.organisers)


def manageable_events(user) -> sa.Select:
    """The events `user` may see in the back-office, as a query to filter further."""
    stmt = sa.select(Event)
    if not user.is_admin:
        stmt = stmt.where(
            Event.id.in_(
                sa.select(event_organisers.c.event_id).where(event_organisers.c.user_id == user.id)
            )
        )
    return stmt


def require_manage(event: Event) -> Event:
    """`event` when the signed-in person may manage it; 403 otherwise."""
    if not can_manage(current_user, event):
        abort(403)
    return event

"""Reactions to other capabilities' signals."""
from __future__ import annotations

from app.newsletter.services import subscription_from_registration
from app.registrations.signals import registration_created


@registration_created.connect
def _registration_opt_in(registration, **extra) -> None:
    """The registration form's newsletter box: same double opt-in, same transaction."""
    subscription_from_registration(registration)

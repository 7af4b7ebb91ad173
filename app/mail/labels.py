"""What each kind of e-mail is called in the back-office, in the reader's language.

Outbox rows carry a machine key (`registration.confirmed`, `reminder.day_before`);
people read these labels. An unknown key still gets a readable label, never the key.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.mail.models import OutboxStatus

KIND_LABELS = {
    "auth.password_reset": _l("Password reset"),
    "calendar": _l("Calendar update"),
    "newsletter-confirm": _l("Newsletter: confirm the sign-up"),
    "newsletter-test": _l("Newsletter: test issue"),
    "registration.confirmed": _l("Registration confirmed"),
    "registration.waitlisted": _l("On the waiting list"),
    "registration.promoted": _l("From the waiting list to confirmed"),
    "registration.cancelled": _l("Registration cancelled"),
    "registration.already_registered": _l("Already registered: the link again"),
    "registration.organiser_message": _l("Message from the organisers"),
    "reminder.day_before": _l("Reminder before the event"),
    "reminder.hour_before": _l("Reminder an hour before, with the link"),
    "reminder.recording": _l("The recording is online"),
}

STATUS_LABELS = {
    OutboxStatus.QUEUED: _l("Waiting to be sent"),
    OutboxStatus.SENDING: _l("Being sent"),
    OutboxStatus.SENT: _l("Delivered"),
    OutboxStatus.FAILED: _l("Not delivered"),
}


def kind_label(key: str) -> str:
    if key in KIND_LABELS:
        return str(KIND_LABELS[key])
    return str(_l("Other e-mail"))

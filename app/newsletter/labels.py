"""Names of the subscribers' states and of where their consent came from, for people."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.newsletter.models import IMPORTED, IMPORTED_CONFIRMED, SubscriberStatus

SUBSCRIBER_STATUSES = {
    SubscriberStatus.PENDING: _l("Waiting for confirmation"),
    SubscriberStatus.ACTIVE: _l("Subscribed"),
    SubscriberStatus.UNSUBSCRIBED: _l("Unsubscribed"),
    SubscriberStatus.BOUNCING: _l("Address not working"),
}

CONSENT_SOURCES = {
    "form": _l("newsletter page"),
    "home": _l("home page"),
    "registration": _l("event registration"),
    IMPORTED: _l("imported list"),
    IMPORTED_CONFIRMED: _l("imported list, confirmed by an administrator"),
}


def status_label(status) -> str:
    return str(SUBSCRIBER_STATUSES.get(SubscriberStatus(status), _l("Other")))


def source_label(source: str) -> str:
    return str(CONSENT_SOURCES.get(source, _l("other")))


def count_line(status: str, count: int) -> str:
    """'1 iscritto' / '3 iscritti': each state counted in words that agree with the number."""
    wording = {
        SubscriberStatus.PENDING: ngettext("%(num)d waiting for confirmation",
                                           "%(num)d waiting for confirmation", count),
        SubscriberStatus.ACTIVE: ngettext("%(num)d subscriber", "%(num)d subscribers", count),
        SubscriberStatus.UNSUBSCRIBED: ngettext("%(num)d unsubscribed", "%(num)d unsubscribed", count),
        SubscriberStatus.BOUNCING: ngettext("%(num)d address not working",
                                            "%(num)d addresses not working", count),
    }
    return wording[SubscriberStatus(status)]

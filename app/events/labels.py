"""Human labels for the enumerations, in the visitor's language."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.events.models import (
    EventFormat,
    EventKind,
    EventStatus,
    MaterialKind,
    ProjectStatus,
    SessionKind,
)

EVENT_KINDS = {
    EventKind.CONFERENCE: _l("Conference"),
    EventKind.WORKSHOP: _l("Workshop"),
    EventKind.WEBINAR: _l("Webinar"),
    EventKind.STUDY_VISIT: _l("Study visit"),
    EventKind.MISSION: _l("Mission"),
    EventKind.POLICY_EVENT: _l("Policy event"),
    EventKind.SCREENING: _l("Screening"),
    EventKind.OTHER: _l("Other"),
}
EVENT_FORMATS = {
    EventFormat.IN_PERSON: _l("In person"),
    EventFormat.ONLINE: _l("Online"),
    EventFormat.HYBRID: _l("In person and online"),
}
EVENT_STATUSES = {
    EventStatus.DRAFT: _l("Draft"),
    EventStatus.PUBLISHED: _l("Published"),
    EventStatus.CANCELLED: _l("Cancelled"),
}
SESSION_KINDS = {
    SessionKind.TALK: _l("Talk"),
    SessionKind.ROUND_TABLE: _l("Round table"),
    SessionKind.WORKSHOP: _l("Workshop"),
    SessionKind.BREAK: _l("Break"),
    SessionKind.VISIT: _l("Site visit"),
    SessionKind.B2B: _l("B2B meetings"),
}
MATERIAL_KINDS = {
    MaterialKind.RECORDING: _l("Recording"),
    MaterialKind.SLIDES: _l("Slides"),
    MaterialKind.PROGRAMME: _l("Programme"),
    MaterialKind.DOCUMENT: _l("Document"),
    MaterialKind.LINK: _l("Link"),
}
PROJECT_STATUSES = {
    ProjectStatus.PLANNED: _l("Planned"),
    ProjectStatus.ONGOING: _l("Ongoing"),
    ProjectStatus.COMPLETED: _l("Completed"),
}


def label(mapping, value) -> str:
    return str(mapping.get(value, value))


TEMPLATE_HELPERS = {
    "event_kind_label": lambda v: label(EVENT_KINDS, v),
    "event_format_label": lambda v: label(EVENT_FORMATS, v),
    "event_status_label": lambda v: label(EVENT_STATUSES, v),
    "session_kind_label": lambda v: label(SESSION_KINDS, v),
    "material_kind_label": lambda v: label(MATERIAL_KINDS, v),
    "project_status_label": lambda v: label(PROJECT_STATUSES, v),
}

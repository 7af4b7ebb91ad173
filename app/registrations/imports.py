"""Registrants from a CSV or XLSX list: people who registered on paper or by phone.

The rules: every row is checked and its problem shown before anything is written; the
rows are then registered one by one through `services.register_attendee`, so capacity,
the waiting list and the e-mails follow exactly the rules of the form. Capacity holds
unless the organiser overrides it (the import and each registration are audited with
the override). Each imported person gets the usual e-mail unless the organiser unticks
it. The preview counts seats from the counters without locking them; the import
itself takes the event's lock per row, so a seat taken in between turns the row into
a waiting-list place (or refuses the whole import when the event has no waiting list).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from app.audit import record
from app.events.models import Event, EventStatus
from app.extensions import db
from app.imports import rows
from app.imports.models import StagedImport
from app.imports.services import discard
from app.registrations import capacity, services
from app.registrations.forms import (
    MODES,
    category_choices,
    country_choices,
    normalise_email,
    plain_name,
)
from app.registrations.models import AttendanceMode, Registration, RegistrationStatus

KIND = "registrations"

# (field, label, required, header names that map to it without asking)
FIELDS: list[tuple[str, Any, bool, tuple[str, ...]]] = [
    ("first_name", _l("First name"), True, ("first name", "firstname", "nome", "given name", "name")),
    ("last_name", _l("Last name"), True, ("last name", "lastname", "cognome", "surname", "family name")),
    ("email", _l("E-mail"), True, ("email", "e-mail", "mail", "indirizzo email", "indirizzo e-mail")),
    ("organisation", _l("Organisation"), False,
     ("organisation", "organization", "organizzazione", "ente", "azienda", "company")),
    ("category", _l("Category"), False, ("category", "categoria")),
    ("country", _l("Country"), False, ("country", "paese", "nazione", "stato")),
    ("attendance_mode", _l("Attendance"), False,
     ("attendance", "mode", "modalità", "modalita", "partecipazione")),
    ("language", _l("Language"), False, ("language", "lingua")),
]
LABELS = {name: label for name, label, _required, _words in FIELDS}
LIMITS = {"first_name": 100, "last_name": 100, "organisation": 200}
MODE_WORDS = {
    AttendanceMode.IN_PERSON: {"in_person", "in person", "in presenza", "presenza", "presence", "aula"},
    AttendanceMode.ONLINE: {"online", "on line", "remoto", "remote", "webinar"},
}

# What will happen to a row.
CONFIRM = "confirmed"
WAITLIST = "waitlisted"
SKIP = "skipped"


@dataclass
class RowCheck(rows.RowCheck):
    outcome: str = SKIP
    email: str = ""
    details: services.AttendeeDetails | None = None


class ImportCheck(rows.ImportCheck):
    @property
    def confirmed(self) -> int:
        return self.count(CONFIRM)

    @property
    def waitlisted(self) -> int:
        return self.count(WAITLIST)


def guess_mapping(header: list[str]) -> dict[str, str]:
    return rows.guess_mapping(FIELDS, header)


def _lookup(value: str, choices: list[tuple[str, Any]]) -> str | None:
    """The code whose code or label is `value` (any case), "" for an empty value."""
    if not value:
        return ""
    wanted = rows.normalise_header(value)
    for code, label in choices:
        if wanted in (rows.normalise_header(code), rows.normalise_header(str(label))):
            return code
    return None


def _mode(value: str, offered: list[AttendanceMode]) -> AttendanceMode | None:
    if not value:
        return offered[0]
    wanted = rows.normalise_header(value)
    for mode in offered:
        if wanted in MODE_WORDS[mode] or wanted == rows.normalise_header(str(MODES[mode])):
            return mode
    return None


def _check_values(event: Event, values: dict[str, str]) -> tuple[list[Any], dict[str, Any]]:
    problems: list[Any] = []
    clean: dict[str, Any] = {}
    for name in ("first_name", "last_name"):
        value = values.get(name, "")
        if not value:
            problems.append(_l("%(field)s is missing.", field=LABELS[name]))
            continue
        try:
            plain_name(None, SimpleNamespace(data=value))
        except ValidationError as exc:
            problems.append(exc.args[0])
        clean[name] = value
    for name, limit in LIMITS.items():
        if len(values.get(name, "")) > limit:
            problems.append(_l("%(field)s is longer than %(limit)s characters.",
                               field=LABELS[name], limit=limit))
    try:
        clean["email"] = normalise_email(values.get("email", ""))
    except ValueError:
        problems.append(_l("“%(value)s” is not a valid e-mail address.", value=values.get("email", "")))
    clean["organisation"] = values.get("organisation", "")
    category = _lookup(values.get("category", ""), category_choices())
    if category is None:
        problems.append(_l("Unknown category “%(value)s”.", value=values["category"]))
    clean["category"] = category or ""
    country = _lookup(values.get("country", ""), country_choices())
    if country is None:
        problems.append(_l("Unknown country “%(value)s”: use a two-letter code such as IT.",
                           value=values["country"]))
    clean["country"] = (country or "").upper()
    mode = _mode(values.get("attendance_mode", ""), capacity.modes_offered(event))
    if mode is None:
        problems.append(_l("This event is not attended “%(value)s”.", value=values["attendance_mode"]))
    clean["attendance_mode"] = mode or AttendanceMode.IN_PERSON
    language = values.get("language", "").lower()[:2]
    clean["language"] = language if language in ("it", "en") else (event.language or "it")
    return problems, clean


def _already_registered(event: Event, emails: list[str]) -> set[str]:
    if not emails:
        return set()
    return set(db.session.scalars(
        sa.select(Registration.email).where(
            Registration.event_id == event.id, Registration.email.in_(emails),
            Registration.status != RegistrationStatus.CANCELLED,
            Registration.anonymised_at.is_(None),
        )
    ))


def check_rows(event: Event, staged: StagedImport, mapping: dict[str, str], *,
               override: bool = False) -> ImportCheck:
    """What importing would do with each row, and why a row would be refused.

    Reads only: seats are counted from the counters without taking the lock.
    """
    part_ids = [p.id for p in event.registrable_parts]
    checks: list[RowCheck] = []
    for number, values in rows.mapped_rows(staged, mapping):
        problems, clean = _check_values(event, values)
        if event.status == EventStatus.CANCELLED:
            problems.append(services.CLOSED_MESSAGES["cancelled"])
        check = RowCheck(number, values, problems, email=clean.get("email", ""))
        if not problems:
            check.details = services.AttendeeDetails(
                first_name=clean["first_name"], last_name=clean["last_name"], email=clean["email"],
                organisation=clean["organisation"], category=clean["category"],
                country=clean["country"], attendance_mode=clean["attendance_mode"],
                part_ids=part_ids, language=clean["language"],
            )
        checks.append(check)
    seen = rows.first_seen(checks, "email")
    registered = _already_registered(event, list(seen))
    used = capacity.read_used(event)
    for check in checks:
        if not check.ok:
            continue
        if check.details.email in registered:
            check.problems.append(_l("Already registered for this event."))
            continue
        keys = capacity.keys_for(check.details.attendance_mode, part_ids)
        fits = all(
            (cap := capacity.capacity_of(event, k)) is None or used.get(k, 0) < cap for k in keys
        )
        if fits or override:
            check.outcome = CONFIRM
            for k in keys:
                used[k] = used.get(k, 0) + 1
        elif event.waitlist_enabled:
            check.outcome = WAITLIST
        else:
            full = [k for k in keys if (cap := capacity.capacity_of(event, k)) is not None
                    and used.get(k, 0) >= cap]
            check.problems.append(services.full_message(full, event))
    return ImportCheck(checks)


@dataclass
class ImportResult:
    confirmed: int = 0
    waitlisted: int = 0
    refused: int = 0
    registration_ids: list[int] = field(default_factory=list)


def import_registrations(event: Event, staged: StagedImport, mapping: dict[str, str], *,
                         by: Any, override: bool = False, send_emails: bool = True) -> ImportResult:
    """Register every valid row through `register_attendee`; the staged file is deleted.

    Raises the registration's `RegistrationError` when a row cannot be registered any
    more (e.g. the event filled meanwhile and has no waiting list): the caller rolls back
    and nothing of the import is written.
    """
    check = check_rows(event, staged, mapping, override=override)
    result = ImportResult(refused=check.refused)
    for row in check.importable:
        outcome = services.register_attendee(event, row.details, by=by, override=override,
                                             notify=send_emails)
        reg = outcome.registration
        result.registration_ids.append(reg.id)
        if reg.is_confirmed:
            result.confirmed += 1
        else:
            result.waitlisted += 1
    record("registration.import", event, user=by, summary=staged.filename,
           confirmed=result.confirmed, waitlisted=result.waitlisted, refused=result.refused,
           override=bool(override), emails=bool(send_emails))
    discard(staged)
    return result



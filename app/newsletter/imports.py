"""Subscribers from another list (CSV or XLSX), each with the consent they gave.

The rules: a row without a stated consent source ("paper form, Mestre workshop
17/01/2022") is refused; the source is kept on the subscriber as evidence. Imported
addresses get the double opt-in like the sign-up form and become subscribers only when
they confirm. An administrator may import them as already confirmed, stating why
(recorded in the audit log). An address that left is never subscribed again by an
import. Only administrators see which addresses are already subscribers: for anyone
else every valid row reads "invited" and the import leaves existing subscribers alone.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.audit import record
from app.db import utcnow
from app.extensions import db
from app.i18n import SUPPORTED
from app.imports import rows
from app.imports.models import StagedImport
from app.imports.services import discard
from app.newsletter.models import (
    IMPORTED,
    IMPORTED_CONFIRMED,
    Subscriber,
    SubscriberStatus,
    topic_codes,
)
from app.newsletter.services import NewsletterError, new_token, request_subscription
from app.registrations.forms import normalise_email

KIND = "subscribers"
NOTE_MAX = 500

# (field, label, required, header names that map to it without asking)
FIELDS: list[tuple[str, Any, bool, tuple[str, ...]]] = [
    ("email", _l("E-mail"), True, ("email", "e-mail", "mail", "indirizzo email", "indirizzo e-mail")),
    ("name", _l("Name"), False, ("name", "nome", "nome e cognome", "full name")),
    ("language", _l("Language"), False, ("language", "lingua")),
    ("consent_source", _l("Consent source"), True,
     ("consent", "consent source", "consenso", "fonte del consenso", "origine del consenso", "source")),
]

INVITE = "invite"
CONFIRM = "confirm"


class SubscriberImportError(NewsletterError):
    """An import the person may not make, or without what it needs."""


@dataclass
class RowCheck(rows.RowCheck):
    outcome: str = INVITE
    email: str = ""


def guess_mapping(header: list[str]) -> dict[str, str]:
    return rows.guess_mapping(FIELDS, header)


def check_rows(staged: StagedImport, mapping: dict[str, str], *, confirmed: bool = False,
               reveal: bool = False) -> rows.ImportCheck:
    """What importing would do with each row, and why a row is refused.

    `reveal` (administrators) also refuses, by name, addresses already subscribed or
    unsubscribed; otherwise they are left alone silently at import.
    """
    checks: list[RowCheck] = []
    for number, values in rows.mapped_rows(staged, mapping):
        check = RowCheck(number, values, outcome=CONFIRM if confirmed else INVITE)
        try:
            check.email = normalise_email(values.get("email", ""))
        except ValueError:
            check.problems.append(_l("“%(value)s” is not a valid e-mail address.", value=values.get("email", "")))
        if not values.get("consent_source"):
            check.problems.append(_l("No consent source: say where and when this person agreed."))
        elif len(values["consent_source"]) > NOTE_MAX:
            check.problems.append(_l("The consent source is longer than %(limit)s characters.", limit=NOTE_MAX))
        if len(values.get("name", "")) > 200:
            check.problems.append(_l("The name is longer than 200 characters."))
        checks.append(check)
    seen = rows.first_seen(checks, "email")
    if reveal and seen:
        known = dict(db.session.execute(
            sa.select(Subscriber.email, Subscriber.status).where(Subscriber.email.in_(list(seen)))
        ).all())
        for check in checks:
            status = known.get(check.email)
            if not check.ok or status is None:
                continue
            if status == SubscriberStatus.UNSUBSCRIBED:
                check.problems.append(_l("This address unsubscribed: it is not subscribed again by an import."))
            elif status == SubscriberStatus.ACTIVE:
                check.problems.append(_l("Already a subscriber."))
    return rows.ImportCheck(checks)


@dataclass
class ImportResult:
    invited: int = 0
    confirmed: int = 0
    left_alone: int = 0
    refused: int = 0


def import_subscribers(staged: StagedImport, mapping: dict[str, str], *, by: Any,
                       confirmed: bool = False, reason: str = "",
                       now: datetime | None = None) -> ImportResult:
    """Invite (double opt-in) or, for an administrator with a reason, subscribe every valid row."""
    now = now or utcnow()
    reason = reason.strip()
    if confirmed and not getattr(by, "is_admin", False):
        raise SubscriberImportError(_l("Only an administrator may import addresses as confirmed."),
                                    field="confirmed")
    if confirmed and not reason:
        raise SubscriberImportError(_l("Say why these addresses need no confirmation e-mail."),
                                    field="reason")
    check = check_rows(staged, mapping, confirmed=confirmed, reveal=True)
    result = ImportResult(refused=check.refused)
    existing = {s.email: s for s in db.session.scalars(
        sa.select(Subscriber).where(Subscriber.email.in_([r.email for r in check.importable])))}
    version = current_app.config["PRIVACY_TEXT_VERSION"]
    for row in check.importable:
        language = row.values.get("language", "").lower()[:2]
        language = language if language in SUPPORTED else "it"
        name = row.values.get("name", "")
        if confirmed:
            subscriber = existing.get(row.email) or Subscriber(email=row.email, token=new_token())
            db.session.add(subscriber)
            subscriber.name = name[:200] or subscriber.name
            subscriber.language = language
            if not subscriber.topic_rows:
                subscriber.set_topics(topic_codes(current_app.config))
            subscriber.status = SubscriberStatus.ACTIVE
            subscriber.confirm_token = None
            subscriber.confirm_expires_at = None
            subscriber.consent_at = now
            subscriber.consent_version = version
            subscriber.confirmed_at = now
            subscriber.consent_source = IMPORTED_CONFIRMED
            result.confirmed += 1
        else:
            subscriber = request_subscription(row.email, name=name, language=language,
                                              consent_version=version, source=IMPORTED, now=now)
            if subscriber is None:
                result.left_alone += 1
                continue
            result.invited += 1
        subscriber.consent_note = row.values["consent_source"][:NOTE_MAX]
    db.session.flush()
    record("newsletter.import", None, user=by, summary=staged.filename,
           invited=result.invited, confirmed=result.confirmed, refused=result.refused,
           reason=reason or None)
    discard(staged)
    return result

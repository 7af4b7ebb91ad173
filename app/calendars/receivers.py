"""Registrants' calendars follow the event: an updated REQUEST or a CANCEL when it changes."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import force_locale
from flask_babel import gettext as _

from app.calendars import ical
from app.calendars.invites import invite_attachments, snapshot
from app.calendars.models import CalendarFeedToken, CalendarInvite, ensure_feed_token, forget_seen
from app.events.models import Event, Venue
from app.events.signals import event_cancelled, event_updated
from app.extensions import db
from app.i18n import format_event_when, format_short_day, format_time_range
from app.mail.outbox import queue_email
from app.registrations.models import Registration, RegistrationStatus
from app.registrations.signals import (
    invite_wanted,
    registration_anonymised,
    registration_preparing,
)

# Changes that move what a registrant's calendar shows.
SCHEDULE_FIELDS = frozenset({"starts_at", "ends_at", "timezone", "venue_id", "format", "sessions"})


def _confirmed(event: Event) -> list[Registration]:
    stmt = (
        sa.select(Registration)
        .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.CONFIRMED)
        .options(so.selectinload(Registration.parts))
        .order_by(Registration.id)
    )
    return list(db.session.scalars(stmt))


def _sent(registrations: list[Registration]) -> dict[int, CalendarInvite]:
    ids = [r.id for r in registrations]
    if not ids:
        return {}
    rows = db.session.scalars(sa.select(CalendarInvite).where(CalendarInvite.registration_id.in_(ids)))
    return {row.registration_id: row for row in rows}


def _when(times: list[list[str]], tz: str, lang: str) -> str:
    spans = [(datetime.fromisoformat(s), datetime.fromisoformat(e)) for _uid, s, e in times]
    if len(spans) == 1:
        return format_event_when(spans[0][0], spans[0][1], tz, lang)
    return "; ".join(
        f"{format_short_day(s, tz, lang)} {format_time_range(s, e, tz, lang)}" for s, e in spans
    )


def _guess_previous(now: dict[str, Any], event: Event, changes: dict[str, tuple], registration) -> dict[str, Any] | None:
    """Without a recorded invite, rebuild what the calendar said from the change's old values."""
    prev = dict(now)
    if "sessions" in changes and (registration.parts or event.registrable_parts):
        return None  # a part may have moved; what it was is unknown
    times = [list(t) for t in now["times"]]
    if len(times) == 1 and ({"starts_at", "ends_at"} & changes.keys()):
        if "starts_at" in changes:
            times[0][1] = changes["starts_at"][0].isoformat()
        if "ends_at" in changes:
            times[0][2] = changes["ends_at"][0].isoformat()
    prev["times"] = times
    if "timezone" in changes:
        prev["timezone"] = changes["timezone"][0]
    if "venue_id" in changes or "format" in changes:
        old_venue = db.session.get(Venue, changes["venue_id"][0]) if changes.get("venue_id", (None,))[0] else None
        prev["venue_id"] = changes.get("venue_id", (now["venue_id"],))[0]
        prev["format"] = str(changes.get("format", (now["format"],))[0])
        prev["location"] = old_venue.one_line if old_venue else (
            _("Online") if prev["format"] == "online" else now["location"])
    return prev


def describe_changes(prev: dict[str, Any] | None, now: dict[str, Any], lang: str) -> list[dict[str, str]]:
    """[{"what": "when"|"where", "before": ..., "after": ...}] in the registrant's language."""
    after_when = _when(now["times"], now["timezone"], lang)
    if prev is None:
        return [{"what": "when", "before": "", "after": after_when},
                {"what": "where", "before": "", "after": now["location"]}]
    lines = []
    before_when = _when(prev["times"], prev["timezone"], lang)
    if prev["times"] != now["times"] or prev["timezone"] != now["timezone"]:
        lines.append({"what": "when", "before": before_when if before_when != after_when else "",
                      "after": after_when})
    if (prev.get("venue_id"), prev.get("format"), prev.get("location")) != (
        now["venue_id"], now["format"], now["location"]
    ):
        lines.append({"what": "where", "before": prev.get("location", ""), "after": now["location"]})
    return lines


def notify_schedule_change(event: Event, changes: dict[str, tuple]) -> int:
    """Queue one updated invite per confirmed registrant whose calendar entry changed."""
    registrations = _confirmed(event)
    sent = _sent(registrations)
    queued = 0
    for registration in registrations:
        lang = registration.language or "it"
        now = snapshot(registration)
        row = sent.get(registration.id)
        with force_locale(lang):
            if row is not None and row.method == "REQUEST" and row.snapshot:
                prev = row.snapshot
            else:
                prev = _guess_previous(now, event, changes, registration)
            lines = describe_changes(prev, now, lang)
        if not lines:
            continue
        queue_email(
            registration.email,
            "calendars/event_changed",
            category="calendar",
            language=lang,
            context={"registration": registration, "event": event, "changes": lines,
                     "event_url": ical.event_url(event),
                     "attendee_url": ical.attendee_url(registration.token)},
            attachments=invite_attachments(registration, "REQUEST", changed=True),
            event_id=event.id,
            registration_id=registration.id,
        )
        queued += 1
    return queued


def notify_cancellation(event: Event) -> int:
    """Queue a CANCEL and a notice to every confirmed registrant (once per cancellation)."""
    registrations = _confirmed(event)
    sent = _sent(registrations)
    queued = 0
    for registration in registrations:
        row = sent.get(registration.id)
        if row is not None and row.method == "CANCEL" and row.sequence >= (event.sequence or 0):
            continue
        queue_email(
            registration.email,
            "calendars/event_cancelled",
            category="calendar",
            language=registration.language or "it",
            context={"registration": registration, "event": event,
                     "event_url": ical.event_url(event)},
            attachments=invite_attachments(registration, "CANCEL"),
            event_id=event.id,
            registration_id=registration.id,
        )
        queued += 1
    return queued


@event_updated.connect
def _event_updated(event: Event, changes: dict[str, tuple] | None = None, **_kwargs: Any) -> None:
    if not changes or not (SCHEDULE_FIELDS & changes.keys()):
        return
    if not event.is_published:  # drafts have no registrants' calendars; cancellations CANCEL
        return
    notify_schedule_change(event, changes)


@event_cancelled.connect
def _event_cancelled(event: Event, **_kwargs: Any) -> None:
    notify_cancellation(event)


@registration_preparing.connect
def _give_the_address_a_feed(registration: Registration, **_: Any) -> None:
    """Every address that registers gets its personal feed token in the same transaction,
    so the confirmation e-mail and the attendee page only ever read it (an upsert that
    does not depend on the seat)."""
    ensure_feed_token(registration.email)


@invite_wanted.connect
def _attach_invite(registration: Registration, method: str = "REQUEST",
                   records: list[Any] | None = None, **_: Any) -> list[dict[str, Any]]:
    """A registration's confirmation, promotion or cancellation e-mail carries the invite."""
    return invite_attachments(registration, method, records=records)


@registration_anonymised.connect
def _forget_the_address(registration: Registration, email: str = "",
                        address_still_live: bool = False, **_: Any) -> None:
    """An erased registration keeps no invite snapshot; the address's feed token goes
    once no live registration of the address remains (the row holds the address)."""
    db.session.execute(sa.delete(CalendarInvite).where(CalendarInvite.registration_id == registration.id)
                       .execution_options(synchronize_session=False))
    if email and not address_still_live:
        forget_seen(email)
        db.session.execute(sa.delete(CalendarFeedToken).where(CalendarFeedToken.email == email)
                           .execution_options(synchronize_session=False))

"""Registering, queueing, promoting, cancelling, checking in and forgetting attendees.

Functions here flush but never commit: the caller (a view, a CLI command or a job)
owns the transaction, so the registration, its counters, its outbox e-mails and its
signals' side effects are committed or rolled back together.
"""
from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort, current_app
from flask_babel import lazy_gettext as _l

from app.audit import record
from app.db import utcnow
from app.errors import DomainError
from app.events.models import Event, EventStatus, Session
from app.extensions import db
from app.mail.cooldown import may_send
from app.mail.outbox import add_email, render_email
from app.registrations import capacity, online, signals
from app.registrations.capacity import Counters, confirmed_keys, lock_counters
from app.registrations.erasure import forget_traces
from app.registrations.models import (
    Attendance,
    AttendanceMode,
    Question,
    QuestionKind,
    Registration,
    RegistrationStatus,
    WaitlistPlace,
    registration_parts,
)

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


# --- domain errors ---------------------------------------------------------------


class RegistrationError(DomainError):
    """A registration change that cannot be made; `message` is shown to the person."""


class RegistrationClosed(RegistrationError):
    def __init__(self, state: str) -> None:
        super().__init__(CLOSED_MESSAGES.get(state, CLOSED_MESSAGES[capacity.CLOSED]))
        self.state = state


class EventFull(RegistrationError):
    def __init__(self, keys: list[str], event: Event) -> None:
        super().__init__(full_message(keys, event), field=_field_for(keys))
        self.keys = keys


class InvalidRegistration(RegistrationError):
    pass


class WrongStatus(RegistrationError):
    pass


CLOSED_MESSAGES = {
    capacity.NOT_YET_OPEN: _l("Registration for this event is not open yet."),
    capacity.CLOSED: _l("Registration for this event is closed."),
    capacity.EXTERNAL: _l("Registration for this event is handled on another site."),
    capacity.NOT_REQUIRED: _l("This event needs no registration."),
    capacity.UNAVAILABLE: _l("This event no longer takes registrations."),
    "cancelled": _l("This event has been cancelled."),
    capacity.FULL: _l("The event is full."),
}


def full_message(keys: list[str], event: Event) -> Any:
    if capacity.EVENT in keys:
        return _l("The event is full.")
    for key in keys:
        if key == capacity.mode_key(AttendanceMode.IN_PERSON):
            return _l("There are no seats left in presence.")
        if key == capacity.mode_key(AttendanceMode.ONLINE):
            return _l("There are no places left online.")
    names = [p.title for p in event.registrable_parts if capacity.part_key(p.id) in keys]
    if names:
        return _l("No seats left for: %(parts)s.", parts=", ".join(names))
    in_room = [p.title for p in event.registrable_parts
               if capacity.cell_key(p.id, AttendanceMode.IN_PERSON) in keys]
    if in_room:
        return _l("No seats left in presence for: %(parts)s.", parts=", ".join(in_room))
    online = [p.title for p in event.registrable_parts
              if capacity.cell_key(p.id, AttendanceMode.ONLINE) in keys]
    return _l("No places left online for: %(parts)s.", parts=", ".join(online))


def _field_for(keys: list[str]) -> str | None:
    if capacity.EVENT in keys:
        return None
    if any(k.startswith("mode:") for k in keys):
        return "attendance_mode"
    return "parts"


# --- values in -------------------------------------------------------------------


@dataclass
class AttendeeDetails:
    """What a person (or an organiser on their behalf) tells us; already validated in form."""

    first_name: str
    last_name: str
    email: str
    organisation: str = ""
    category: str = ""
    country: str = ""
    attendance_mode: AttendanceMode = AttendanceMode.IN_PERSON
    part_ids: list[int] = field(default_factory=list)
    needs: str = ""
    consent: bool = False
    newsletter_opt_in: bool = False
    answers: dict[str, Any] = field(default_factory=dict)
    # The wording of each answered question as the person saw it ({question id: label}).
    answer_labels: dict[str, str] = field(default_factory=dict)
    language: str = "it"


@dataclass
class RegistrationOutcome:
    registration: Registration
    created: bool


# --- look-ups ----------------------------------------------------------------------


def new_token() -> str:
    # 32 bytes = 256 bits of randomness; the only key to the attendee's page.
    return secrets.token_urlsafe(32)


def find_by_token(token: str) -> Registration | None:
    """The registration whose private-page token this is."""
    return _by_secret(Registration.token, token)


def find_by_checkin_token(token: str) -> Registration | None:
    """The registration whose door code this is; its private-page token does not match."""
    return _by_secret(Registration.checkin_token, token)


def _by_secret(column: so.InstrumentedAttribute[str], token: str) -> Registration | None:
    """Look a token up in its own column, then compare it in constant time (the index
    lookup alone would answer faster for a nearer miss)."""
    if not token or not TOKEN_RE.match(token):
        return None
    reg = db.session.scalar(sa.select(Registration).where(column == token))
    if reg is None or not hmac.compare_digest(getattr(reg, column.key).encode(), token.encode()):
        return None
    return reg


def find_by_token_or_404(token: str) -> Registration:
    """For the views behind a private link: an unknown or altered token is a 404,
    like `db.get_or_404`."""
    reg = find_by_token(token)
    if reg is None:
        abort(404)
    return reg


def live_registration(event_id: int, email: str) -> Registration | None:
    return db.session.scalar(
        sa.select(Registration)
        .where(
            Registration.event_id == event_id,
            Registration.email == email,
            Registration.status != RegistrationStatus.CANCELLED,
            Registration.anonymised_at.is_(None),
        )
        .limit(1)
    )


def attendee_url(registration: Registration) -> str:
    # A stable public URL (printed in e-mails and QR codes), built without a request.
    return f"{current_app.config['BASE_URL']}/registrations/{registration.token}/"


def checkin_url(registration: Registration) -> str:
    return f"{current_app.config['BASE_URL']}/admin/checkin/{registration.checkin_token}"


# --- registering -------------------------------------------------------------------


def check_window(event: Event, now: datetime | None = None) -> None:
    """Raise RegistrationClosed unless the event takes registrations at `now`."""
    if event.status == EventStatus.CANCELLED:
        raise RegistrationClosed("cancelled")
    state = capacity.window_state(event, now)
    if state is not None:
        raise RegistrationClosed(state)


def _validate(event: Event, details: AttendeeDetails, *, public: bool,
              now: datetime | None = None) -> list[Session]:
    if details.attendance_mode not in capacity.modes_offered(event):
        raise InvalidRegistration(
            _l("Choose how you will attend."), field="attendance_mode"
        )
    parts_by_id = {p.id: p for p in event.registrable_parts}
    chosen = [parts_by_id[i] for i in dict.fromkeys(details.part_ids) if i in parts_by_id]
    if len(chosen) != len(set(details.part_ids)):
        raise InvalidRegistration(_l("Choose among the parts listed."), field="parts")
    if parts_by_id and not chosen:
        raise InvalidRegistration(_l("Choose at least one part."), field="parts")
    if public:
        # Each part closes at its own time, so day 2 stays open while day 1 runs.
        closed = [p for p in chosen if not p.is_open_for_registration(now)]
        if closed:
            raise InvalidRegistration(
                _l("Registration has closed for: %(parts)s.", parts=", ".join(p.title for p in closed)),
                field="parts",
            )
    if public and not details.consent:
        raise InvalidRegistration(
            _l("Please accept the privacy notice to register."), field="privacy_consent"
        )
    return chosen


# A waiting-list position not known until the seat is decided: the e-mail prepared
# before the lock carries this number, replaced by the real position under the lock.
_POSITION_MARK = 987_654_319


@dataclass
class _PreparedMail:
    """A registration's e-mail rendered before its event's lock, for one outcome."""

    status: RegistrationStatus
    message: Any  # an OutboxMessage not yet in the session
    records: list[Any] = field(default_factory=list)  # e.g. the invite record, unsaved


def _prepare_mail(reg: Registration, status: RegistrationStatus) -> _PreparedMail:
    """Render the e-mail `reg` gets if it ends up `status`, touching nothing shared."""
    reg.status = status
    reg.waitlist_position = _POSITION_MARK if status == RegistrationStatus.WAITLISTED else None
    records: list[Any] = []
    template = "confirmed" if status == RegistrationStatus.CONFIRMED else "waitlisted"
    message = _render(reg, template, records=records)
    return _PreparedMail(status, message, records)


def _queue_prepared(prepared: _PreparedMail, reg: Registration, position: int | None) -> None:
    """Put the e-mail rendered before the lock in the outbox, with the real queue place."""
    message = prepared.message
    message.registration_id = reg.id
    if position is not None:
        mark, real = str(_POSITION_MARK), str(position)
        message.subject = message.subject.replace(mark, real)
        message.body_text = message.body_text.replace(mark, real)
        message.body_html = message.body_html.replace(mark, real)
    add_email(message)
    for row in prepared.records:
        row.registration_id = reg.id
        db.session.add(row)


def _likely_status(event: Event, details: AttendeeDetails, parts: list[Session],
                   availability: capacity.Availability | None) -> RegistrationStatus:
    """The outcome the form's (unlocked) reading of the seats predicts."""
    if availability is None or not event.waitlist_enabled:
        return RegistrationStatus.CONFIRMED
    part_ids: list[int | None] = [p.id for p in parts] or [None]
    if any(availability.choice_full(details.attendance_mode, pid) for pid in part_ids):
        return RegistrationStatus.WAITLISTED
    return RegistrationStatus.CONFIRMED


def register_attendee(
    event: Event,
    details: AttendeeDetails,
    *,
    now: datetime | None = None,
    by: Any = None,
    override: bool = False,
    availability: capacity.Availability | None = None,
    notify: bool = True,
) -> RegistrationOutcome:
    """Confirm a seat, or queue on the waiting list, atomically; never overbooks.

    `by` is the organiser adding someone by hand: the registration window does not
    apply, and `override=True` lets them confirm beyond capacity. `availability`,
    what the form showed, predicts the outcome so its e-mail is rendered before the
    lock (a wrong guess renders again under it, only at the moment the seats run out).
    `notify=False` (an organiser's import with the e-mails unticked) queues no e-mail.

    The event's lock is held only from the seat decision to the commit: the person's
    registration, its e-mail and invite, and whatever other capabilities prepare on
    `registration_preparing` are made before it; under it come the duplicate check,
    the counters and the inserts.
    """
    now = now or utcnow()
    if by is None:
        check_window(event, now)
    parts = _validate(event, details, public=by is None, now=now)

    reg = Registration(
        event=event,
        token=new_token(),
        email=details.email,
        first_name=details.first_name,
        last_name=details.last_name,
        organisation=details.organisation,
        category=details.category,
        country=details.country,
        attendance_mode=details.attendance_mode,
        language=details.language,
        needs=details.needs,
        consent_version=current_app.config["PRIVACY_TEXT_VERSION"] if details.consent else "",
        consent_at=now if details.consent else None,
        newsletter_opt_in=details.newsletter_opt_in,
        answers=dict(details.answers),
        answer_labels={k: v for k, v in details.answer_labels.items() if k in details.answers},
        parts=parts,
    )
    keys = capacity.keys_for(details.attendance_mode, [p.id for p in parts])
    # SQLite takes its one lock, the whole database's, at a transaction's first write,
    # which must be the counters': there the preparation runs under it.
    early = capacity.locks_rows()
    if not early:
        counters = lock_counters(event, reset_timeout=False)
    signals.registration_preparing.send(reg)
    prepared = (_prepare_mail(reg, _likely_status(event, details, parts, availability))
                if notify else None)

    # The locked section: from here to the caller's commit.
    if early:
        counters = lock_counters(event, reset_timeout=False)
    existing = live_registration(event.id, details.email)
    if existing is not None:
        # Typing someone's address again and again must not flood their mailbox: one
        # reminder of the private link per cool-down; the visitor's answer is the same.
        if notify and may_send(existing.email, f"registration.already_registered:{event.id}"):
            _queue(existing, "already_registered")
        return RegistrationOutcome(existing, created=False)

    if counters.fits(keys) or override:
        status, position = RegistrationStatus.CONFIRMED, None
        counters.take(keys)
    elif event.waitlist_enabled:
        status, position = RegistrationStatus.WAITLISTED, counters.next_position()
    else:
        raise EventFull(counters.full_keys(keys), event)
    if prepared is not None and prepared.status != status:
        prepared = _prepare_mail(reg, status)
    reg.status, reg.waitlist_position = status, position
    db.session.add(reg)
    capacity.sync_page_state(counters)
    db.session.flush()
    if reg.is_waitlisted:
        _join_cells(reg, counters)
    signals.registration_created.send(reg, new=True)
    if prepared is not None:
        _queue_prepared(prepared, reg, position)
    if by is not None:
        record("registration.add", reg, user=by, summary=reg.full_name,
               override=bool(override) or None)
    db.session.flush()
    return RegistrationOutcome(reg, created=True)


# --- leaving and promoting ---------------------------------------------------------


def _join_cells(reg: Registration, counters: Counters) -> None:
    """Queue for every seat the registration wants, at the end of each cell's queue."""
    for cell in capacity.cells_for(reg.attendance_mode, [p.id for p in reg.parts]):
        db.session.add(WaitlistPlace(registration_id=reg.id, cell=cell, event_id=reg.event_id,
                                     position=counters.next_cell_position(cell)))
    db.session.flush()


def _leave_cells(reg: Registration, counters: Counters) -> None:
    """Leave every cell queue; those behind move up one place."""
    places = list(db.session.scalars(
        sa.select(WaitlistPlace).where(WaitlistPlace.registration_id == reg.id)
    ))
    for place in places:
        counters.leave_cell(place.cell)
        db.session.delete(place)
    db.session.flush()
    for place in places:
        db.session.execute(
            sa.update(WaitlistPlace)
            .where(WaitlistPlace.event_id == reg.event_id, WaitlistPlace.cell == place.cell,
                   WaitlistPlace.position > place.position)
            .values(position=WaitlistPlace.position - 1)
            .execution_options(synchronize_session="fetch")
        )


def waitlist_places(reg: Registration) -> list[tuple[Session | None, AttendanceMode, int]]:
    """(part or None, mode, position) of each queue the registration stands in."""
    parts = {p.id: p for p in reg.event.registrable_parts}
    out = []
    for place in db.session.scalars(
        sa.select(WaitlistPlace).where(WaitlistPlace.registration_id == reg.id)
        .order_by(WaitlistPlace.cell)
    ):
        bits = place.cell.split(":")
        if bits[0] == "cell":
            out.append((parts.get(int(bits[1])), AttendanceMode(bits[2]), place.position))
        else:
            out.append((None, AttendanceMode(bits[1]), place.position))
    out.sort(key=lambda t: (t[0].starts_at if t[0] else reg.event.starts_at, t[1].value))
    return out


def _leave_queue(reg: Registration, counters: Counters) -> None:
    _leave_cells(reg, counters)
    position = reg.waitlist_position
    reg.waitlist_position = None
    counters.leave_queue()
    if position is not None:
        db.session.flush()
        db.session.execute(
            sa.update(Registration)
            .where(
                Registration.event_id == reg.event_id,
                Registration.status == RegistrationStatus.WAITLISTED,
                Registration.waitlist_position > position,
            )
            .values(waitlist_position=Registration.waitlist_position - 1)
            .execution_options(synchronize_session="fetch")
        )


def _lock_and_refresh(reg: Registration) -> Counters:
    counters = lock_counters(reg.event)
    # Re-read under the lock: another worker may have changed it meanwhile.
    db.session.refresh(reg)
    return counters


def cancel_registration(reg: Registration, *, by: Any = None, notify: bool = True) -> list[Registration]:
    """Cancel a confirmed or waiting registration; returns those promoted into the seat."""
    counters = _lock_and_refresh(reg)
    if reg.is_cancelled:
        raise WrongStatus(_l("This registration is already cancelled."))
    if reg.is_confirmed:
        counters.release(confirmed_keys(reg))
    else:
        _leave_queue(reg, counters)
    reg.status = RegistrationStatus.CANCELLED
    reg.cancelled_at = utcnow()
    db.session.flush()
    signals.registration_cancelled.send(reg, by=by)
    if by is not None:
        record("registration.cancel", reg, user=by, summary=reg.full_name)
    if notify:
        _queue(reg, "cancelled")
    promoted = promote_from_waitlist(counters)
    capacity.sync_page_state(counters)
    return promoted


def promote_from_waitlist(counters: Counters) -> list[Registration]:
    """Confirm the first people on the waiting list whose choice now fits, in order.

    The caller holds the event's lock (`counters`). Remaining positions are
    renumbered 1..n so what each person is shown stays right.
    """
    if counters.waiting == 0:
        return []
    event = counters.event
    waiting = list(
        db.session.scalars(
            sa.select(Registration)
            .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.WAITLISTED)
            .order_by(Registration.waitlist_position, Registration.id)
            .options(so.selectinload(Registration.parts))
            .execution_options(populate_existing=True)
        )
    )
    promoted: list[Registration] = []
    for reg in waiting:
        if counters.left(capacity.EVENT) == 0:
            break
        # Queue order decides; a seat goes only to someone who wanted exactly it
        # (every one of their cells must have a seat, none borrowed from another day).
        keys = confirmed_keys(reg)
        if counters.fits(keys):
            counters.take(keys)
            counters.leave_queue()
            reg.status = RegistrationStatus.CONFIRMED
            reg.waitlist_position = None
            promoted.append(reg)
    _renumber(waiting)
    db.session.flush()
    if promoted:
        _renumber_cells(counters, {r.id for r in promoted})
    for reg in promoted:
        signals.registration_promoted.send(reg)
        _queue(reg, "promoted")
    return promoted


def _renumber_cells(counters: Counters, gone: set[int]) -> None:
    """Drop the places of those who left the queue and number each cell 1..n again."""
    event_id = counters.event.id
    db.session.execute(
        sa.delete(WaitlistPlace).where(WaitlistPlace.registration_id.in_(gone))
        .execution_options(synchronize_session="fetch")
    )
    places = list(db.session.scalars(
        sa.select(WaitlistPlace).where(WaitlistPlace.event_id == event_id)
        .order_by(WaitlistPlace.cell, WaitlistPlace.position, WaitlistPlace.registration_id)
        .execution_options(populate_existing=True)
    ))
    counts: dict[str, int] = {}
    for place in places:
        counts[place.cell] = counts.get(place.cell, 0) + 1
        if place.position != counts[place.cell]:
            place.position = counts[place.cell]
    for cell in capacity.cells_of(counters.event):
        row = counters.rows.get(capacity.wait_key(cell))
        if row is not None:
            row.used = counts.get(cell, 0)
    db.session.flush()


def _renumber(waiting: list[Registration]) -> None:
    position = 0
    for reg in waiting:
        if reg.status == RegistrationStatus.WAITLISTED:
            position += 1
            if reg.waitlist_position != position:
                reg.waitlist_position = position


def promote_registration(reg: Registration, *, by: Any = None, override: bool = False) -> None:
    """An organiser confirms one person from the waiting list by hand."""
    counters = _lock_and_refresh(reg)
    if not reg.is_waitlisted:
        raise WrongStatus(_l("Only people on the waiting list can be promoted."))
    keys = confirmed_keys(reg)
    if not counters.fits(keys) and not override:
        raise EventFull(counters.full_keys(keys), reg.event)
    counters.take(keys)
    _leave_queue(reg, counters)
    reg.status = RegistrationStatus.CONFIRMED
    capacity.sync_page_state(counters)
    db.session.flush()
    signals.registration_promoted.send(reg, by=by)
    _queue(reg, "promoted")
    record("registration.promote", reg, user=by, summary=reg.full_name)


def capacity_changed(event: Event) -> list[Registration]:
    """After an organiser changed a capacity: fill new seats from the waiting list."""
    counters = lock_counters(event)
    promoted: list[Registration] = []
    if event.status == EventStatus.PUBLISHED and not event.is_past():
        promoted = promote_from_waitlist(counters)
    capacity.sync_page_state(counters)
    return promoted


def update_registration(reg: Registration, details: AttendeeDetails, *, by: Any = None,
                        override: bool = False) -> None:
    """An organiser corrects a registration; a new mode or parts must still fit."""
    event = reg.event
    counters = _lock_and_refresh(reg)
    parts = _validate(event, details, public=False)
    old_cells = capacity.cells_for(reg.attendance_mode, [p.id for p in reg.parts])
    if details.email != reg.email:
        other = live_registration(event.id, details.email)
        if other is not None and other.id != reg.id:
            raise InvalidRegistration(_l("Another registration uses this e-mail address."), field="email")
    old_keys = confirmed_keys(reg)
    new_keys = capacity.keys_for(details.attendance_mode, [p.id for p in parts])
    if reg.is_confirmed and old_keys != new_keys:
        counters.release(old_keys)
        if not counters.fits(new_keys) and not override:
            counters.take(old_keys)
            raise EventFull(counters.full_keys(new_keys), event)
        counters.take(new_keys)
    for name in ("first_name", "last_name", "email", "organisation", "category", "country",
                 "attendance_mode", "needs"):
        setattr(reg, name, getattr(details, name))
    reg.answer_labels = _kept_labels(reg, details)
    reg.answers = dict(details.answers)
    reg.parts = parts
    db.session.flush()
    if reg.is_waitlisted and old_cells != capacity.cells_for(reg.attendance_mode, [p.id for p in parts]):
        _leave_cells(reg, counters)
        _join_cells(reg, counters)
    promote_from_waitlist(counters)
    capacity.sync_page_state(counters)
    record("registration.edit", reg, user=by, summary=reg.full_name)


# --- questions ---------------------------------------------------------------------


def _kept_labels(reg: Registration, details: AttendeeDetails) -> dict[str, str]:
    """An unchanged answer keeps the wording it answered; a new or changed one takes today's."""
    old_answers, old_labels = reg.answers or {}, reg.answer_labels or {}
    labels = {}
    for key, value in details.answers.items():
        if key in old_labels and old_answers.get(key) == value:
            labels[key] = old_labels[key]
        elif key in details.answer_labels:
            labels[key] = details.answer_labels[key]
    return labels


@dataclass
class GivenAnswer:
    """One answer as the registrant gave it, with the question's wording at the time."""

    label: str
    value: Any
    # Today's wording when the question was reworded since; "" when it is the same.
    current_label: str = ""
    removed: bool = False


def answers_as_given(reg: Registration, questions: list[Question]) -> list[GivenAnswer]:
    """The registration's answers in the form's order, then those to removed questions."""
    answers, labels = reg.answers or {}, reg.answer_labels or {}
    given, seen = [], set()
    for question in questions:
        key = str(question.id)
        seen.add(key)
        if key not in answers:
            continue
        asked = labels.get(key, question.label)
        given.append(GivenAnswer(asked, answers[key],
                                 current_label=question.label if asked != question.label else ""))
    for key, value in answers.items():
        if key not in seen:
            given.append(GivenAnswer(labels.get(key, ""), value, removed=True))
    return given


def _renumber_questions(questions: list[Question]) -> None:
    for position, question in enumerate(questions):
        question.position = position


def add_question(event: Event, *, label: str, kind: QuestionKind, required: bool = False,
                 options: str = "", position: int | None = None, by: Any = None) -> Question:
    """An extra question on the event's registration form (last, or at `position`)."""
    existing = _questions_of(event.id)
    question = Question(event_id=event.id, label=label, kind=kind, required=required,
                        options=options)
    where = len(existing) if position is None else max(0, min(position, len(existing)))
    existing.insert(where, question)
    _renumber_questions(existing)
    db.session.add(question)
    db.session.flush()
    record("registration.question_add", question, user=by, summary=question.label)
    return question


def update_question(question: Question, *, label: str, kind: QuestionKind, required: bool,
                    options: str, by: Any = None) -> dict[str, tuple]:
    """Reword or change a question; answers already given keep the wording they answered."""
    changes = {}
    for name, value in (("label", label), ("kind", kind), ("required", required),
                        ("options", options)):
        old = getattr(question, name)
        if old != value:
            changes[name] = (str(old), str(value))
            setattr(question, name, value)
    if changes:
        db.session.flush()
        record("registration.question_edit", question, user=by, summary=question.label,
               changes=changes)
    return changes


def move_question(question: Question, step: int, *, by: Any = None) -> None:
    """Move a question `step` places up (negative) or down the form."""
    questions = _questions_of(question.event_id)
    here = questions.index(question)
    there = max(0, min(here + step, len(questions) - 1))
    if there == here:
        return
    questions.insert(there, questions.pop(here))
    _renumber_questions(questions)
    db.session.flush()
    record("registration.question_move", question, user=by, summary=question.label)


def _questions_of(event_id: int) -> list[Question]:
    return list(db.session.scalars(
        sa.select(Question).where(Question.event_id == event_id)
        .order_by(Question.position, Question.id)
    ))


def delete_question(question: Question, *, by: Any = None) -> None:
    """Remove a question; answers already given stay with the registrations."""
    record("registration.question_delete", question, user=by, summary=question.label)
    db.session.delete(question)
    db.session.flush()


# --- personal data -----------------------------------------------------------------


def anonymise_registration(reg: Registration, now: datetime | None = None, *, by: Any = None,
                           reason: str = "retention") -> None:
    """Forget who registered; status, mode, parts, category and country keep the counts.

    Every copy elsewhere (outbox, reminders, feed token, audit text) goes too: see
    app/registrations/erasure.py.
    """
    email, names = reg.email, [reg.full_name, reg.first_name, reg.last_name]
    reg.first_name = ""
    reg.last_name = ""
    reg.email = ""
    reg.organisation = ""
    reg.needs = ""
    reg.answers = {}
    reg.answer_labels = {}
    reg.newsletter_opt_in = False
    reg.token = new_token()  # the old private link stops working
    reg.checkin_token = new_token()  # and so does the printed QR code
    reg.anonymised_at = now or utcnow()
    # Presence stays (no longer anyone's) for the funder's figures; who checked them in goes.
    db.session.execute(sa.update(Attendance).where(Attendance.registration_id == reg.id)
                       .values(checked_in_by_id=None))
    db.session.flush()
    forget_traces(reg, email=email, names=names, by=by, reason=reason)


def erase_personal_data(reg: Registration) -> None:
    """The attendee's own erase button: leave the event if it is still ahead, then forget."""
    if not reg.is_cancelled and not reg.event.is_past():
        cancel_registration(reg, notify=False)
    # The person asked: their attendance record goes too, not only their name.
    db.session.execute(sa.delete(Attendance).where(Attendance.registration_id == reg.id))
    reg.checked_in_at = None
    anonymise_registration(reg, reason="attendee")


def anonymise_expired(now: datetime | None = None, batch: int = 500) -> int:
    """Anonymise registrations of events that ended REGISTRATION_RETENTION_DAYS ago."""
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["REGISTRATION_RETENTION_DAYS"])
    regs = list(
        db.session.scalars(
            sa.select(Registration)
            .join(Registration.event)
            .where(Event.ends_at < cutoff, Registration.anonymised_at.is_(None))
            .order_by(Registration.id)
            .limit(batch)
        )
    )
    for reg in regs:
        anonymise_registration(reg, now)
    return len(regs)


# --- organiser views ---------------------------------------------------------------


@dataclass
class EventCounts:
    confirmed: int = 0
    waitlisted: int = 0
    cancelled: int = 0
    checked_in: int = 0
    by_mode: dict[str, int] = field(default_factory=dict)
    by_part: list[tuple[Session, int, int | None]] = field(default_factory=list)
    seats_left: int | None = None
    mode_left: dict[str, int | None] = field(default_factory=dict)


def event_counts(event: Event) -> EventCounts:
    counts = EventCounts()
    rows = db.session.execute(
        sa.select(
            Registration.status,
            Registration.attendance_mode,
            sa.func.count(),
            sa.func.count(Registration.checked_in_at),
        )
        .where(Registration.event_id == event.id)
        .group_by(Registration.status, Registration.attendance_mode)
    )
    for status, mode, n, checked in rows:
        if status == RegistrationStatus.CONFIRMED:
            counts.confirmed += n
            counts.checked_in += checked
            counts.by_mode[str(mode)] = counts.by_mode.get(str(mode), 0) + n
        elif status == RegistrationStatus.WAITLISTED:
            counts.waitlisted += n
        else:
            counts.cancelled += n
    parts = event.registrable_parts
    if parts:
        per_part = dict(
            db.session.execute(
                sa.select(registration_parts.c.session_id, sa.func.count())
                .join(Registration, Registration.id == registration_parts.c.registration_id)
                .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.CONFIRMED)
                .group_by(registration_parts.c.session_id)
            ).all()
        )
        for part in parts:
            n = per_part.get(part.id, 0)
            counts.by_part.append((part, n, None if part.capacity is None else max(part.capacity - n, 0)))
    if event.capacity is not None:
        counts.seats_left = max(event.capacity - counts.confirmed, 0)
    for mode, cap in ((AttendanceMode.IN_PERSON, event.capacity_in_person),
                      (AttendanceMode.ONLINE, event.capacity_online)):
        if cap is not None:
            counts.mode_left[mode.value] = max(cap - counts.by_mode.get(mode.value, 0), 0)
    return counts


def registrations_query(event: Event, *, q: str = "", status: str = "", mode: str = "",
                        part_id: int | None = None, checked_in: str = "") -> sa.Select:
    stmt = sa.select(Registration).where(Registration.event_id == event.id)
    if status in {s.value for s in RegistrationStatus}:
        stmt = stmt.where(Registration.status == RegistrationStatus(status))
    if mode in {m.value for m in AttendanceMode}:
        stmt = stmt.where(Registration.attendance_mode == AttendanceMode(mode))
    if part_id:
        stmt = stmt.where(
            Registration.id.in_(
                sa.select(registration_parts.c.registration_id).where(
                    registration_parts.c.session_id == part_id
                )
            )
        )
    if checked_in == "yes":
        stmt = stmt.where(Registration.checked_in_at.is_not(None))
    elif checked_in == "no":
        stmt = stmt.where(Registration.checked_in_at.is_(None))
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(
            sa.or_(
                sa.func.lower(Registration.first_name).like(like),
                sa.func.lower(Registration.last_name).like(like),
                sa.func.lower(Registration.email).like(like),
                sa.func.lower(Registration.organisation).like(like),
            )
        )
    return stmt.options(so.selectinload(Registration.parts)).order_by(
        Registration.status, Registration.waitlist_position, Registration.last_name,
        Registration.first_name, Registration.id,
    )


def message_registrants(event: Event, subject: str, body: str, *, status: str = "",
                        mode: str = "", by: Any = None) -> int:
    """Queue the organiser's message to every matching registrant; returns how many."""
    stmt = registrations_query(event, status=status, mode=mode).where(
        Registration.anonymised_at.is_(None)
    )
    if not status:
        stmt = stmt.where(Registration.status != RegistrationStatus.CANCELLED)
    count = 0
    for reg in db.session.scalars(stmt):
        _queue(reg, "organiser_message", subject=subject, body=body)
        count += 1
    record("registration.message", event, user=by, summary=subject, recipients=count)
    return count


# --- e-mails ---------------------------------------------------------------------


# The e-mails that carry a calendar invite, and its iTIP method.
INVITE_METHODS = {"confirmed": "REQUEST", "promoted": "REQUEST", "cancelled": "CANCEL"}


def _render(reg: Registration, template: str, *, records: list[Any] | None = None,
            **extra: Any) -> Any:
    """The outbox row of one registration e-mail, rendered, not yet in the session."""
    attachments: list[dict[str, Any]] = []
    if template in INVITE_METHODS:
        for _receiver, found in signals.invite_wanted.send(reg, method=INVITE_METHODS[template],
                                                           records=records):
            attachments.extend(found or [])
    if template in ("confirmed", "promoted") and online.inside_reminder_window(reg):
        # Confirmed so late that the reminder carrying the link is gone: it goes now.
        extra.setdefault("join_url", online.join_link(reg))
    return render_email(
        reg.email,
        f"registrations/{template}",
        category=f"registration.{template}",
        language=reg.language if reg.language in current_app.config["LANGUAGES"] else "it",
        context={
            "registration": reg,
            "event": reg.event,
            "attendee_url": attendee_url(reg),
            **extra,
        },
        attachments=attachments,
        event_id=reg.event.id,
        registration_id=reg.id,
    )


def _queue(reg: Registration, template: str, **extra: Any) -> None:
    add_email(_render(reg, template, **extra))
    db.session.flush()

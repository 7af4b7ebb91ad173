"""Seats, waiting list, promotions and personal data, through the services."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.audit import AuditEntry
from app.db import utcnow
from app.events.models import EventFormat
from app.events.signals import event_updated, part_capacity_changed
from app.extensions import db
from app.mail.models import OutboxMessage
from app.registrations import services, signals
from app.registrations.jobs import anonymise_old_registrations
from app.registrations.models import AttendanceMode, QuestionKind, Registration, RegistrationStatus
from app.registrations.services import AttendeeDetails, register_attendee
from tests.factories import EventFactory, SessionFactory, UserFactory, in_days


def person(n: int, **kw) -> AttendeeDetails:
    return AttendeeDetails(first_name="Anna", last_name=f"Bianchi {n}",
                           email=f"anna{n}@example.org", consent=True, **kw)


def outbox(category: str | None = None) -> list[OutboxMessage]:
    stmt = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if category:
        stmt = stmt.where(OutboxMessage.category == category)
    return list(db.session.scalars(stmt))


def test_the_last_seat_is_confirmed_then_people_queue_in_order(app):
    event = EventFactory(capacity=2)
    regs = [register_attendee(event, person(i)).registration for i in range(5)]
    assert [r.status for r in regs] == [RegistrationStatus.CONFIRMED] * 2 + [RegistrationStatus.WAITLISTED] * 3
    assert [r.waitlist_position for r in regs[2:]] == [1, 2, 3]
    assert [m.category for m in outbox()] == ["registration.confirmed"] * 2 + ["registration.waitlisted"] * 3


def test_a_full_event_without_waiting_list_refuses_and_writes_nothing(app):
    event = EventFactory(capacity=1, waitlist_enabled=False)
    register_attendee(event, person(1))
    db.session.commit()
    with pytest.raises(services.EventFull):
        register_attendee(event, person(2))
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 1


def test_cancelling_a_seat_promotes_the_first_in_line_and_renumbers_the_rest(app):
    event = EventFactory(capacity=1)
    first = register_attendee(event, person(1)).registration
    waiting = [register_attendee(event, person(i)).registration for i in range(2, 5)]
    promoted = services.cancel_registration(first)
    assert promoted == [waiting[0]]
    assert waiting[0].status == RegistrationStatus.CONFIRMED and waiting[0].waitlist_position is None
    assert [w.waitlist_position for w in waiting[1:]] == [1, 2]
    assert first.status == RegistrationStatus.CANCELLED and first.cancelled_at is not None
    categories = [m.category for m in outbox()]
    assert "registration.cancelled" in categories and "registration.promoted" in categories
    promoted_mail = outbox("registration.promoted")[0]
    assert promoted_mail.recipient == "anna2@example.org"
    assert waiting[0].token in promoted_mail.body_text


def test_leaving_the_waiting_list_moves_those_behind_up(app):
    event = EventFactory(capacity=1)
    register_attendee(event, person(0))
    waiting = [register_attendee(event, person(i)).registration for i in range(1, 5)]
    services.cancel_registration(waiting[1])
    assert [w.waitlist_position for w in (waiting[0], waiting[2], waiting[3])] == [1, 2, 3]


def test_in_presence_and_online_seats_are_counted_apart(app):
    event = EventFactory(format=EventFormat.HYBRID, capacity_in_person=1, capacity_online=2)
    a = register_attendee(event, person(1, attendance_mode=AttendanceMode.IN_PERSON)).registration
    b = register_attendee(event, person(2, attendance_mode=AttendanceMode.IN_PERSON)).registration
    c = register_attendee(event, person(3, attendance_mode=AttendanceMode.ONLINE)).registration
    assert (a.status, b.status, c.status) == (
        RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED, RegistrationStatus.CONFIRMED)


def test_each_part_has_its_own_seats_and_a_person_waits_for_all_they_chose(app):
    event = EventFactory(starts_at=in_days(10, 8), ends_at=in_days(11, 12))
    monday = SessionFactory(event=event, title="lunedì", registrable=True, capacity=1)
    tuesday = SessionFactory(event=event, title="martedì", registrable=True, capacity=5,
                             starts_at=in_days(11, 8))
    first = register_attendee(event, person(1, part_ids=[monday.id])).registration
    both = register_attendee(event, person(2, part_ids=[monday.id, tuesday.id])).registration
    only_tue = register_attendee(event, person(3, part_ids=[tuesday.id])).registration
    assert first.is_confirmed and only_tue.is_confirmed
    assert both.status == RegistrationStatus.WAITLISTED
    services.cancel_registration(first)
    assert both.is_confirmed


def test_choosing_no_part_is_refused(app):
    event = EventFactory()
    SessionFactory(event=event, registrable=True)
    with pytest.raises(services.InvalidRegistration) as err:
        register_attendee(event, person(1))
    assert err.value.field == "parts"


def test_the_same_address_twice_creates_nothing_and_resends_the_link(app):
    event = EventFactory()
    first = register_attendee(event, person(1))
    again = register_attendee(event, person(1))
    assert again.created is False and again.registration.id == first.registration.id
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 1
    resent = outbox("registration.already_registered")
    assert len(resent) == 1 and first.registration.token in resent[0].body_text


def test_raising_capacity_promotes_from_the_waiting_list_in_the_same_transaction(app):
    event = EventFactory(capacity=1)
    register_attendee(event, person(1))
    waiting = [register_attendee(event, person(i)).registration for i in (2, 3, 4)]
    event.capacity = 3
    db.session.flush()
    event_updated.send(event, changes={"capacity": (1, 3)}, user=None)
    assert [w.status for w in waiting] == [RegistrationStatus.CONFIRMED] * 2 + [RegistrationStatus.WAITLISTED]
    assert waiting[2].waitlist_position == 1


def test_raising_a_part_capacity_promotes_too(app):
    event = EventFactory()
    part = SessionFactory(event=event, registrable=True, capacity=1)
    register_attendee(event, person(1, part_ids=[part.id]))
    waiting = register_attendee(event, person(2, part_ids=[part.id])).registration
    part.capacity = 2
    part_capacity_changed.send(part, changes={"capacity": (1, 2)}, user=None)
    assert waiting.is_confirmed


def test_an_organiser_can_promote_over_capacity_only_with_the_override(app):
    event = EventFactory(capacity=1)
    register_attendee(event, person(1))
    waiting = register_attendee(event, person(2)).registration
    with pytest.raises(services.EventFull):
        services.promote_registration(waiting)
    services.promote_registration(waiting, override=True)
    assert waiting.is_confirmed


def test_signals_are_sent_for_new_cancelled_and_promoted_registrations(app):
    seen = []
    event = EventFactory(capacity=1)
    with signals.registration_created.connected_to(lambda r, **k: seen.append(("created", r.id))), \
         signals.registration_cancelled.connected_to(lambda r, **k: seen.append(("cancelled", r.id))), \
         signals.registration_promoted.connected_to(lambda r, **k: seen.append(("promoted", r.id))):
        a = register_attendee(event, person(1)).registration
        b = register_attendee(event, person(2)).registration
        services.cancel_registration(a)
    assert seen == [("created", a.id), ("created", b.id), ("cancelled", a.id), ("promoted", b.id)]


def test_the_event_version_moves_when_the_event_fills_and_when_a_seat_frees(app):
    event = EventFactory(capacity=2)
    first = register_attendee(event, person(1)).registration
    v_open = event.version
    register_attendee(event, person(2))
    v_full = event.version
    assert v_full > v_open
    register_attendee(event, person(3))  # waiting list: the page already says full
    assert event.version == v_full
    services.cancel_registration(first)  # the waiting person takes the seat: still full
    assert event.version == v_full


def test_registration_before_opening_after_closing_or_for_a_cancelled_event_is_refused(app):
    for kw in ({"registration_opens_at": in_days(1)}, {"registration_closes_at": in_days(-1)},
               {"status": "cancelled"}, {"status": "draft"}):
        event = EventFactory(**kw)
        with pytest.raises(services.RegistrationClosed):
            register_attendee(event, person(1))


def test_the_retention_job_anonymises_old_registrations_and_keeps_counts(app):
    old = EventFactory(starts_at=utcnow() - timedelta(days=400), ends_at=utcnow() - timedelta(days=399))
    recent = EventFactory(starts_at=utcnow() - timedelta(days=10), ends_at=utcnow() - timedelta(days=9))
    kept = register_attendee(recent, person(1), by=object()).registration
    gone = register_attendee(old, person(2), by=object()).registration
    db.session.commit()
    old_token = gone.token
    assert anonymise_old_registrations() == 1
    db.session.refresh(gone)
    assert gone.email == "" and gone.first_name == "" and gone.anonymised_at is not None
    assert gone.status == RegistrationStatus.CONFIRMED and gone.token != old_token
    assert services.event_counts(old).confirmed == 1
    assert kept.email == "anna1@example.org"


def test_erasing_my_data_before_the_event_frees_my_seat(app):
    event = EventFactory(capacity=1)
    me = register_attendee(event, person(1)).registration
    next_in_line = register_attendee(event, person(2)).registration
    services.erase_personal_data(me)
    assert me.status == RegistrationStatus.CANCELLED and me.email == ""
    assert next_in_line.is_confirmed
    counts = services.event_counts(event)
    assert (counts.confirmed, counts.cancelled, counts.waitlisted) == (1, 1, 0)


def test_tokens_are_long_random_and_checked_exactly(app):
    event = EventFactory()
    reg = register_attendee(event, person(1)).registration
    assert len(reg.token) >= 43  # 256 bits in base64url
    assert services.find_by_token(reg.token) is reg
    assert services.find_by_token(reg.token[:-1] + ("A" if reg.token[-1] != "A" else "B")) is None
    assert services.find_by_token("../../etc") is None


def test_an_organisers_changes_made_through_the_services_leave_the_audit_trail_a_click_does(app):
    """A CLI command or job calling the services is audited like the back-office."""
    organiser = UserFactory()
    event = EventFactory(capacity=1)
    first = register_attendee(event, person(1), by=organiser).registration
    waiting = register_attendee(event, person(2)).registration
    services.promote_registration(waiting, by=organiser, override=True)
    services.update_registration(first, person(1, needs="step-free access"), by=organiser)
    question = services.add_question(event, label="Dietary needs", kind=QuestionKind.TEXT,
                                     by=organiser)
    services.delete_question(question, by=organiser)
    services.message_registrants(event, "Room change", "Room 2.", by=organiser)
    services.cancel_registration(first, by=organiser)

    entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.user_id) for e in entries] == [
        ("registration.add", organiser.id),
        ("registration.promote", organiser.id),
        ("registration.edit", organiser.id),
        ("registration.question_add", organiser.id),
        ("registration.question_delete", organiser.id),
        ("registration.message", organiser.id),
        ("registration.cancel", organiser.id),
    ]
    assert entries[-2].details == {"recipients": 2}

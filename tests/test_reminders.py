"""Registrants are reminded before the event, online attendees get the join link, and
everyone hears once when the recording is online; never twice, and in their language."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.db import utcnow
from app.events.models import EventFormat, MaterialKind
from app.extensions import db
from app.mail.models import OutboxMessage
from app.registrations.models import AttendanceMode, RegistrationStatus
from app.registrations.signals import (
    registration_cancelled,
    registration_created,
    registration_promoted,
)
from app.reminders.jobs import send_reminders
from app.reminders.models import Reminder, ReminderKind, ReminderStatus
from app.reminders.services import send_due_reminders
from tests.factories import EventFactory, RegistrationFactory, UserFactory, in_days


class _Operations:
    """The back-office operations, imported once the app exists (they import the admin)."""

    def __getattr__(self, name):
        from app.events import operations as module

        return getattr(module, name)


operations = _Operations()
JOIN = "https://meet.example.org/j/resilient-2026?pwd=s3cret"


def register(event, **kwargs):
    registration = RegistrationFactory(event=event, **kwargs)
    registration_created.send(registration)
    db.session.commit()
    return registration


def reminders_of(registration):
    db.session.expire_all()
    return {r.kind: r for r in db.session.scalars(
        sa.select(Reminder).where(Reminder.registration_id == registration.id))}


def outbox(recipient=None):
    """The reminder e-mails in the outbox (other capabilities write their own notices)."""
    query = (sa.select(OutboxMessage).where(OutboxMessage.category.startswith("reminder."))
             .order_by(OutboxMessage.id))
    if recipient:
        query = query.where(OutboxMessage.recipient == recipient)
    return list(db.session.scalars(query))


def run_job_at(moment):
    sent, skipped = send_due_reminders(now=moment)
    db.session.commit()
    return sent, skipped


def webinar(**kwargs):
    return EventFactory(title="Webinar +RESILIENT", format=EventFormat.ONLINE, venue=None,
                        online_join_url=JOIN, **kwargs)


def test_a_confirmed_registrant_is_reminded_a_day_before(app):
    event = EventFactory(title="Conferenza finale", starts_at=in_days(5, 8))
    maria = register(event, email="maria@example.org")

    reminders = reminders_of(maria)

    assert set(reminders) == {ReminderKind.DAY_BEFORE}
    assert reminders[ReminderKind.DAY_BEFORE].due_at == event.starts_at - timedelta(hours=24)
    # Nothing is due yet.
    assert run_job_at(utcnow()) == (0, 0)
    # The day before, the reminder is queued in Maria's language.
    assert run_job_at(event.starts_at - timedelta(hours=23)) == (1, 0)
    [message] = outbox("maria@example.org")
    assert message.category == "reminder.day_before"
    assert message.subject == "Promemoria: Conferenza finale"
    assert "Gentile Maria" in message.body_text
    assert f"/registrations/{maria.token}/" in message.body_text
    assert message.event_id == event.id and message.registration_id == maria.id


def test_the_hours_before_are_set_per_event(app):
    event = EventFactory(starts_at=in_days(5, 8), reminder_hours_before=48)
    reminder = reminders_of(register(event))[ReminderKind.DAY_BEFORE]
    assert reminder.due_at == event.starts_at - timedelta(hours=48)


def test_english_speakers_get_english_reminders(app):
    event = EventFactory(title="Final conference", starts_at=in_days(5, 8))
    register(event, email="anna@example.org", language="en", first_name="Anna")

    run_job_at(event.starts_at - timedelta(hours=2))

    [message] = outbox("anna@example.org")
    assert message.subject == "Reminder: Final conference"
    assert "Dear Anna" in message.body_text
    assert message.language == "en"


def test_the_join_link_goes_only_to_online_attendees_an_hour_before(app):
    event = EventFactory(title="Evento ibrido", format=EventFormat.HYBRID,
                         online_join_url=JOIN, starts_at=in_days(3, 8))
    online = register(event, email="online@example.org", attendance_mode=AttendanceMode.ONLINE)
    in_person = register(event, email="sala@example.org")

    assert set(reminders_of(online)) == {ReminderKind.DAY_BEFORE, ReminderKind.HOUR_BEFORE}
    assert set(reminders_of(in_person)) == {ReminderKind.DAY_BEFORE}
    assert reminders_of(online)[ReminderKind.HOUR_BEFORE].due_at == event.starts_at - timedelta(hours=1)

    run_job_at(event.starts_at - timedelta(minutes=50))

    day_before = [m for m in outbox() if m.category == "reminder.day_before"]
    [hour_before] = [m for m in outbox() if m.category == "reminder.hour_before"]
    assert hour_before.recipient == "online@example.org"
    assert JOIN in hour_before.body_text and JOIN in hour_before.body_html
    assert len(day_before) == 2
    assert all(JOIN not in m.body_text and JOIN not in m.body_html for m in day_before)


def test_reminders_move_when_the_event_moves(app):
    organiser = UserFactory()
    event = webinar(starts_at=in_days(5, 8))
    maria = register(event, attendance_mode=AttendanceMode.ONLINE)

    new_start = event.starts_at + timedelta(days=7)
    operations.update_event(event, {"starts_at": new_start, "ends_at": new_start + timedelta(hours=2)},
                            user=organiser)
    db.session.commit()

    reminders = reminders_of(maria)
    assert reminders[ReminderKind.DAY_BEFORE].due_at == new_start - timedelta(hours=24)
    assert reminders[ReminderKind.HOUR_BEFORE].due_at == new_start - timedelta(hours=1)
    # At the old reminder time nothing goes out any more.
    assert run_job_at(in_days(4, 9)) == (0, 0)


def test_running_the_job_again_after_a_restart_sends_nothing_twice(app):
    event = webinar(starts_at=in_days(2, 8))
    register(event, email="maria@example.org", attendance_mode=AttendanceMode.ONLINE)
    moment = event.starts_at - timedelta(minutes=30)

    assert run_job_at(moment) == (2, 0)
    # The scheduler restarts and runs the job again, then again later.
    assert run_job_at(moment) == (0, 0)
    assert run_job_at(moment + timedelta(minutes=10)) == (0, 0)
    # And the signals firing again (a repeated edit) do not bring sent reminders back.
    operations.update_event(event, {"starts_at": event.starts_at + timedelta(minutes=5),
                                    "ends_at": event.ends_at + timedelta(minutes=5)},
                            user=UserFactory())
    db.session.commit()
    assert run_job_at(moment + timedelta(minutes=20)) == (0, 0)
    assert len(outbox("maria@example.org")) == 2


def test_the_job_commits_the_mark_with_the_email(app):
    event = EventFactory(starts_at=utcnow() + timedelta(hours=12))
    registration = RegistrationFactory(event=event)
    db.session.add(Reminder(registration=registration, event=event,
                            kind=ReminderKind.DAY_BEFORE, due_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()

    assert send_reminders() == (1, 0)
    db.session.rollback()  # nothing left uncommitted
    assert reminders_of(registration)[ReminderKind.DAY_BEFORE].status == ReminderStatus.SENT
    assert len(outbox(registration.email)) == 1
    assert send_reminders() == (0, 0)


def test_cancelled_registrations_and_events_get_no_reminders(app):
    organiser = UserFactory()
    event = EventFactory(starts_at=in_days(5, 8))
    leaving = register(event, email="leaving@example.org")
    staying = register(event, email="staying@example.org")

    leaving.status = RegistrationStatus.CANCELLED
    registration_cancelled.send(leaving)
    db.session.commit()
    assert reminders_of(leaving)[ReminderKind.DAY_BEFORE].status == ReminderStatus.SKIPPED
    assert reminders_of(staying)[ReminderKind.DAY_BEFORE].status == ReminderStatus.PENDING

    operations.cancel_event(event, user=organiser, reason="The venue is closed.")
    db.session.commit()
    assert reminders_of(staying)[ReminderKind.DAY_BEFORE].status == ReminderStatus.SKIPPED
    assert run_job_at(event.starts_at - timedelta(hours=2)) == (0, 0)
    assert outbox() == []


def test_waitlisted_people_are_reminded_once_promoted(app):
    event = EventFactory(starts_at=in_days(5, 8))
    waiting = register(event, status=RegistrationStatus.WAITLISTED)
    assert reminders_of(waiting) == {}

    waiting.status = RegistrationStatus.CONFIRMED
    registration_promoted.send(waiting)
    db.session.commit()

    assert set(reminders_of(waiting)) == {ReminderKind.DAY_BEFORE}


def test_registering_after_the_reminder_time_schedules_no_late_reminder(app):
    event = webinar(starts_at=utcnow() + timedelta(hours=5))
    late = register(event, attendance_mode=AttendanceMode.ONLINE)
    # Too late for the day-before reminder, in time for the join link.
    assert set(reminders_of(late)) == {ReminderKind.HOUR_BEFORE}


def test_a_recording_on_a_past_event_is_announced_once_to_its_registrants(app):
    organiser = UserFactory()
    event = EventFactory(title="Webinar 22 marzo", starts_at=in_days(-3, 9),
                         ends_at=in_days(-3, 11))
    attended = RegistrationFactory(event=event, email="maria@example.org")
    RegistrationFactory(event=event, email="gone@example.org", status=RegistrationStatus.CANCELLED)
    db.session.commit()

    operations.add_material(event, {"kind": MaterialKind.RECORDING, "title": "Registrazione",
                                    "url": "https://video.example.org/webinar-22-marzo"},
                            user=organiser)
    db.session.commit()
    run_job_at(utcnow())
    # A second recording (say, part two) does not send another e-mail.
    operations.add_material(event, {"kind": MaterialKind.RECORDING, "title": "Parte 2",
                                    "url": "https://video.example.org/parte-2"}, user=organiser)
    db.session.commit()
    run_job_at(utcnow())

    [message] = outbox()
    assert message.recipient == attended.email
    assert message.category == "reminder.recording"
    assert message.subject == "La registrazione è online: Webinar 22 marzo"
    assert "https://video.example.org/webinar-22-marzo" in message.body_text


def test_slides_and_future_events_send_no_recording_notice(app):
    organiser = UserFactory()
    past = EventFactory(starts_at=in_days(-3, 9), ends_at=in_days(-3, 11))
    RegistrationFactory(event=past)
    future = EventFactory(starts_at=in_days(3, 9))
    RegistrationFactory(event=future)
    db.session.commit()

    operations.add_material(past, {"kind": MaterialKind.SLIDES, "title": "Slide",
                                   "url": "https://example.org/slides.pdf"}, user=organiser)
    operations.add_material(future, {"kind": MaterialKind.RECORDING, "title": "Teaser",
                                     "url": "https://example.org/teaser"}, user=organiser)
    db.session.commit()
    run_job_at(utcnow())

    assert [m for m in outbox() if m.category == "reminder.recording"] == []


def test_the_organiser_sees_scheduled_and_sent_reminders_on_the_event(app, client, auth):
    organiser = UserFactory()
    event = EventFactory(starts_at=in_days(2, 8), organisers=[organiser])
    for _ in range(3):
        register(event)
    run_job_at(event.starts_at - timedelta(hours=1))
    later = EventFactory(starts_at=in_days(9, 8), organisers=[organiser])
    for _ in range(2):
        register(later)
    auth.login(organiser)

    page = client.get(f"/admin/events/{event.id}/").get_data(as_text=True)

    assert "Promemoria" in page
    row = page[page.index("Promemoria prima dell'evento"):][:300]
    assert '<td class="text-end">0</td>\n        <td class="text-end">3</td>' in row
    assert f"/admin/outbox?event_id={event.id}" in page


def test_many_registrations_are_rescheduled_in_a_fixed_number_of_queries(app, count_queries):
    from app.reminders.services import schedule_event

    event = EventFactory(starts_at=in_days(5, 8))

    def moved_after(people: int):
        """The queries that move the reminders once `people` more have registered and the event
        starts an hour later."""
        for _ in range(people):
            register(event)
        event.starts_at += timedelta(hours=1)
        event.ends_at += timedelta(hours=1)
        with count_queries() as counted:
            schedule_event(event)
        db.session.commit()
        return counted

    few, more = moved_after(5), moved_after(20)
    # Moving reminders costs one UPDATE each (batched by SQLAlchemy where it can),
    # never a SELECT per registration.
    print("QUERIES", few(), more())
    assert more() <= few() + 20 and more() < 30


def test_a_reminder_reaches_the_attendee_through_the_smtp_server(app, smtp_server):
    from app.mail.jobs import deliver_outbox

    event = webinar(starts_at=utcnow() + timedelta(hours=3))
    register(event, email="maria@example.org", attendance_mode=AttendanceMode.ONLINE)

    run_job_at(event.starts_at - timedelta(minutes=50))
    deliver_outbox()

    [received] = smtp_server.to("maria@example.org")
    assert received["Subject"] == "Tra un'ora: Webinar +RESILIENT"
    assert received["Message-ID"] and received["Date"]
    assert JOIN in received.get_body(("plain",)).get_content()
    assert JOIN in received.get_body(("html",)).get_content()

"""Calendars stay consistent through cancellation (SEQUENCE per recipient), and online
attendees get the join link in time, then the recording, never in public documents."""
from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import icalendar
import sqlalchemy as sa

from app.auth.models import Role
from app.calendars import ical
from app.db import utcnow
from app.events import operations
from app.events.models import EventFormat, MaterialKind, Visibility
from app.extensions import db
from app.mail.models import OutboxMessage
from app.registrations import services
from app.registrations.models import AttendanceMode
from app.registrations.services import AttendeeDetails, register_attendee
from app.reminders.services import send_due_reminders
from tests.factories import EventFactory, SessionFactory, UserFactory

JOIN = "https://meet.example.org/stanza-segreta"


def details(email="ada@example.org", mode=AttendanceMode.IN_PERSON, parts=()) -> AttendeeDetails:
    return AttendeeDetails(first_name="Ada", last_name="Neri", email=email, consent=True,
                           attendance_mode=mode, part_ids=[p.id for p in parts])


def mail(email: str | None = None, category: str | None = None) -> list[OutboxMessage]:
    stmt = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if email:
        stmt = stmt.where(OutboxMessage.recipient == email)
    if category:
        stmt = stmt.where(OutboxMessage.category == category)
    return list(db.session.scalars(stmt))


def invites(messages):
    for m in messages:
        for item in m.attachments or []:
            if item.get("content_type") == "text/calendar":
                yield icalendar.Calendar.from_ical(item["content"])


# --- 6. SEQUENCE through cancellation -------------------------------------------------------

def test_a_cancelled_registrations_ics_and_cancel_invite_say_cancelled_above_the_last_sequence(app, client):
    event = EventFactory(slug="convegno")
    reg = register_attendee(event, details()).registration
    services.cancel_registration(reg)
    db.session.commit()
    request, cancel = list(invites(mail("ada@example.org")))
    sent = request.events[0]["SEQUENCE"]
    assert cancel["METHOD"] == "CANCEL"
    assert cancel.events[0]["STATUS"] == "CANCELLED"
    assert cancel.events[0]["SEQUENCE"] > sent  # the old code reused SEQUENCE:0
    own = icalendar.Calendar.from_ical(client.get(f"/registrations/{reg.token}/calendar.ics").data)
    assert own.events[0]["STATUS"] == "CANCELLED"  # was TENTATIVE
    assert own.events[0]["SEQUENCE"] == cancel.events[0]["SEQUENCE"]


def test_the_whole_lifecycle_only_ever_raises_sequence_per_uid_and_recipient(app, client):
    organiser = UserFactory(role=Role.ADMIN)
    event = EventFactory(slug="mestre-ciclo", format=EventFormat.HYBRID)
    day1 = SessionFactory(event=event, registrable=True, title="Giorno 1")
    day2 = SessionFactory(event=event, registrable=True, title="Giorno 2",
                          starts_at=event.starts_at + timedelta(hours=3))
    ada = register_attendee(event, details(parts=[day1, day2])).registration
    bruno = register_attendee(event, details("bruno@example.org", parts=[day2])).registration
    db.session.commit()
    # The event moves by an hour.
    hour = timedelta(hours=1)
    operations.update_event(event, {"ends_at": event.ends_at + hour}, user=organiser)
    for day in (day2, day1):
        operations.update_session(day, {"starts_at": day.starts_at + hour,
                                        "ends_at": day.ends_at + hour}, user=organiser)
    operations.update_event(event, {"starts_at": event.starts_at + hour}, user=organiser)
    db.session.commit()
    services.cancel_registration(ada)
    db.session.commit()
    # Ada registers again, then cancels again: still only upwards.
    again = register_attendee(event, details(parts=[day1])).registration
    services.cancel_registration(again)
    services.cancel_registration(bruno)
    db.session.commit()

    seen: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
    for message in mail():
        for cal in invites([message]):
            for ve in cal.events:
                seen[(str(ve["UID"]), message.recipient)].append((str(cal["METHOD"]), int(ve["SEQUENCE"])))
    assert seen, "invites were sent"
    for (uid, who), history in seen.items():
        numbers = [n for _method, n in history]
        assert numbers == sorted(numbers), (uid, who, history)
        for (m1, n1), (m2, n2) in zip(history, history[1:], strict=False):
            if m2 == "CANCEL" or m1 == "CANCEL" or n2 != n1:
                assert n2 > n1, (uid, who, history)
    ada_day1 = seen[(ical.session_uid(day1), "ada@example.org")]
    methods = [m for m, _ in ada_day1]
    assert methods[0] == "REQUEST" and methods[-1] == "CANCEL" and methods.count("CANCEL") == 2
    assert len(methods) > 4  # the moves sent updates too
    # The download from the last private link agrees with the last CANCEL.
    own = icalendar.Calendar.from_ical(client.get(f"/registrations/{again.token}/calendar.ics").data)
    assert own.events[0]["STATUS"] == "CANCELLED"
    assert int(own.events[0]["SEQUENCE"]) == ada_day1[-1][1]


# --- 3. the join link in time -----------------------------------------------------------------

def webinar(starts_in: timedelta, **kw):
    start = utcnow() + starts_in
    return EventFactory(format=EventFormat.ONLINE, venue=None, online_join_url=JOIN,
                        starts_at=start, ends_at=start + timedelta(hours=1), **kw)


def test_registering_inside_the_reminder_window_brings_the_link_at_once(app, client):
    event = webinar(timedelta(minutes=40))
    reg = register_attendee(event, details(mode=AttendanceMode.ONLINE)).registration
    db.session.commit()
    [confirmation] = mail("ada@example.org", "registration.confirmed")
    assert JOIN in confirmation.body_text  # the old code sent neither link nor reminder
    [cal] = invites([confirmation])
    assert JOIN in str(cal.events[0]["DESCRIPTION"])
    assert JOIN in client.get(f"/registrations/{reg.token}/calendar.ics").get_data(as_text=True)
    assert JOIN not in client.get("/calendar.ics").get_data(as_text=True)
    assert JOIN not in client.get(f"/events/{event.slug}/calendar.ics").get_data(as_text=True)
    assert JOIN not in client.get(f"/events/{event.slug}/").get_data(as_text=True)


def test_registering_well_ahead_gets_the_link_with_the_reminder_not_in_the_confirmation(app):
    event = webinar(timedelta(days=5))
    reg = register_attendee(event, details(mode=AttendanceMode.ONLINE)).registration
    db.session.commit()
    [confirmation] = mail("ada@example.org", "registration.confirmed")
    assert JOIN not in confirmation.body_text
    send_due_reminders(now=event.starts_at - timedelta(minutes=59))
    [hour_before] = mail("ada@example.org", "reminder.hour_before")
    assert JOIN in hour_before.body_text
    assert reg.is_confirmed


def test_someone_promoted_to_an_online_seat_inside_the_window_gets_the_link_at_once(app):
    event = webinar(timedelta(minutes=30), capacity=1)
    first = register_attendee(event, details("primo@example.org", AttendanceMode.ONLINE)).registration
    register_attendee(event, details("secondo@example.org", AttendanceMode.ONLINE))
    services.cancel_registration(first)
    db.session.commit()
    [promoted] = mail("secondo@example.org", "registration.promoted")
    assert JOIN in promoted.body_text


def test_the_link_disappears_after_the_part_plus_grace_and_the_recording_takes_its_place(app, client):
    event = webinar(timedelta(hours=-3))  # ended two hours ago
    reg = register_attendee(event, details(mode=AttendanceMode.ONLINE), by=object()).registration
    db.session.commit()
    page = client.get(f"/registrations/{reg.token}/").get_data(as_text=True)
    assert JOIN not in page
    assert JOIN not in client.get(f"/registrations/{reg.token}/calendar.ics").get_data(as_text=True)
    organiser = UserFactory(role=Role.ADMIN)
    operations.add_material(event, {"kind": MaterialKind.RECORDING, "title": "Registrazione",
                                    "url": "https://video.example.org/rec-1",
                                    "visibility": Visibility.REGISTRANTS}, user=organiser)
    db.session.commit()
    ics = client.get(f"/registrations/{reg.token}/calendar.ics").get_data(as_text=True)
    assert "video.example.org/rec-1" in ics
    page = client.get(f"/registrations/{reg.token}/").get_data(as_text=True)
    assert "video.example.org/rec-1" in page and JOIN not in page


def test_the_link_stays_during_the_grace_minutes(app, client):
    event = webinar(timedelta(minutes=-90))  # ended 30 minutes ago; grace is 60
    reg = register_attendee(event, details(mode=AttendanceMode.ONLINE), by=object()).registration
    db.session.commit()
    assert JOIN in client.get(f"/registrations/{reg.token}/").get_data(as_text=True)


def test_the_recording_notice_waits_for_the_end_and_goes_once(app):
    organiser = UserFactory(role=Role.ADMIN)
    event = webinar(timedelta(minutes=-10))  # running now
    register_attendee(event, details(mode=AttendanceMode.ONLINE), by=object())
    operations.add_material(event, {"kind": MaterialKind.RECORDING, "title": "Registrazione",
                                    "url": "https://video.example.org/rec-2"}, user=organiser)
    db.session.commit()
    send_due_reminders()
    assert mail(category="reminder.recording") == []  # the old code sent it while running
    send_due_reminders(now=event.ends_at + timedelta(minutes=1))
    send_due_reminders(now=event.ends_at + timedelta(minutes=2))
    assert len(mail(category="reminder.recording")) == 1

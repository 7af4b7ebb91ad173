"""Invites by e-mail: REQUEST on confirmation, CANCEL on cancellation, updates when the event moves."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import sqlalchemy as sa
import vobject
from flask import render_template

from app.calendars.invites import invite_attachments
from app.calendars.models import ensure_feed_token
from app.events.models import EventStatus
from app.events.signals import event_cancelled, event_updated
from app.extensions import db
from app.mail.models import OutboxMessage
from app.mail.smtp import build_message
from app.registrations.models import RegistrationStatus
from tests.factories import EventFactory, RegistrationFactory, SessionFactory, VenueFactory

ROME = ZoneInfo("Europe/Rome")


def rome(*args) -> datetime:
    return datetime(*args, tzinfo=ROME)


def invite(attachments) -> icalendar.Calendar:
    [item] = attachments
    assert item["filename"] == "invite.ics" and item["content_type"] == "text/calendar"
    assert item["alternative"] is True
    vobject.readOne(item["content"], validate=True)
    cal = icalendar.Calendar.from_ical(item["content"])
    assert cal["METHOD"] == item["method"]
    return cal


def outbox() -> list[OutboxMessage]:
    """The calendar messages (other capabilities may react to the same signals)."""
    return list(db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.category == "calendar").order_by(OutboxMessage.id)
    ))


def test_confirmation_invite_is_a_request_for_the_registrant(app):
    event = EventFactory(title="Conferenza finale", contact_name="Ufficio Progetti",
                         contact_email="progetti@example.org", online_join_url="https://meet.example.org/x")
    registration = RegistrationFactory(event=event, email="anna@example.org",
                                       first_name="Anna", last_name="Bianchi")
    cal = invite(invite_attachments(registration, "REQUEST"))
    [ve] = cal.events
    assert ve["UID"] == f"event-{event.id}@eventi.local"  # the feeds' UID
    assert ve["ORGANIZER"] == "mailto:progetti@example.org"
    [attendee] = ve.attendees
    assert attendee == "mailto:anna@example.org"
    assert attendee.params["CN"] == "Anna Bianchi" and attendee.params["PARTSTAT"] == "ACCEPTED"
    assert ve["STATUS"] == "CONFIRMED" and ve["SEQUENCE"] == event.sequence
    assert "meet.example.org" not in ve["DESCRIPTION"]

    # The mail engineer's message carries it as text/calendar; method=REQUEST and as invite.ics.
    row = OutboxMessage(sender="Eventi <eventi@localhost>", recipient="anna@example.org",
                        subject="Iscrizione confermata", body_text="Ciao", body_html="",
                        attachments=invite_attachments(registration, "REQUEST"), message_id="")
    message = build_message(row)
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert any(p.get_param("method") == "REQUEST" and not p.get_filename() for p in parts)
    assert any(p.get_filename() == "invite.ics" for p in parts)


def test_cancelling_a_registration_sends_a_cancel_with_the_same_uid(app):
    registration = RegistrationFactory()
    request_uid = invite(invite_attachments(registration, "REQUEST")).events[0]["UID"]
    registration.status = RegistrationStatus.CANCELLED
    cal = invite(invite_attachments(registration, "CANCEL"))
    [ve] = cal.events
    assert ve["UID"] == request_uid and ve["STATUS"] == "CANCELLED"


def test_multi_part_invite_holds_the_parts_the_person_attends(app):
    event = EventFactory(starts_at=rome(2027, 1, 17, 9, 45), ends_at=rome(2027, 1, 18, 13))
    day1 = SessionFactory(event=event, title="Giorno 1", registrable=True,
                          starts_at=rome(2027, 1, 17, 9, 45), ends_at=rome(2027, 1, 17, 17))
    SessionFactory(event=event, title="Giorno 2", registrable=True,
                   starts_at=rome(2027, 1, 18, 9), ends_at=rome(2027, 1, 18, 13))
    registration = RegistrationFactory(event=event)
    registration.parts.append(day1)
    db.session.flush()
    [ve] = invite(invite_attachments(registration, "REQUEST")).events
    assert ve["UID"] == f"event-{event.id}-part-{day1.id}@eventi.local"
    assert (ve.start, ve.end) == (rome(2027, 1, 17, 9, 45), rome(2027, 1, 17, 17))


def _move(event, hours: int) -> None:
    old = (event.starts_at, event.ends_at)
    event.starts_at += timedelta(hours=hours)
    event.ends_at += timedelta(hours=hours)
    event.bump_version(schedule_changed=True)
    db.session.flush()
    event_updated.send(event, changes={"starts_at": (old[0], event.starts_at),
                                       "ends_at": (old[1], event.ends_at)}, user=None)


def test_moving_an_event_sends_each_confirmed_registrant_one_updated_invite(app):
    event = EventFactory(title="Webinar TALIA", starts_at=rome(2027, 3, 22, 10), ends_at=rome(2027, 3, 22, 12))
    it = RegistrationFactory(event=event, email="it@example.org", language="it")
    en = RegistrationFactory(event=event, email="en@example.org", language="en")
    RegistrationFactory(event=event, email="wait@example.org", status=RegistrationStatus.WAITLISTED)
    for r in (it, en):
        invite_attachments(r, "REQUEST")  # as the confirmation e-mail did
    sequence = event.sequence

    _move(event, 2)
    messages = outbox()
    assert sorted(m.recipient for m in messages) == ["en@example.org", "it@example.org"]
    by = {m.recipient: m for m in messages}
    assert by["it@example.org"].subject == "Variazione: Webinar TALIA"
    assert "12:00–14:00" in by["it@example.org"].body_text
    assert "prima: lunedì 22 marzo 2027, 10:00–12:00" in by["it@example.org"].body_text
    assert by["en@example.org"].subject == "Changed: Webinar TALIA"
    assert "before: Monday 22 March 2027, 10:00–12:00" in by["en@example.org"].body_text
    cal = invite(by["en@example.org"].attachments)
    assert cal["METHOD"] == "REQUEST"
    assert cal.events[0]["SEQUENCE"] == sequence + 1
    assert cal.events[0].start == rome(2027, 3, 22, 12)

    # The same change announced twice sends nothing more.
    event_updated.send(event, changes={"sessions": (None, 1)}, user=None)
    assert len(outbox()) == 2


def test_a_new_venue_is_announced_with_the_old_and_new_place(app):
    event = EventFactory(title="Study visit")
    registration = RegistrationFactory(event=event)
    invite_attachments(registration, "REQUEST")
    old = event.venue_id
    event.venue = VenueFactory(name="Environment Park", address="Via Livorno 60", city="Torino",
                               postcode="10144")
    event.bump_version(schedule_changed=True)
    db.session.flush()
    event_updated.send(event, changes={"venue_id": (old, event.venue_id)}, user=None)
    [message] = outbox()
    assert "Dove: Environment Park, Via Livorno 60, 10144 Torino" in message.body_text
    assert "prima: Parco scientifico e tecnologico Vega" in message.body_text
    assert invite(message.attachments).events[0]["LOCATION"].startswith("Environment Park")


def test_edits_that_do_not_touch_the_schedule_send_nothing(app):
    event = EventFactory()
    RegistrationFactory(event=event)
    event.title = "Nuovo titolo"
    event.bump_version()
    event_updated.send(event, changes={"title": ("Old", "Nuovo titolo")}, user=None)
    assert outbox() == []


def test_cancelling_an_event_sends_a_cancel_to_every_confirmed_registrant(app):
    event = EventFactory(title="Missione a Marsiglia")
    RegistrationFactory(event=event, email="a@example.org")
    RegistrationFactory(event=event, email="b@example.org", language="en")
    RegistrationFactory(event=event, email="gone@example.org", status=RegistrationStatus.CANCELLED)
    event.status = EventStatus.CANCELLED
    event.bump_version(schedule_changed=True)
    db.session.flush()
    event_cancelled.send(event, user=None)
    messages = outbox()
    assert sorted(m.recipient for m in messages) == ["a@example.org", "b@example.org"]
    assert {m.subject for m in messages} == {"Annullato: Missione a Marsiglia",
                                             "Cancelled: Missione a Marsiglia"}
    cal = invite(messages[0].attachments)
    assert cal["METHOD"] == "CANCEL"
    assert cal.events[0]["STATUS"] == "CANCELLED" and cal.events[0]["SEQUENCE"] == event.sequence
    event_cancelled.send(event, user=None)  # announced once
    assert len(outbox()) == 2


def test_pages_and_emails_offer_every_way_to_add_the_event(app):
    event = EventFactory(slug="mestre", starts_at=rome(2027, 1, 17, 9, 45), ends_at=rome(2027, 1, 18, 13))
    SessionFactory(event=event, registrable=True, starts_at=rome(2027, 1, 17, 9, 45), ends_at=rome(2027, 1, 17, 17))
    SessionFactory(event=event, registrable=True, starts_at=rome(2027, 1, 18, 9), ends_at=rome(2027, 1, 18, 13))
    registration = RegistrationFactory(event=event, email="maria@example.org", token="maria-token-000000001")
    ensure_feed_token("maria@example.org")  # as registering does
    db.session.commit()
    with app.test_request_context("/"):
        html = render_template("calendars/_event_links.html", event=event)
        assert 'href="http://localhost/events/mestre/calendar.ics"' in html
        assert 'href="webcal://localhost/events/mestre/calendar.ics"' in html
        assert html.count("https://calendar.google.com/calendar/render?action=TEMPLATE") == 2
        assert "dates=20270117T084500Z%2F20270117T160000Z" in html  # day one only, in UTC
        assert html.count("https://outlook.live.com/calendar/0/deeplink/compose?") == 2

        from app.events.services import EventFilters

        html = render_template("calendars/_list_subscribe.html",
                               filters=EventFilters(kind="webinar", project="talia", q="città"))
        assert "webcal://localhost/calendar.ics?kind=webinar&amp;project=talia&amp;q=citt%C3%A0" in html

        html = render_template("calendars/_attendee_calendar.html", registration=registration)
        assert "/registrations/maria-token-000000001/calendar.ics" in html
        assert 'action="/registrations/maria-token-000000001/calendar/reset"' in html
        feed = render_template("email/calendars/_personal_feed.txt", registration=registration)
    from app.calendars.models import CalendarFeedToken

    token = db.session.scalars(sa.select(CalendarFeedToken.token)).one()
    assert f"webcal://localhost/calendar/{token}.ics" in html
    assert f"http://localhost/calendar/{token}.ics" in feed


def test_visitors_find_the_calendar_links_on_the_real_pages(app, client):
    event = EventFactory(slug="webinar-talia", title="Webinar TALIA")
    registration = RegistrationFactory(event=event, token="attendee-page-token-0000001")
    ensure_feed_token(registration.email)  # as registering does
    db.session.commit()

    page = client.get("/events/webinar-talia/").get_data(as_text=True)
    assert "Aggiungi al tuo calendario" in page
    assert "webcal://localhost/events/webinar-talia/calendar.ics" in page

    listing = client.get("/events/?kind=webinar").get_data(as_text=True)
    assert "webcal://localhost/calendar.ics?kind=webinar" in listing

    attendee = client.get("/registrations/attendee-page-token-0000001/")
    assert attendee.status_code == 200
    html = attendee.get_data(as_text=True)
    assert "Il tuo calendario personale" in html
    from app.calendars.models import CalendarFeedToken

    token = db.session.scalars(sa.select(CalendarFeedToken.token)).one()
    assert f"webcal://localhost/calendar/{token}.ics" in html
    assert client.get(f"/calendar/{token}.ics").status_code == 200
    assert registration.email in html

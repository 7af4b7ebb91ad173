"""A registration costs a fixed, small number of SQL statements, and its e-mail is whole.

The event's lock is held from the seat decision to the commit, so every statement
under it is time every other person registering for that event waits. What does not
depend on the seat (the address's feed token, the invite's sequence, the e-mail) is
prepared before; nothing is read again after the commit.
"""
from __future__ import annotations

import re

import sqlalchemy as sa

from app.calendars.models import feed_token_for
from app.extensions import db
from app.mail.models import OutboxMessage
from app.registrations.models import Registration, RegistrationStatus
from app.registrations.services import AttendeeDetails, register_attendee
from tests.factories import EventFactory

# Reading the event, its parts, its seats and its questions to show and check the form.
FORM_READS = 4
# Everything a registration writes and checks, from the feed token to the last insert.
REGISTRATION = 12


def form(email: str) -> dict:
    return {"first_name": "Maria", "last_name": "Rossi", "email": email,
            "organisation": "Cooperativa Sociale", "category": "terzo_settore", "country": "IT",
            "privacy_consent": "y"}


def first_of(event) -> None:
    """Someone registers first: the event's seat counters are made once, then only used."""
    register_attendee(event, AttendeeDetails(first_name="Prima", last_name="Persona",
                                             email=f"prima{event.id}@example.org", consent=True))
    db.session.commit()


def last_mail(recipient: str) -> OutboxMessage:
    return db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.recipient == recipient)
                              .order_by(OutboxMessage.id.desc())).first()


def test_a_registration_through_the_form_takes_at_most_twelve_statements(client, count_queries):
    event = EventFactory(slug="transizione", capacity=30, reminder_hours_before=24)
    other = EventFactory(slug="altra", capacity=30)
    db.session.commit()
    first_of(event)
    first_of(other)
    for slug in ("transizione", "altra"):  # a new address, then one the site already knows
        with count_queries() as n:
            resp = client.post(f"/events/{slug}/register", data=form("maria.rossi@example.org"))
        assert resp.status_code == 303
        assert n() <= FORM_READS + REGISTRATION, "\n".join(n.log)
    db.session.expire_all()
    reg = db.session.scalar(sa.select(Registration).where(Registration.event_id == event.id))
    assert reg.status == RegistrationStatus.CONFIRMED
    mail = last_mail("maria.rossi@example.org")
    token = feed_token_for("maria.rossi@example.org").token
    # The e-mail, rendered before the seat was decided, shows the feed and the invite.
    assert f"/calendar/{token}.ics" in mail.body_text and f"/calendar/{token}.ics" in mail.body_html
    assert mail.registration_id is not None and mail.attachments[0]["method"] == "REQUEST"


def test_the_service_alone_stays_within_twelve_statements(app, count_queries):
    event = EventFactory(capacity=30, reminder_hours_before=24)
    db.session.commit()
    first_of(event)
    assert event.registrable_parts == []  # the event as the form has it, loaded
    details = AttendeeDetails(first_name="Luca", last_name="Bianchi", email="luca@example.org",
                              consent=True)
    with count_queries() as n:
        register_attendee(event, details)
        db.session.commit()
    assert n() <= REGISTRATION, "\n".join(n.log)


def test_a_place_on_the_waiting_list_is_told_its_real_position(client, count_queries):
    event = EventFactory(slug="piena", capacity=1, waitlist_enabled=True)
    db.session.commit()
    first_of(event)
    for i in range(3):
        with count_queries() as n:
            resp = client.post("/events/piena/register", data=form(f"persona{i}@example.org"))
        assert resp.status_code == 303
        assert n() <= FORM_READS + REGISTRATION, "\n".join(n.log)
    db.session.expire_all()
    waiting = db.session.scalars(sa.select(Registration).where(
        Registration.event_id == event.id, Registration.status == RegistrationStatus.WAITLISTED)
        .order_by(Registration.waitlist_position)).all()
    assert [r.waitlist_position for r in waiting] == [1, 2, 3]
    for reg in waiting:
        mail = last_mail(reg.email)
        assert mail.category == "registration.waitlisted"
        for body in (mail.body_text, mail.body_html):
            assert re.search(rf"sei il numero\s+{reg.waitlist_position}\s+in lista d", body), body
        assert "987654319" not in mail.body_text + mail.body_html + mail.subject

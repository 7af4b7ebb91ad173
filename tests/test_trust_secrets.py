"""Secrets meant for an attendee never reach the back-office, and each token opens one thing only."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.auth.models import Role
from app.calendars.models import CalendarFeedToken
from app.db import utcnow
from app.events.models import EventFormat
from app.extensions import db
from app.mail.models import OutboxMessage, OutboxStatus
from app.newsletter.models import SubscriberStatus
from app.registrations.models import AttendanceMode, Registration
from tests.factories import (
    EventFactory,
    ProjectFactory,
    SessionFactory,
    SpeakerFactory,
    SubscriberFactory,
    UserFactory,
    VenueFactory,
    registration_form,
)


def register(client, event, **overrides) -> Registration:
    assert client.post(f"/events/{event.slug}/register", data=registration_form(**overrides)).status_code == 303
    return db.session.scalars(sa.select(Registration).order_by(Registration.id.desc())).first()


def secrets_of(reg: Registration) -> list[str]:
    feed = db.session.scalar(sa.select(CalendarFeedToken).where(CalendarFeedToken.email == reg.email))
    return [reg.token, reg.checkin_token, feed.token]


@pytest.mark.parametrize("role", [Role.ORGANISER, Role.ADMIN])
def test_the_back_office_shows_every_message_with_private_links_redacted(app, client, auth, role):
    user = UserFactory(role=role)
    event = EventFactory(slug="hybrid", format=EventFormat.HYBRID, organisers=[user],
                         online_join_url="https://meet.example.org/j/1")
    db.session.commit()
    reg = register(client, event, attendance_mode="online")
    mail = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.registration_id == reg.id))
    assert reg.token in mail.body_text  # the attendee's own copy carries the link
    mail.status, mail.last_error = OutboxStatus.FAILED, "550 no"
    db.session.commit()
    auth.login(user)

    pages = {
        "list": client.get("/admin/outbox"),
        "search": client.get("/admin/outbox?q=maria"),
        "detail": client.get(f"/admin/outbox/{mail.id}"),
        "resend": client.post(f"/admin/outbox/{mail.id}/retry", follow_redirects=True),
    }
    for name, resp in pages.items():
        assert resp.status_code == 200, name
        text = resp.get_data(as_text=True)
        for secret in secrets_of(reg):
            assert secret not in text, (name, secret)
    detail = pages["detail"].get_data(as_text=True)
    assert "/registrations/•••/" in detail
    assert "maria.rossi@example.org" in detail  # the rest of the message is there to read


def test_the_personal_feed_links_event_pages_only_and_join_links_for_confirmed_online_seats(app, client):
    mine = EventFactory(slug="webinar", format=EventFormat.ONLINE, venue=None,
                        online_join_url="https://meet.example.org/mine")
    other = EventFactory(slug="other", format=EventFormat.HYBRID,
                         online_join_url="https://meet.example.org/in-person-only")
    full = EventFactory(slug="full", format=EventFormat.ONLINE, venue=None, capacity=0,
                        online_join_url="https://meet.example.org/waiting")
    db.session.commit()
    online = register(client, mine, attendance_mode="online")
    room = register(client, other, attendance_mode="in_person")
    waiting = register(client, full, attendance_mode="online")
    assert online.attendance_mode == AttendanceMode.ONLINE and waiting.is_waitlisted
    feed = db.session.scalar(sa.select(CalendarFeedToken)).token

    body = client.get(f"/calendar/{feed}.ics").get_data(as_text=True).replace("\r\n ", "")
    assert "https://meet.example.org/mine" in body
    assert "in-person-only" not in body and "meet.example.org/waiting" not in body
    for reg in (online, room, waiting):
        assert reg.token not in body and reg.checkin_token not in body
    assert "/registrations/" not in body and "/admin/" not in body
    assert "http://localhost/events/webinar/" in body


def test_each_token_opens_its_own_page_and_fails_on_every_other_route(app, client, auth):
    admin = UserFactory(role=Role.ADMIN)
    event = EventFactory(slug="visit")
    db.session.commit()
    reg = register(client, event)
    SubscriberFactory(token="sub-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
    SubscriberFactory(status=SubscriberStatus.PENDING, confirmed_at=None,
                      confirm_token="confirm-token-bbbbbbbbbbbbbbbbbbbbbbbbbbb",
                      confirm_expires_at=utcnow() + timedelta(days=1))
    db.session.commit()
    client.post("/admin/forgot-password", data={"email": admin.email})
    reset_mail = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.category == "auth.password_reset"))
    reset_token = re.search(r"/admin/reset-password/([\w-]+)", reset_mail.body_text).group(1)
    auth.login(admin)
    tokens = {
        "reset": reset_token,
        "attendee": reg.token,
        "checkin": reg.checkin_token,
        "feed": db.session.scalar(sa.select(CalendarFeedToken)).token,
        "newsletter": "sub-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "newsletter-confirm": "confirm-token-bbbbbbbbbbbbbbbbbbbbbbbbbbb",
    }
    assert len(set(tokens.values())) == len(tokens)
    routes = {
        "attendee": ["/registrations/{}/", "/registrations/{}/cancel", "/registrations/{}/erase",
                     "/registrations/{}/calendar.ics"],
        "checkin": ["/admin/checkin/{}"],
        "feed": ["/calendar/{}.ics"],
        "newsletter": ["/newsletter/preferences/{}", "/newsletter/unsubscribe/{}"],
        "newsletter-confirm": ["/newsletter/confirm/{}"],
        "reset": ["/admin/reset-password/{}"],
    }
    for purpose, token in tokens.items():
        for route_purpose, paths in routes.items():
            for path in paths:
                status = client.get(path.format(token)).status_code
                if route_purpose == purpose:
                    assert status == 200, (purpose, path)
                else:
                    assert status == 404, (purpose, path, status)


def test_the_qr_code_carries_the_check_in_token_and_no_url_text(app, client):
    event = EventFactory(slug="room")
    db.session.commit()
    reg = register(client, event)
    page = client.get(f"/registrations/{reg.token}/").get_data(as_text=True)
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    assert "http" not in svg.replace("http://www.w3.org", "") and "/admin/" not in svg
    assert reg.checkin_token not in svg and reg.token not in svg  # in the modules only

    from app.registrations.services import checkin_url

    assert checkin_url(reg).endswith(f"/admin/checkin/{reg.checkin_token}")
    assert reg.token not in checkin_url(reg)


def test_an_organiser_edits_a_shared_record_only_when_no_other_organisers_event_uses_it(app, client, auth):
    me, colleague = UserFactory(), UserFactory()
    mine, theirs = VenueFactory(name="Sala mia"), VenueFactory(name="Sala condivisa")
    speaker, project = SpeakerFactory(name="Relatrice"), ProjectFactory(name="TALIA")
    EventFactory(venue=mine, organisers=[me])
    EventFactory(venue=theirs, organisers=[me])
    other = EventFactory(venue=theirs, organisers=[colleague], project=project)
    SessionFactory(event=other, speakers=[speaker])
    db.session.commit()
    auth.login(me)

    ok = client.post(f"/admin/venues/{mine.id}/edit",
                     data={"name": "Sala mia rinnovata", "country": "IT"})
    assert ok.status_code == 302 and mine.name == "Sala mia rinnovata"
    for kind, obj, data in (
        ("venues", theirs, {"name": "Hijacked", "country": "IT"}),
        ("speakers", speaker, {"name": "Hijacked"}),
        ("projects", project, {"name": "Hijacked", "slug": project.slug, "status": "ongoing"}),
    ):
        resp = client.post(f"/admin/{kind}/{obj.id}/edit", data=data)
        assert resp.status_code == 200, kind
        assert "solo un amministratore" in resp.get_data(as_text=True)
        db.session.refresh(obj)
        assert obj.name != "Hijacked"

    auth.login(UserFactory(role=Role.ADMIN))
    assert client.post(f"/admin/venues/{theirs.id}/edit",
                       data={"name": "Sala condivisa 2", "country": "IT"}).status_code == 302


def test_a_newsletter_test_goes_only_to_a_back_office_address(app, client, auth):
    from tests.factories import CampaignFactory

    me = UserFactory(email="redazione@example.org")
    UserFactory(email="collega@example.org")
    campaign = CampaignFactory()
    db.session.commit()
    auth.login(me)

    resp = client.post(f"/admin/newsletter/{campaign.id}/test", data={"email": "victim@example.com"},
                       follow_redirects=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.recipient == "victim@example.com")) == 0
    assert "indirizzo di un utente" in resp.get_data(as_text=True)

    client.post(f"/admin/newsletter/{campaign.id}/test", data={"email": "redazione@example.org"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.recipient == "redazione@example.org")) == 1

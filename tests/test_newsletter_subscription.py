"""Subscribing to "La Camera Informa": double opt-in, preferences, one-click unsubscribe."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.db import utcnow
from app.extensions import db
from app.mail.models import OutboxMessage
from app.newsletter import services
from app.newsletter.models import Subscriber, SubscriberStatus
from tests.factories import RegistrationFactory, SubscriberFactory


def _outbox(recipient: str) -> list[OutboxMessage]:
    return list(db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == recipient)
        .order_by(OutboxMessage.id)
    ))


def _confirm_path(message: OutboxMessage) -> str:
    return re.search(r"https?://[^/\s]+(/newsletter/confirm/[\w-]+)", message.body_text).group(1)


def _subscribe(client, email="anna.bianchi@example.org", **extra):
    data = {"email": email, "name": "Anna Bianchi", "topics": ["events", "funding"],
            "language": "it", "consent": "y", **extra}
    return client.post("/newsletter/", data=data,
                       headers={"User-Agent": "Mozilla/5.0 (test)"},
                       environ_base={"REMOTE_ADDR": "203.0.113.7"})


def test_signing_up_sends_a_confirmation_and_keeps_evidence_of_consent(app, client):
    resp = _subscribe(client, email="  Anna.Bianchi@Example.org ")
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Controlla la tua casella" in page

    subscriber = db.session.scalar(sa.select(Subscriber))
    assert subscriber.email == "anna.bianchi@example.org"
    assert subscriber.status == SubscriberStatus.PENDING
    assert subscriber.topics == ["events", "funding"]
    assert subscriber.consent_ip == "203.0.113.7"
    assert subscriber.consent_user_agent == "Mozilla/5.0 (test)"
    assert subscriber.consent_version == app.config["PRIVACY_TEXT_VERSION"]
    assert subscriber.consent_at is not None and subscriber.confirmed_at is None

    [mail] = _outbox("anna.bianchi@example.org")
    assert "Conferma" in mail.subject
    assert "/newsletter/confirm/" in mail.body_html


def test_following_the_link_and_pressing_confirm_activates_the_subscription(client):
    _subscribe(client)
    [mail] = _outbox("anna.bianchi@example.org")
    path = _confirm_path(mail)

    # Opening the link (as a mail scanner would) changes nothing.
    page = client.get(path)
    assert page.status_code == 200
    assert "Conferma la mia iscrizione" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(Subscriber.status)) == SubscriberStatus.PENDING

    resp = client.post(path)
    assert resp.status_code == 302
    assert "/newsletter/preferences/" in resp.headers["Location"]
    db.session.expire_all()
    subscriber = db.session.scalar(sa.select(Subscriber))
    assert subscriber.status == SubscriberStatus.ACTIVE
    assert subscriber.confirmed_at is not None
    # The link works once.
    assert client.get(path).status_code == 404


def test_a_confirmation_link_older_than_seven_days_has_expired(client):
    _subscribe(client)
    subscriber = db.session.scalar(sa.select(Subscriber))
    subscriber.confirm_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    path = _confirm_path(_outbox("anna.bianchi@example.org")[0])

    resp = client.get(path)
    assert resp.status_code == 410
    assert "scaduto" in resp.get_data(as_text=True)
    assert client.post(path).status_code == 410
    db.session.expire_all()
    assert db.session.scalar(sa.select(Subscriber.status)) == SubscriberStatus.PENDING


def test_the_link_is_valid_for_seven_days(app, client):
    before = utcnow()
    _subscribe(client)
    subscriber = db.session.scalar(sa.select(Subscriber))
    assert timedelta(days=7) - timedelta(minutes=1) < subscriber.confirm_expires_at - before
    assert subscriber.confirm_expires_at - before <= timedelta(days=7, seconds=5)


def test_the_answer_is_the_same_for_an_address_already_subscribed(client):
    SubscriberFactory(email="gia.iscritta@example.org")
    db.session.commit()
    known = _subscribe(client, email="gia.iscritta@example.org")
    unknown = _subscribe(client, email="nuova@example.org")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert client.get(known.headers["Location"]).data == client.get(unknown.headers["Location"]).data
    # The active subscriber is left alone: no new confirmation, still active.
    assert _outbox("gia.iscritta@example.org") == []
    assert db.session.scalar(
        sa.select(Subscriber.status).where(Subscriber.email == "gia.iscritta@example.org")
    ) == SubscriberStatus.ACTIVE


@pytest.mark.parametrize("data, message", [
    ({"email": "not-an-address", "consent": "y"}, "indirizzo e-mail valido"),
    ({"email": "ok@example.org"}, "consenso"),
    ({"email": "x" * 250 + "@example.org", "consent": "y"}, "indirizzo e-mail valido"),
])
def test_bad_input_is_refused_with_a_message_next_to_the_field(client, data, message):
    resp = client.post("/newsletter/", data=data)
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscriber)) == 0


def test_the_home_page_block_posts_email_and_consent_only(client):
    resp = client.post("/newsletter/", data={"email": "casa@example.org", "consent": "y",
                                             "source": "home", "language": "en"})
    assert resp.status_code == 302
    subscriber = db.session.scalar(sa.select(Subscriber))
    assert subscriber.language == "en"
    assert subscriber.consent_source == "home"
    assert subscriber.topics == ["eu-projects", "events", "funding", "social-innovation"]
    assert "Confirm your subscription" in _outbox("casa@example.org")[0].subject


def test_the_home_block_renders_with_a_signup_form(app):
    from flask import render_template

    with app.test_request_context("/"):
        html = render_template("newsletter/_signup_block.html")
    # A GET form: the home page is cached whole and carries no CSRF token; the sign-up
    # page it opens (with the address filled in) does.
    assert 'action="/newsletter/"' in html and 'method="get"' in html
    assert 'name="email"' in html
    assert "csrf_token" not in html


def test_preferences_change_topics_and_language(client):
    subscriber = SubscriberFactory(topics=["events"])
    db.session.commit()
    page = client.get(f"/newsletter/preferences/{subscriber.token}")
    assert page.status_code == 200
    assert subscriber.email in page.get_data(as_text=True)

    resp = client.post(f"/newsletter/preferences/{subscriber.token}",
                       data={"topics": ["funding", "eu-projects"], "language": "en"})
    assert resp.status_code == 302
    db.session.expire_all()
    subscriber = db.session.get(Subscriber, subscriber.id)
    assert subscriber.topics == ["eu-projects", "funding"]
    assert subscriber.language == "en"


def test_a_wrong_token_finds_nothing(client):
    SubscriberFactory()
    db.session.commit()
    assert client.get("/newsletter/preferences/not-a-token").status_code == 404
    assert client.get("/newsletter/unsubscribe/not-a-token").status_code == 404
    assert client.post("/newsletter/unsubscribe/not-a-token",
                       data={"List-Unsubscribe": "One-Click"}).status_code == 404


def test_unsubscribe_page_asks_before_leaving(client):
    subscriber = SubscriberFactory()
    db.session.commit()
    page = client.get(f"/newsletter/unsubscribe/{subscriber.token}")
    assert page.status_code == 200
    assert "Annulla l&#39;iscrizione" in page.get_data(as_text=True) or \
        "Annulla l'iscrizione" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Subscriber, subscriber.id).status == SubscriberStatus.ACTIVE

    resp = client.post(f"/newsletter/unsubscribe/{subscriber.token}")
    assert resp.status_code == 200
    db.session.expire_all()
    assert db.session.get(Subscriber, subscriber.id).status == SubscriberStatus.UNSUBSCRIBED


def test_one_click_unsubscribe_from_a_client_without_cookies_and_with_csrf_on(app):
    """RFC 8058: the mail provider POSTs the body, no cookie, no token; 200 and no redirect."""
    app.config["WTF_CSRF_ENABLED"] = True
    subscriber = SubscriberFactory()
    db.session.commit()
    client = app.test_client(use_cookies=False)
    resp = client.post(
        f"/newsletter/unsubscribe/{subscriber.token}",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert resp.status_code == 200
    assert "Location" not in resp.headers
    assert "Set-Cookie" not in resp.headers
    db.session.expire_all()
    subscriber = db.session.get(Subscriber, subscriber.id)
    assert subscriber.status == SubscriberStatus.UNSUBSCRIBED
    assert subscriber.unsubscribed_at is not None


def test_confirming_needs_the_form_token_when_csrf_is_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    form = client.get("/newsletter/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    client.post("/newsletter/", data={"email": "csrf@example.org", "consent": "y", "csrf_token": token})
    path = _confirm_path(_outbox("csrf@example.org")[0])
    assert client.post(path).status_code == 400
    db.session.expire_all()
    assert db.session.scalar(sa.select(Subscriber.status)) == SubscriberStatus.PENDING


def test_subscribing_again_after_leaving_needs_a_new_confirmation(client):
    subscriber = SubscriberFactory(email="torna@example.org",
                                   status=SubscriberStatus.UNSUBSCRIBED)
    db.session.commit()
    _subscribe(client, email="torna@example.org")
    db.session.expire_all()
    assert db.session.get(Subscriber, subscriber.id).status == SubscriberStatus.PENDING
    assert len(_outbox("torna@example.org")) == 1


def test_the_registration_opt_in_starts_the_same_double_opt_in(app):
    from app.registrations.signals import registration_created

    registration = RegistrationFactory(email="iscritta@example.org", newsletter_opt_in=True,
                                       language="en", consent_version="2026-01")
    registration_created.send(registration)
    other = RegistrationFactory(email="no-grazie@example.org", newsletter_opt_in=False)
    registration_created.send(other)
    db.session.commit()

    subscriber = db.session.scalar(sa.select(Subscriber))
    assert subscriber.email == "iscritta@example.org"
    assert subscriber.status == SubscriberStatus.PENDING
    assert subscriber.consent_source == "registration"
    assert subscriber.language == "en"
    [mail] = _outbox("iscritta@example.org")
    assert "/newsletter/confirm/" in mail.body_text
    assert _outbox("no-grazie@example.org") == []


def test_the_registration_opt_in_leaves_an_active_subscriber_alone(app):
    from app.registrations.signals import registration_created

    SubscriberFactory(email="attiva@example.org")
    registration = RegistrationFactory(email="attiva@example.org", newsletter_opt_in=True)
    registration_created.send(registration)
    db.session.commit()
    assert _outbox("attiva@example.org") == []
    assert db.session.scalar(sa.select(Subscriber.status)) == SubscriberStatus.ACTIVE


def test_tokens_are_long_and_random(client):
    _subscribe(client)
    subscriber = db.session.scalar(sa.select(Subscriber))
    assert len(subscriber.token) >= 32 and len(subscriber.confirm_token) >= 32
    assert subscriber.token != subscriber.confirm_token
    with pytest.raises(services.InvalidToken):
        services.subscriber_by_token(subscriber.token[:-1] + "x")


def test_the_home_page_offers_the_free_signup(client):
    page = client.get("/").get_data(as_text=True)
    assert "Registrati gratuitamente" in page
    assert 'action="/newsletter/"' in page


def test_the_back_office_menu_links_the_newsletter(client, auth):
    from tests.factories import UserFactory

    auth.login(UserFactory())
    db.session.commit()
    page = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/newsletter/"' in page

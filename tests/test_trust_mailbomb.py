"""Nobody can flood an address through our forms; the sign-up form carries a CSRF token."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.db import utcnow
from app.extensions import db
from app.mail.models import OutboxMessage
from tests.factories import EventFactory, SubscriberFactory, UserFactory


def mails_to(address: str, category: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.recipient == address, OutboxMessage.category == category))


def signup(client, email="vittima@example.org"):
    return client.post("/newsletter/", data={"email": email, "consent": "y", "topics": ["events"],
                                             "language": "it", "source": "form"})


def test_fifteen_signups_for_one_address_send_one_confirmation(client, monkeypatch):
    answers = {signup(client).headers.get("Location") for _ in range(15)}
    assert answers == {"/newsletter/check-your-inbox"}  # the same answer every time
    assert mails_to("vittima@example.org", "newsletter-confirm") == 1
    # The first link still works: later sign-ups did not replace it.
    mail = db.session.scalar(sa.select(OutboxMessage))
    link = mail.body_text.split("http://localhost", 1)[1].split()[0]
    assert client.get(link).status_code == 200

    import app.mail.cooldown as cooldown

    later = utcnow() + timedelta(minutes=11)
    monkeypatch.setattr(cooldown, "utcnow", lambda: later)
    signup(client)
    assert mails_to("vittima@example.org", "newsletter-confirm") == 2


def test_a_daily_cap_holds_even_when_the_cool_down_has_passed(app):
    from app.mail.cooldown import DAILY_CAP, may_send

    start = utcnow().replace(hour=0, minute=5)
    sent = [may_send("x@example.org", "k", start + timedelta(minutes=11 * n)) for n in range(DAILY_CAP + 3)]
    assert sent == [True] * DAILY_CAP + [False] * 3
    assert may_send("x@example.org", "k", start + timedelta(days=1))
    assert may_send("y@example.org", "k", start)  # another address is not held back


def test_registering_again_and_again_sends_one_already_registered_mail(client):
    EventFactory(slug="conf")
    db.session.commit()
    data = {"first_name": "Maria", "last_name": "Rossi", "email": "maria@example.org",
            "organisation": "Coop", "category": "terzo_settore", "country": "IT", "privacy_consent": "y"}
    answers = {client.post("/events/conf/register", data=data).headers.get("Location") for _ in range(6)}
    assert len(answers) == 1
    assert mails_to("maria@example.org", "registration.confirmed") == 1
    assert mails_to("maria@example.org", "registration.already_registered") == 1


def test_password_reset_requests_are_cooled_down_too(client):
    UserFactory(email="elena@example.org")
    db.session.commit()
    for _ in range(5):
        assert client.post("/admin/forgot-password", data={"email": "elena@example.org"}).status_code == 303
    assert mails_to("elena@example.org", "auth.password_reset") == 1


def test_the_signup_form_needs_its_csrf_token_but_one_click_unsubscribe_does_not(app, client):
    subscriber = SubscriberFactory()
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    assert signup(client).status_code == 400
    assert mails_to("vittima@example.org", "newsletter-confirm") == 0
    page = client.get("/newsletter/?email=vittima@example.org").get_data(as_text=True)
    assert 'name="csrf_token"' in page and 'value="vittima@example.org"' in page
    resp = client.post(f"/newsletter/unsubscribe/{subscriber.token}",
                       data={"List-Unsubscribe": "One-Click"})
    assert resp.status_code == 200
    db.session.refresh(subscriber)
    assert subscriber.status.value == "unsubscribed"

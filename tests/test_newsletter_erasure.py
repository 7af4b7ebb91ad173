"""A subscriber sees, downloads and erases their newsletter data; an administrator can too."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.audit import record
from app.audit.models import AuditEntry
from app.auth.models import Role
from app.db import utcnow
from app.extensions import db
from app.imports.models import StagedImport
from app.imports.services import forget_address
from app.mail.models import MailCooldown, OutboxMessage
from app.newsletter import services
from app.newsletter.models import (
    Delivery,
    DeliveryStatus,
    Subscriber,
    SubscriberStatus,
    SubscriberTopic,
)
from tests.backoffice import sign_in, text
from tests.factories import CampaignFactory, SubscriberFactory, UserFactory
from tests.test_trust_erasure import where_found

EMAIL = "filiberta.quarantotto@example.org"
NAME = "Filiberta Quarantotto"
NOTE = "Modulo cartaceo, workshop di Mestre 17/01/2022"


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def well_known_subscriber(client) -> tuple[Subscriber, list[int]]:
    """A subscriber who signed up, confirmed, received issues and lies in a staged import."""
    client.post("/newsletter/", data={"email": EMAIL, "name": NAME, "topics": ["events"],
                                      "language": "it", "consent": "y"})
    subscriber = db.session.scalar(sa.select(Subscriber).where(Subscriber.email == EMAIL))
    assert subscriber is not None, "the sign-up form changed"
    services.confirm_subscription(subscriber.confirm_token)
    subscriber.consent_note = NOTE
    other = SubscriberFactory()
    sent_at = utcnow() - timedelta(days=3)
    campaigns = []
    for status, error in ((DeliveryStatus.SENT, ""),
                          (DeliveryStatus.FAILED, f"550 5.1.1 <{EMAIL}>: mailbox full")):
        campaign = CampaignFactory(status="sent", sent_at=sent_at)
        db.session.flush()
        campaigns.append(campaign.id)
        db.session.add_all([
            Delivery(campaign_id=campaign.id, subscriber_id=subscriber.id, status=status,
                     sent_at=sent_at if status == DeliveryStatus.SENT else None, last_error=error),
            Delivery(campaign_id=campaign.id, subscriber_id=other.id, status=DeliveryStatus.SENT,
                     sent_at=sent_at),
        ])
    uploader = UserFactory(role=Role.ADMIN)
    db.session.flush()
    db.session.add(StagedImport(
        kind="subscribers", user_id=uploader.id, filename="list.csv",
        header=["email", "nome", "consenso"],
        rows=[[EMAIL.upper(), NAME, NOTE], ["someone@example.org", "Someone", "Fiera"],
              ["", f"{NAME} <{EMAIL}>", "Fiera"]],
        expires_at=utcnow() + timedelta(minutes=30)))
    record("newsletter.note", subscriber, summary=f"Wrote to {EMAIL}", about=NAME)
    db.session.commit()
    found = set(where_found(EMAIL, NAME, NOTE))
    assert {"newsletter_subscribers.email~" + EMAIL, "newsletter_subscribers.name~" + NAME,
            "newsletter_subscribers.consent_note~" + NOTE, "outbox.recipient~" + EMAIL,
            "newsletter_deliveries.last_error~" + EMAIL, "staged_imports.rows~" + EMAIL,
            "audit_log.summary~" + EMAIL} <= found, found
    assert count(MailCooldown) == 1
    return subscriber, campaigns


def test_the_subscriber_downloads_everything_stored_about_them(client):
    subscriber, campaigns = well_known_subscriber(client)
    resp = client.get(f"/newsletter/data/{subscriber.token}.json")
    assert resp.status_code == 200
    assert "attachment" in resp.headers["Content-Disposition"]
    assert "no-store" in resp.headers["Cache-Control"]
    data = json.loads(resp.get_data(as_text=True))
    assert data["subscriber"]["email"] == EMAIL
    assert data["subscriber"]["name"] == NAME
    assert data["subscriber"]["topics"] == ["events"]
    assert data["consent"]["note"] == NOTE
    assert data["consent"]["privacy_text_version"]
    assert [d["status"] for d in data["issues_sent_to_you"]] == ["sent", "failed"]
    assert [m["kind"] for m in data["emails_to_you"]] == ["newsletter-confirm"]
    assert client.get("/newsletter/data/not-a-real-token.json").status_code == 404


def test_the_manage_pages_offer_download_and_erasure(client):
    subscriber, _ = well_known_subscriber(client)
    for path in (f"/newsletter/preferences/{subscriber.token}", f"/newsletter/unsubscribe/{subscriber.token}"):
        page = text(client.get(path))
        assert f"/newsletter/data/{subscriber.token}.json" in page
        assert f"/newsletter/erase/{subscriber.token}" in page


def test_erasure_removes_the_person_from_every_table_and_keeps_the_counts(client):
    subscriber, campaigns = well_known_subscriber(client)
    before = services.counters_for(campaigns)
    sid, token = subscriber.id, subscriber.token

    page = client.get(f"/newsletter/erase/{token}")
    assert page.status_code == 200 and f'action="/newsletter/erase/{token}"' in text(page)
    assert count(Subscriber) == 2  # a GET changes nothing
    resp = client.post(f"/newsletter/erase/{token}")
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith("/newsletter/erased")
    assert client.get(resp.headers["Location"]).status_code == 200

    assert where_found(EMAIL, NAME, NOTE) == []
    assert where_found("filiberta", "quarantotto") == []
    erased = db.session.get(Subscriber, sid)
    assert erased.is_erased and erased.status == SubscriberStatus.UNSUBSCRIBED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SubscriberTopic)
                             .where(SubscriberTopic.subscriber_id == sid)) == 0
    assert erased.consent_ip == erased.consent_user_agent == erased.consent_version == ""
    # Each issue's figures are what they were; it reached someone who left after it.
    assert services.counters_for(campaigns) == before
    assert services.unsubscribed_after(campaigns)[campaigns[0]] == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.recipient == EMAIL)) == 0
    staged = db.session.scalar(sa.select(StagedImport))
    assert [row[0] for row in staged.rows] == ["someone@example.org"]
    assert count(MailCooldown) == 0
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "newsletter.subscriber_erased"))
    assert (entry.object_type, entry.object_id, entry.summary) == ("subscriber", sid, "")
    assert entry.details == {"reason": "subscriber"}

    # The old links open nothing any more.
    for path in (f"/newsletter/preferences/{token}", f"/newsletter/unsubscribe/{token}",
                 f"/newsletter/data/{token}.json", f"/newsletter/erase/{token}"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/newsletter/erase/{token}").status_code == 404


def test_an_erased_address_can_subscribe_again_from_scratch(client):
    subscriber, _ = well_known_subscriber(client)
    old_id = subscriber.id
    client.post(f"/newsletter/erase/{subscriber.token}")
    client.post("/newsletter/", data={"email": EMAIL, "name": "F.", "topics": ["funding"],
                                      "language": "en", "consent": "y"})
    again = db.session.scalar(sa.select(Subscriber).where(Subscriber.email == EMAIL))
    assert again is not None and again.id != old_id
    assert again.status == SubscriberStatus.PENDING and again.topics == ["funding"]
    assert again.consent_note == "" and again.confirmed_at is None
    # The confirmation e-mail goes out at once: the erased address is no longer held back.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.recipient == EMAIL)) == 1


def test_erasure_is_a_post_with_a_csrf_token(app, client):
    subscriber, _ = well_known_subscriber(client)
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get(f"/newsletter/erase/{subscriber.token}")
    assert 'name="csrf_token"' in text(page)
    assert client.post(f"/newsletter/erase/{subscriber.token}").status_code in (200, 400)
    db.session.expire_all()
    assert db.session.get(Subscriber, subscriber.id).email == EMAIL


def test_an_administrator_downloads_and_erases_audited_by_id_only(client, auth):
    subscriber, campaigns = well_known_subscriber(client)
    before = services.counters_for(campaigns)
    sid = subscriber.id
    admin = UserFactory(role=Role.ADMIN)
    sign_in(client, auth, admin)
    listing = text(client.get("/admin/newsletter/subscribers"))
    assert f"/admin/newsletter/subscribers/{sid}/erase" in listing

    data = client.get(f"/admin/newsletter/subscribers/{sid}/data.json")
    assert data.status_code == 200 and json.loads(data.get_data())["subscriber"]["email"] == EMAIL
    assert client.get(f"/admin/newsletter/subscribers/{sid}/erase").status_code == 200
    resp = client.post(f"/admin/newsletter/subscribers/{sid}/erase")
    assert resp.status_code == 302

    assert where_found(EMAIL, NAME, NOTE) == []
    assert services.counters_for(campaigns) == before
    entries = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action.in_(["newsletter.subscriber_exported", "newsletter.subscriber_erased"]))
        .order_by(AuditEntry.id)).all()
    assert [(e.action, e.object_id, e.user_id) for e in entries] == [
        ("newsletter.subscriber_exported", sid, admin.id),
        ("newsletter.subscriber_erased", sid, admin.id)]
    assert {e.summary for e in entries} <= {"", f"#{sid}"}
    listing = text(client.get("/admin/newsletter/subscribers"))
    assert f"Erased (#{sid})" in listing
    assert client.get(f"/admin/newsletter/subscribers/{sid}/erase").status_code == 404


@pytest.mark.parametrize("role", [Role.ORGANISER])
def test_organisers_cannot_read_or_erase_subscribers(client, auth, role):
    subscriber = SubscriberFactory()
    sign_in(client, auth, UserFactory(role=role))
    assert client.get(f"/admin/newsletter/subscribers/{subscriber.id}/data.json").status_code == 403
    assert client.post(f"/admin/newsletter/subscribers/{subscriber.id}/erase").status_code == 403
    db.session.expire_all()
    assert not db.session.get(Subscriber, subscriber.id).is_erased


def test_a_staged_row_goes_only_when_it_holds_that_very_address(app):
    uploader = UserFactory()
    db.session.flush()
    staged = StagedImport(kind="subscribers", user_id=uploader.id, header=["email", "nome"],
                          rows=[["anna@example.org", "Anna"], ["marianna@example.org", "Marianna"],
                                ["", "Anna Bianchi <ANNA@example.org>"], ["anna@example.org.it", "Altra"]],
                          expires_at=utcnow() + timedelta(minutes=30))
    only = StagedImport(kind="subscribers", user_id=uploader.id, header=["email"],
                        rows=[["anna@example.org"]], expires_at=utcnow() + timedelta(minutes=30))
    db.session.add_all([staged, only])
    db.session.flush()
    assert forget_address("Anna@example.org") == 3
    assert [row[1] for row in staged.rows] == ["Marianna", "Altra"]
    assert db.session.get(StagedImport, only.id) is None  # nothing left of that upload


def test_an_issue_still_on_its_way_is_not_sent_to_an_erased_subscriber(client):
    subscriber = SubscriberFactory(email=EMAIL, name=NAME)
    campaign = CampaignFactory(status="sending")
    db.session.flush()
    delivery = Delivery(campaign_id=campaign.id, subscriber_id=subscriber.id)
    db.session.add(delivery)
    db.session.commit()
    client.post(f"/newsletter/erase/{subscriber.token}")
    db.session.expire_all()
    assert db.session.get(Delivery, delivery.id).status == DeliveryStatus.SKIPPED
    assert services.recipients_count(campaign) == 0

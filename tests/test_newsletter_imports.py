"""Subscribers imported from another list: consent stated per row, double opt-in by default."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.auth.models import Role
from app.extensions import db
from app.imports.models import StagedImport
from app.mail.models import OutboxMessage
from app.newsletter.models import Subscriber, SubscriberStatus
from tests.backoffice import import_row, sign_in, staged_id, text
from tests.factories import SubscriberFactory, UserFactory

LIST = (
    "email,nome,lingua,fonte del consenso\n"
    "anna@example.org,Anna Bianchi,it,Modulo cartaceo - Workshop Mestre 17/01/2022\n"  # 2 fine
    "marco@example.org,Marco Neri,en,\n"                                                # 3 no consent
    "not-an-address,Paolo,it,Fiera 2025\n"                                              # 4 bad address
    "ANNA@example.org,Anna B.,it,Fiera 2025\n"                                          # 5 same as 2
    "left@example.org,Left,it,Fiera 2025\n"                                             # 6 unsubscribed
    "jean@example.org,Jean Martin,en,Partner list TALIA - consent form 2024\n"          # 7 fine
)
MAPPING = {"email": "email", "name": "nome", "language": "lingua", "consent_source": "fonte del consenso"}


@pytest.fixture
def admin():
    return UserFactory(role=Role.ADMIN)


def upload(client, body: str = LIST) -> int:
    return staged_id(client.post("/admin/newsletter/import",
                                 data={"file": (io.BytesIO(body.encode()), "list.csv")},
                                 content_type="multipart/form-data"))


def subscribers() -> dict[str, Subscriber]:
    return {s.email: s for s in db.session.scalars(sa.select(Subscriber))}


def test_rows_without_consent_are_refused_and_the_others_get_the_double_opt_in(client, auth, admin):
    SubscriberFactory(email="left@example.org", status=SubscriberStatus.UNSUBSCRIBED)
    sign_in(client, auth, admin)
    staged_id = upload(client)
    page = text(client.get(f"/admin/newsletter/import/{staged_id}"))
    assert "Confirmation e-mail" in import_row(page, 2)
    assert "No consent source" in import_row(page, 3)
    assert "is not a valid e-mail address" in import_row(page, 4)
    assert "The same address is on line 2" in import_row(page, 5)
    assert "unsubscribed" in import_row(page, 6)
    assert "2 to import, 4 not imported" in page

    resp = client.post(f"/admin/newsletter/import/{staged_id}", data=dict(MAPPING, action="import"))
    assert resp.status_code == 302
    found = subscribers()
    assert found["anna@example.org"].status == SubscriberStatus.PENDING
    assert found["anna@example.org"].consent_note == "Modulo cartaceo - Workshop Mestre 17/01/2022"
    assert found["anna@example.org"].consent_source == "import"
    assert found["jean@example.org"].language == "en"
    assert "marco@example.org" not in found
    assert found["left@example.org"].status == SubscriberStatus.UNSUBSCRIBED
    confirmations = db.session.scalars(sa.select(OutboxMessage.recipient)
                                       .where(OutboxMessage.category == "newsletter-confirm")).all()
    assert sorted(confirmations) == ["anna@example.org", "jean@example.org"]
    assert db.session.scalar(sa.select(sa.func.count(StagedImport.id))) == 0
    # The evidence is shown beside the address, with where the consent came from.
    listing = text(client.get("/admin/newsletter/subscribers"))
    assert "imported list" in listing
    assert "Modulo cartaceo - Workshop Mestre 17/01/2022" in listing
    assert "Subscribers imported" in text(client.get("/admin/audit"))


def test_cancelling_writes_nothing(client, auth, admin):
    sign_in(client, auth, admin)
    staged_id = upload(client)
    client.post(f"/admin/newsletter/import/{staged_id}/cancel")
    assert subscribers() == {}
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(StagedImport.id))) == 0


def test_importing_as_confirmed_needs_a_reason_and_is_audited(client, auth, admin):
    sign_in(client, auth, admin)
    staged_id = upload(client)
    resp = client.post(f"/admin/newsletter/import/{staged_id}",
                       data=dict(MAPPING, action="import", confirmed="y", reason=""))
    assert resp.status_code == 200
    assert "Say why these addresses need no confirmation e-mail." in text(resp)
    assert subscribers() == {}

    resp = client.post(f"/admin/newsletter/import/{staged_id}", data=dict(
        MAPPING, action="import", confirmed="y", reason="Confirmed on the TALIA partner platform"))
    assert resp.status_code == 302
    found = subscribers()
    assert found["anna@example.org"].status == SubscriberStatus.ACTIVE
    assert found["anna@example.org"].consent_source == "import-confirmed"
    assert found["jean@example.org"].topics  # every topic, as the sign-up form's default
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "newsletter.import"))
    assert entry.user_id == admin.id
    assert entry.details["reason"] == "Confirmed on the TALIA partner platform"
    assert entry.details["confirmed"] == 3  # anna, jean and left@ (a new address in this test)


def test_an_organiser_imports_with_the_double_opt_in_only_and_learns_no_subscriber(client, auth):
    SubscriberFactory(email="jean@example.org")
    organiser = UserFactory(role=Role.ORGANISER)
    sign_in(client, auth, organiser)
    staged_id = upload(client)
    page = text(client.get(f"/admin/newsletter/import/{staged_id}"))
    assert 'name="confirmed"' not in page
    assert "Confirmation e-mail" in import_row(page, 7)  # not "Already a subscriber"
    client.post(f"/admin/newsletter/import/{staged_id}",
                data=dict(MAPPING, action="import", confirmed="y", reason="trust me"))
    found = subscribers()
    assert found["anna@example.org"].status == SubscriberStatus.PENDING
    assert found["jean@example.org"].status == SubscriberStatus.ACTIVE  # left as it was
    recipients = db.session.scalars(sa.select(OutboxMessage.recipient)).all()
    assert sorted(recipients) == ["anna@example.org", "left@example.org"]  # jean gets nothing

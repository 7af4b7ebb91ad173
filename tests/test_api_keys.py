"""Organisers' API keys: created and revoked in the back-office, stored hashed, reaching
only their own events, audited and rate-limited; registrations as JSON and check-in."""
from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from app.api import keys
from app.api.models import ApiKey
from app.audit import AuditEntry
from app.extensions import db
from app.registrations.models import RegistrationStatus
from tests.factories import EventFactory, RegistrationFactory, UserFactory


@pytest.fixture
def organiser(app):
    user = UserFactory(email="organiser@example.org")
    db.session.commit()
    return user


@pytest.fixture
def own_event(organiser):
    event = EventFactory(slug="mestre", title="Workshop a Mestre")
    event.organisers.append(organiser)
    RegistrationFactory(event=event, first_name="Maria", last_name="Rossi",
                        email="maria.rossi@example.org", token="t" * 43,
                        checkin_token="k" * 43)
    db.session.commit()
    return event


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_organiser_creates_a_key_seen_once_and_stored_hashed(client, auth, organiser, own_event):
    auth.login(organiser)
    resp = client.post("/admin/api-keys/", data={"name": "Scanner ingresso", "scope": ""})
    html = resp.get_data(as_text=True)
    assert resp.headers["Cache-Control"] == "no-store"
    key = db.session.scalar(sa.select(ApiKey))
    start = html.index(f"ev_{key.prefix}_")
    plain = html[start:start + len(f"ev_{key.prefix}_") + 43]
    assert keys.KEY_RE.match(plain)
    assert key.key_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert plain not in "".join(str(v) for v in vars(key).values())
    # Shown once: the list afterwards shows only the prefix.
    again = client.get("/admin/api-keys/").get_data(as_text=True)
    assert plain not in again and f"ev_{key.prefix}_" in again
    assert db.session.scalar(sa.select(AuditEntry.action).where(
        AuditEntry.object_type == "apikey")) == "api_key.create"


def test_the_key_form_needs_a_name_and_shows_the_error_beside_it(client, auth, organiser):
    auth.login(organiser)
    html = client.post("/admin/api-keys/", data={"name": "  ", "scope": ""}).get_data(as_text=True)
    assert 'id="name-errors"' in html
    assert db.session.scalar(sa.select(sa.func.count(ApiKey.id))) == 0


def test_registrations_as_json_carry_the_export_columns(client, organiser, own_event):
    _, plain = keys.create_key(organiser, "foglio", None)
    db.session.commit()
    resp = client.get(f"/api/v1/organiser/events/{own_event.id}/registrations",
                      headers=bearer(plain))
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    assert "Access-Control-Allow-Origin" not in resp.headers
    reg = resp.get_json()["items"][0]
    assert (reg["first_name"], reg["last_name"], reg["email"]) == (
        "Maria", "Rossi", "maria.rossi@example.org")
    assert {"organisation", "category", "country", "attendance_mode", "status", "parts",
            "needs", "newsletter_opt_in", "registered_at", "checked_in_at", "cancelled_at",
            "answers"} <= set(reg)
    assert db.session.scalar(sa.select(AuditEntry.summary).where(
        AuditEntry.action == "registration.export")).startswith("api ")


def test_a_key_reaches_only_its_owners_events_and_its_own_scope(client, organiser, own_event):
    other = EventFactory(slug="altro")
    mine_too = EventFactory(slug="anche-mio")
    mine_too.organisers.append(organiser)
    _, all_mine = keys.create_key(organiser, "tutti", None)
    _, one = keys.create_key(organiser, "uno", own_event)
    db.session.commit()
    url = "/api/v1/organiser/events/{}/registrations"
    assert client.get(url.format(other.id), headers=bearer(all_mine)).status_code == 403
    assert client.get(url.format(mine_too.id), headers=bearer(all_mine)).status_code == 200
    assert client.get(url.format(mine_too.id), headers=bearer(one)).status_code == 403
    assert client.get(url.format(own_event.id), headers=bearer(one)).status_code == 200
    assert client.get(url.format(own_event.id)).status_code == 401
    assert client.get(url.format(own_event.id), headers=bearer(one[:-1] + "x")).status_code == 401


def test_a_revoked_key_or_a_deactivated_owner_stops_working(client, auth, organiser, own_event):
    key, plain = keys.create_key(organiser, "vecchio", None)
    db.session.commit()
    url = f"/api/v1/organiser/events/{own_event.id}/registrations"
    auth.login(organiser)
    client.post(f"/admin/api-keys/{key.id}/revoke")
    assert client.get(url, headers=bearer(plain)).status_code == 401
    assert db.session.scalar(sa.select(AuditEntry.action).where(
        AuditEntry.action == "api_key.revoke")) == "api_key.revoke"
    _, fresh = keys.create_key(organiser, "nuovo", None)
    organiser.active = False
    db.session.commit()
    assert client.get(url, headers=bearer(fresh)).status_code == 401


def test_another_organiser_cannot_revoke_my_key(client, auth, organiser, own_event):
    key, _ = keys.create_key(organiser, "mio", None)
    db.session.commit()
    auth.login(UserFactory(email="someone@example.org"))
    assert client.post(f"/admin/api-keys/{key.id}/revoke").status_code == 403
    assert key.revoked_at is None


def test_check_in_by_the_check_in_token_of_the_qr_code_only(client, organiser, own_event):
    # At the door: check-in opens 90 minutes before the start.
    from datetime import timedelta

    from app.db import utcnow

    own_event.starts_at = utcnow() + timedelta(minutes=30)
    own_event.ends_at = own_event.starts_at + timedelta(hours=4)
    _, plain = keys.create_key(organiser, "porta", own_event)
    db.session.commit()
    url = f"/api/v1/organiser/events/{own_event.id}/checkin"
    # The attendee's private link opens nothing at the door: only the QR's check-in token.
    assert client.post(url, json={"token": "t" * 43}, headers=bearer(plain)).status_code == 404
    first = client.post(url, json={"token": "k" * 43}, headers=bearer(plain))
    assert first.status_code == 200
    assert first.get_json()["already_checked_in"] is False
    assert first.get_json()["registration"]["checked_in_at"]
    second = client.post(url, json={"token": "k" * 43}, headers=bearer(plain))
    assert second.get_json()["already_checked_in"] is True
    assert client.post(url, json={"token": "u" * 43}, headers=bearer(plain)).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
        AuditEntry.action == "registration.checkin")) == 2


def test_check_in_refuses_a_cancelled_registration(client, organiser, own_event):
    reg = RegistrationFactory(event=own_event, status=RegistrationStatus.CANCELLED,
                              checkin_token="c" * 43)
    _, plain = keys.create_key(organiser, "porta", own_event)
    db.session.commit()
    resp = client.post(f"/api/v1/organiser/events/{own_event.id}/checkin",
                       json={"token": "c" * 43}, headers=bearer(plain))
    assert resp.status_code == 409
    assert reg.checked_in_at is None


def test_keys_are_rate_limited_per_key(app):
    from app import create_app
    from app.extensions import limiter
    from tests.conftest import BACKEND, make_config

    limited = create_app(make_config(RATELIMIT_ENABLED=True, API_KEY_RATE_LIMIT="3 per minute"))
    with limited.app_context():
        if BACKEND == "sqlite":
            db.create_all()  # its own in-memory database
        owner = UserFactory()
        event = EventFactory()
        event.organisers.append(owner)
        _, plain = keys.create_key(owner, "veloce", None)
        _, other = keys.create_key(owner, "altro", None)
        db.session.commit()
        c = limited.test_client()
        url = f"/api/v1/organiser/events/{event.id}/registrations"
        try:
            codes = [c.get(url, headers=bearer(plain)).status_code for _ in range(4)]
            second_key = c.get(url, headers=bearer(other)).status_code
            limited_answer = c.get(url, headers=bearer(plain))
        finally:
            limiter.reset()
            db.session.remove()
            db.engine.dispose()
    assert codes == [200, 200, 200, 429]
    assert second_key == 200
    assert limited_answer.mimetype == "application/problem+json"
    assert limited_answer.headers.get("Retry-After")

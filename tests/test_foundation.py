"""The frame: health check, error pages, language, drafts never shown."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.events.models import EventStatus
from app.extensions import db
from tests.factories import EventFactory


def test_healthz_reports_database_ok(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_is_unreachable(app, client, monkeypatch):
    def broken(*args, **kwargs):
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("down"))

    monkeypatch.setattr(db.session, "execute", broken)
    resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json()["database"] == "unreachable"


def test_unknown_page_gives_404_in_italian_then_english(client):
    resp = client.get("/events/no-such-event/")
    assert resp.status_code == 404
    assert "Pagina non trovata" in resp.get_data(as_text=True)
    client.post("/language", data={"lang": "en", "next": "/"})
    resp = client.get("/events/no-such-event/")
    assert "Page not found" in resp.get_data(as_text=True)


def test_language_switch_refuses_an_outside_next(client):
    resp = client.post("/language", data={"lang": "en", "next": "https://evil.example/"})
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/"


def test_draft_events_never_appear(client):
    EventFactory(title="Bozza segreta", slug="bozza", status=EventStatus.DRAFT)
    EventFactory(title="Evento pubblico", slug="pubblico")
    db.session.commit()
    listing = client.get("/events/").get_data(as_text=True)
    assert "Evento pubblico" in listing
    assert "Bozza segreta" not in listing
    assert "Bozza segreta" not in client.get("/").get_data(as_text=True)
    assert client.get("/events/bozza/").status_code == 404


def test_settings_come_from_the_environment_with_the_eventi_prefix(monkeypatch):
    from app import create_app

    monkeypatch.setenv("EVENTI_SCHEDULER_LEASE_SECONDS", "30")
    monkeypatch.setenv("EVENTI_SITE_NAME", "Eventi CCIAA")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "k"})
    assert app.config["SCHEDULER_LEASE_SECONDS"] == 30
    assert app.config["SITE_NAME"] == "Eventi CCIAA"


@pytest.mark.parametrize("url", [
    "/events/%00/",
    "/events/%00/register",
    "/events/?q=%00",
    "/calendar.ics?q=%00",
    "/calendar/%00a.ics",
    "/projects/%00/",
    "/newsletter/confirm/%00a",
])
def test_a_nul_byte_anywhere_in_the_address_is_a_bad_request(client, url):
    assert client.get(url).status_code == 400


def test_a_nul_byte_in_a_form_field_is_a_bad_request_and_writes_nothing(client):
    from app.registrations.models import Registration

    EventFactory(slug="evento")
    db.session.commit()
    resp = client.post("/events/evento/register", data={
        "first_name": "Anna", "last_name": "Bianchi", "email": "anna@example.org",
        "organisation": "ACME\x00", "consent": "y",
    })
    assert resp.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


@pytest.mark.parametrize("url, status", [
    ("/events/?page=99999999999999999999", 400),
    ("/newsletter/archive/?page=99999999999999999999", 400),
    ("/newsletter/archive/99999999999999999999/", 404),
])
def test_absurd_numbers_in_the_address_get_a_clear_answer_not_a_crash(client, url, status):
    EventFactory(slug="evento")
    db.session.commit()
    assert client.get(url).status_code == status


def test_absurd_ids_in_back_office_addresses_are_not_found(client, auth):
    from app.auth.models import Role
    from tests.factories import UserFactory

    admin = UserFactory(role=Role.ADMIN)
    db.session.commit()
    auth.login(admin)
    assert client.get("/admin/events/99999999999999999999/").status_code == 404
    assert client.get("/admin/outbox?event_id=99999999999999999999").status_code == 400

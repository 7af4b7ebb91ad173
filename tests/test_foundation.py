"""The frame: health check, error pages, language, drafts never shown."""
from __future__ import annotations

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

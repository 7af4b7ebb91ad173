"""Bad input never gives a 500: wrong body types, NUL and lone surrogates, huge bodies, control characters."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.registrations.models import Registration
from tests.factories import EventFactory, SessionFactory, UserFactory, VenueFactory

FORM = {"first_name": "Maria", "last_name": "Rossi", "email": "maria@example.org", "organisation": "Coop",
        "category": "terzo_settore", "country": "IT", "privacy_consent": "y"}


@pytest.fixture
def event(app):
    event = EventFactory(slug="conf")
    db.session.commit()
    return event


def count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Registration.id)))


@pytest.mark.parametrize("content_type,body", [
    ("application/json", json.dumps({**FORM, "first_name": "\ud800"})),
    ("application/json", json.dumps(FORM)),
    ("text/plain", "first_name=Maria"),
    ("application/xml", "<a/>"),
    ("", "first_name=Maria"),
])
def test_a_form_page_refuses_any_body_but_a_form(client, event, content_type, body):
    resp = client.post("/events/conf/register", data=body, content_type=content_type or None)
    assert resp.status_code in (400, 415)
    assert count() == 0


@pytest.mark.parametrize("path", ["/events/?q=%00", "/events/?q=a\x00b"])
def test_nul_in_the_query_is_a_400(client, path):
    assert client.get(path).status_code == 400


def test_nul_in_a_header_or_a_form_field_is_a_400(client, event):
    assert client.get("/", headers={"X-Anything": "a\x00b"}).status_code == 400
    assert client.post("/events/conf/register", data={**FORM, "last_name": "Ro\x00ssi"}).status_code == 400
    assert count() == 0


def test_a_lone_surrogate_in_json_to_the_api_is_a_400_not_a_500(app, client):
    app.add_url_rule("/api/probe", "api_probe", lambda: "ok", methods=["POST"])
    resp = client.post("/api/probe", data='{"name": "\\ud800"}', content_type="application/json")
    assert resp.status_code == 400
    assert client.post("/api/probe", data='{"name": "ok"}', content_type="application/json").status_code == 200


def test_a_body_over_the_limit_is_413_with_a_page(app, client, event):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    resp = client.post("/events/conf/register", data={**FORM, "needs": "x" * 5000})
    assert resp.status_code == 413
    assert "troppo grande" in resp.get_data(as_text=True)
    assert count() == 0


def test_line_breaks_and_control_characters_leave_single_line_fields(app, client, auth, event):
    client.post("/events/conf/register", data={**FORM, "first_name": "Maria\r\nBcc: x@evil.example",
                                               "organisation": "Coop\x0bSociale\x07"})
    reg = db.session.scalar(sa.select(Registration))
    assert reg.first_name == "Maria Bcc: x@evil.example" and reg.organisation == "Coop Sociale"
    venue = VenueFactory(name="Sala\nGrande\u2028Nord")
    session = SessionFactory(event=event, title="Apertura\tlavori\r\n", room="Aula\x00 1")
    db.session.commit()
    assert venue.name == "Sala Grande Nord"
    assert session.title == "Apertura lavori " and session.room == "Aula 1"
    ics = client.get("/events/conf/calendar.ics?programme=1")
    assert ics.status_code == 200 and b"Apertura lavori" in ics.data


def test_the_cleaning_keeps_ordinary_text(app):
    from app.security.single_line import single_line

    assert single_line("Conferenza\r\nfinale\x1b") == "Conferenza finale"
    assert single_line("già pulito – ok") == "già pulito – ok"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example",
                                    "/\t/evil.example", "javascript:alert(1)"])
def test_the_language_switch_only_returns_to_this_site(client, target):
    resp = client.post("/language", data={"lang": "en", "next": target})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    ok = client.post("/language", data={"lang": "en", "next": "/events/?when=past"})
    assert ok.headers["Location"] == "/events/?when=past"


def test_the_login_form_refuses_json_too(client):
    UserFactory(email="elena@example.org")
    db.session.commit()
    resp = client.post("/admin/login", data=json.dumps({"email": "elena@example.org", "password": "x"}),
                       content_type="application/json")
    assert resp.status_code == 415


def test_the_migration_cleans_rows_written_before_and_gives_each_a_check_in_code(tmp_path):
    from flask_migrate import upgrade

    from app import create_app
    from tests.conftest import BACKEND, make_config

    if BACKEND == "postgres":
        pytest.skip("the SQLite file is enough to exercise the data step")
    app = create_app(make_config(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'old.db'}"))
    with app.app_context():
        upgrade(revision="0002")
        now = "2026-01-01 00:00:00"
        with db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO venues (id, slug, name, address, city, postcode, country, accessibility_notes,"
                " created_at, updated_at) VALUES (1, 'sala', :n, '', 'Mestre\r\n', '', 'IT', '', :t, :t)"), {"n": "Sala\nGrande\x07", "t": now})
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT name, city FROM venues")).one() == ("Sala Grande", "Mestre ")
        db.engine.dispose()

"""Secure by default: production settings, and the headers a security review expects."""
from __future__ import annotations

import os
import re

import pytest
import sqlalchemy as sa

from app.auth.models import Role
from app.extensions import db
from tests.factories import CampaignFactory, EventFactory, SubscriberFactory, UserFactory

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/ld\+json)[^>]*>", re.I)


def directives(response) -> dict[str, str]:
    csp = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d.strip() for d in csp.split(";") if d.strip()}


@pytest.fixture
def production(monkeypatch, tmp_path):
    """create_app() as `gunicorn wsgi:app` calls it: no configuration given."""
    monkeypatch.delenv("EVENTI_SETTINGS", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    monkeypatch.setenv("SECRET_KEY", "production-secret")

    def make():
        from app import create_app

        return create_app()

    return make


@pytest.mark.skipif("SESSION_COOKIE_SECURE" in os.environ, reason="set by the environment")
def test_gunicorn_wsgi_app_runs_production_settings_without_demo(production, monkeypatch):
    app = production()
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["REMEMBER_COOKIE_SECURE"] is True
    assert not app.debug
    with app.app_context():
        db.create_all()
        from app.events.models import Event

        assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 0  # no demo by itself
        UserFactory(email="elena@example.org", password="una password lunga")
        db.session.commit()
        client = app.test_client()
        token_page = client.get("/admin/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', token_page).group(1)
        resp = client.post("/admin/login", data={"email": "elena@example.org", "csrf_token": csrf,
                                                 "password": "una password lunga"})
        cookie = next(h for h in resp.headers.getlist("Set-Cookie") if h.startswith("session="))
        assert "Secure" in cookie
        db.session.remove()

    monkeypatch.setenv("EVENTI_SETTINGS", "local")  # what `make run` exports
    assert production().config["SESSION_COOKIE_SECURE"] is False


def test_every_page_carries_the_security_headers(app, client):
    event = EventFactory(slug="conf", description="![x](https://tracker.example/p.png)")
    db.session.commit()
    for path in ("/", "/events/", "/events/conf/", "/events/conf/", "/admin/login", "/nope", "/calendar.ics"):
        resp = client.get(path)
        d = directives(resp)
        assert d["script-src"] == "script-src 'self'", path  # no unsafe-inline, no eval
        assert d["frame-ancestors"] == "frame-ancestors 'none'", path
        assert d["object-src"] == "object-src 'none'"
        assert "https://tracker.example" not in d["img-src"]
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["Referrer-Policy"] == "strict-origin-when-cross-origin", path
        assert "camera=()" in resp.headers["Permissions-Policy"]
        assert "Strict-Transport-Security" not in resp.headers
    assert event.id


def test_hsts_is_sent_when_configured(app, client):
    app.config["HSTS_SECONDS"] = 31536000
    assert client.get("/").headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_the_event_page_served_from_the_fast_path_carries_them_too(app):
    EventFactory(slug="conf")
    db.session.commit()
    client = app.test_client()
    first, second = client.get("/events/conf/"), client.get("/events/conf/")
    assert second.status_code == 200
    for resp in (first, second):
        assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
        assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_no_page_has_an_inline_script(app, client, auth):
    EventFactory(slug="conf")
    db.session.commit()
    pages = [client.get(p).get_data(as_text=True) for p in ("/", "/events/", "/events/conf/", "/newsletter/")]
    auth.login(UserFactory(role=Role.ADMIN))
    pages += [client.get(p).get_data(as_text=True) for p in ("/admin/", "/admin/events/")]
    for html in pages:
        assert "<script" in html
        assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html).group(0)
        assert " onclick=" not in html and " onload=" not in html and "javascript:" not in html


def test_admin_and_token_pages_are_never_cached_and_token_pages_send_no_referrer(app, client, auth):
    from app.registrations.models import Registration

    EventFactory(slug="conf")
    subscriber = SubscriberFactory()
    db.session.commit()
    client.post("/events/conf/register", data={
        "first_name": "Maria", "last_name": "Rossi", "email": "maria@example.org", "organisation": "Coop",
        "category": "terzo_settore", "country": "IT", "privacy_consent": "y"})
    reg = db.session.scalar(sa.select(Registration))
    for path in (f"/registrations/{reg.token}/", f"/registrations/{reg.token}/cancel",
                 f"/newsletter/preferences/{subscriber.token}", f"/newsletter/unsubscribe/{subscriber.token}"):
        resp = client.get(path)
        assert resp.status_code == 200, path
        assert resp.headers["Cache-Control"] == "no-store", path
        assert resp.headers["Referrer-Policy"] == "no-referrer", path
    assert client.get("/").headers.get("Cache-Control") != "no-store"
    auth.login(UserFactory(role=Role.ADMIN))
    for path in ("/admin/", "/admin/events/", "/admin/outbox"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path


def test_only_marked_views_may_be_framed(app, client, auth):
    from app.security.headers import embeddable

    app.add_url_rule("/embed/probe", "embed_probe", embeddable(lambda: "framed"))
    app.config["EMBED_ALLOWED_ORIGINS"] = "https://partner.example"
    resp = client.get("/embed/probe")
    assert directives(resp)["frame-ancestors"] == "frame-ancestors https://partner.example"
    assert "X-Frame-Options" not in resp.headers

    campaign = CampaignFactory()
    db.session.commit()
    auth.login(UserFactory(role=Role.ADMIN))
    preview = client.get(f"/admin/newsletter/{campaign.id}/preview.html")
    assert directives(preview)["frame-ancestors"] == "frame-ancestors 'self'"


def test_markdown_images_come_only_from_the_site_or_listed_hosts(app):
    from app.text import render_markdown

    app.config["CONTENT_IMAGE_HOSTS"] = ("images.camcom.example",)
    html = str(render_markdown(
        "![a](https://tracker.example/p.png) ![b](/static/logo.png) ![c](https://images.camcom.example/c.png)"
        " ![d](http://images.camcom.example/d.png) ![e](//tracker.example/e.png)"))
    assert "tracker.example" not in html and "http://images" not in html
    assert 'src="/static/logo.png"' in html and 'src="https://images.camcom.example/c.png"' in html
    assert ">a " in html or "a " in html  # the refused image leaves its alt text

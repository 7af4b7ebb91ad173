"""Signing in to the back-office: who gets in, where they land, what the cookie says."""
from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from app import create_app
from app.auth.models import User
from app.extensions import db, limiter
from tests.conftest import BACKEND, Client, make_config
from tests.factories import UserFactory


def login(client, email, password, next_url=None):
    data = {"email": email, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/admin/login", data=data)


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    resp = client.get("/admin/events/")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/admin/login?next=")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Area organizzatori" in page and 'type="password"' in page


def test_an_organiser_logs_in_and_lands_where_they_were_going(client, app):
    user = UserFactory(email="elena@example.org", password="una password lunga")
    db.session.commit()
    resp = login(client, "Elena@Example.org", "una password lunga", next_url="/admin/events/")
    assert resp.status_code == 302 and resp.headers["Location"] == "/admin/events/"
    assert db.session.get(User, user.id).last_login_at is not None
    assert client.get("/admin/").status_code == 200


def test_a_wrong_password_is_refused_beside_the_field(client):
    UserFactory(email="elena@example.org", password="una password lunga")
    db.session.commit()
    resp = login(client, "elena@example.org", "sbagliata")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "E-mail o password errati." in page
    assert 'aria-invalid="true"' in page
    assert client.get("/admin/").status_code == 302


def test_an_unknown_email_gets_the_same_answer(client):
    page = login(client, "nobody@example.org", "whatever123").get_data(as_text=True)
    assert "E-mail o password errati." in page


def test_a_deactivated_account_cannot_log_in_or_keep_its_session(client, auth):
    user = UserFactory(email="gone@example.org", password="una password lunga")
    db.session.commit()
    auth.login(user)
    assert client.get("/admin/").status_code == 200
    user.active = False
    db.session.commit()
    assert client.get("/admin/").status_code == 302
    assert "E-mail o password errati." in login(client, "gone@example.org",
                                                 "una password lunga").get_data(as_text=True)


def test_next_only_redirects_to_local_paths(client):
    UserFactory(email="elena@example.org", password="una password lunga")
    db.session.commit()
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"):
        resp = login(client, "elena@example.org", "una password lunga", next_url=target)
        assert resp.headers["Location"] == "/admin/", target
        client.post("/admin/logout")


def test_logout_is_a_post_and_ends_the_session(client, auth):
    user = UserFactory()
    db.session.commit()
    auth.login(user)
    assert client.get("/admin/logout").status_code == 405
    resp = client.post("/admin/logout")
    assert resp.headers["Location"] == "/admin/login"
    assert client.get("/admin/").status_code == 302


def test_logout_needs_the_csrf_token(app, client, auth):
    user = UserFactory()
    db.session.commit()
    auth.login(user)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/admin/logout").status_code == 400
    assert client.get("/admin/").status_code == 200


def test_the_session_cookie_is_httponly_and_samesite_lax(client):
    UserFactory(email="elena@example.org", password="una password lunga")
    db.session.commit()
    resp = login(client, "elena@example.org", "una password lunga")
    cookie = next(h for h in resp.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


@pytest.mark.skipif("SESSION_COOKIE_SECURE" in os.environ, reason="set by the environment")
def test_outside_development_the_session_cookie_is_secure():
    from app.config import Config, DevelopmentConfig

    assert Config.SESSION_COOKIE_SECURE is True
    assert Config.REMEMBER_COOKIE_SECURE is True
    assert DevelopmentConfig.SESSION_COOKIE_SECURE is False  # plain http on 127.0.0.1


def test_login_attempts_are_rate_limited(_postgres_schema):
    # The test configuration turns limiting off; this app turns it on.
    app = create_app(make_config(RATELIMIT_ENABLED=True))
    app.test_client_class = Client
    with app.app_context():
        if BACKEND != "postgres":
            db.create_all()
        client = app.test_client()
        try:
            codes = [login(client, "x@example.org", "wrong-password").status_code
                     for _ in range(11)]
            page = client.get("/admin/login")
        finally:
            limiter.reset()
            db.session.remove()
            db.engine.dispose()
    assert codes[:10] == [200] * 10
    assert codes[10] == 429
    # Reading the page is not limited.
    assert page.status_code == 200


def test_the_login_page_speaks_english_on_request(client):
    client.post("/language", data={"lang": "en", "next": "/"})
    page = client.get("/admin/login").get_data(as_text=True)
    assert "Organisers&#39; area" in page or "Organisers' area" in page
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0

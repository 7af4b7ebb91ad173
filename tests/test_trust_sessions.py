"""Back-office sessions end when they should; forgotten passwords; login throttling."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.auth.models import Role, User
from app.db import utcnow
from app.extensions import db
from app.mail.models import OutboxMessage
from tests.factories import UserFactory

PASSWORD = "una password lunga"


def login(client, email, password=PASSWORD, addr="127.0.0.1"):
    return client.post("/admin/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": addr})


def copy_of(client, app):
    """A second browser holding a copy of the first one's session cookie."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def logged_in(client) -> bool:
    return client.get("/admin/").status_code == 200


@pytest.fixture
def elena(app):
    user = UserFactory(email="elena@example.org", password=PASSWORD)
    db.session.commit()
    return user


def test_a_copied_cookie_stops_working_after_logout(app, client, elena):
    assert login(client, "elena@example.org").status_code == 302
    thief = copy_of(client, app)
    assert logged_in(thief)
    client.post("/admin/logout")
    assert not logged_in(thief)


@pytest.mark.parametrize("change", ["reset", "role", "deactivate", "cli"])
def test_a_copied_cookie_stops_working_after_an_account_change(app, client, elena, change, runner):
    admin = UserFactory(role=Role.ADMIN)
    db.session.commit()
    login(client, "elena@example.org")
    thief = copy_of(client, app)
    assert logged_in(thief)
    boss = app.test_client()
    with boss.session_transaction() as sess:
        sess["_user_id"] = admin.get_id()
    if change == "reset":
        assert boss.post(f"/admin/users/{elena.id}/reset-password").status_code == 200
    elif change == "role":
        boss.post(f"/admin/users/{elena.id}/edit", data={"name": "Elena", "role": "admin", "active": "y"})
        assert db.session.get(User, elena.id).role == Role.ADMIN
    elif change == "deactivate":
        boss.post(f"/admin/users/{elena.id}/edit", data={"name": "Elena", "role": "organiser"})
        assert not db.session.get(User, elena.id).active
        db.session.get(User, elena.id).active = True
        db.session.commit()
    else:
        result = runner.invoke(args=["users", "set-password", "elena@example.org", "--password-stdin"],
                               input="nuova password lunga\n")
        assert result.exit_code == 0, result.output
        assert db.session.get(User, elena.id).check_password("nuova password lunga")
    assert not logged_in(thief)
    assert not logged_in(client)


def test_a_back_office_session_ends_after_hours_without_activity(app, client, elena, monkeypatch):
    import app.auth.sessions as sessions

    app.config["ADMIN_SESSION_HOURS"] = 12
    login(client, "elena@example.org")
    start = utcnow()
    monkeypatch.setattr(sessions, "utcnow", lambda: start + timedelta(hours=11))
    assert logged_in(client)  # activity keeps it alive
    monkeypatch.setattr(sessions, "utcnow", lambda: start + timedelta(hours=22))
    assert logged_in(client)
    monkeypatch.setattr(sessions, "utcnow", lambda: start + timedelta(hours=34, minutes=1))
    resp = client.get("/admin/")
    assert resp.status_code == 302 and "/admin/login" in resp.headers["Location"]


def reset_link() -> str:
    mail = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.category == "auth.password_reset")
                              .order_by(OutboxMessage.id.desc())).first()
    return re.search(r"http://localhost(/admin/reset-password/[A-Za-z0-9_-]+)", mail.body_text).group(1)


def outbox_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))


def test_a_forgotten_password_is_reset_from_a_single_use_e_mailed_link(app, client, elena):
    login(client, "elena@example.org")
    thief = copy_of(client, app)
    visitor = app.test_client()
    unknown = visitor.post("/admin/forgot-password", data={"email": "nobody@example.org"})
    known = visitor.post("/admin/forgot-password", data={"email": "Elena@example.org"})
    assert unknown.status_code == known.status_code == 303
    assert visitor.get(known.headers["Location"]).get_data(as_text=True) == \
        visitor.get(unknown.headers["Location"]).get_data(as_text=True)
    assert outbox_count() == 1
    link = reset_link()

    form = visitor.get(link)
    assert form.status_code == 200 and form.headers["Cache-Control"] == "no-store"
    assert "no-referrer" in form.headers["Referrer-Policy"]
    resp = visitor.post(link, data={"password": "nuova password lunga", "confirm": "nuova password lunga"})
    assert resp.status_code == 302
    assert db.session.get(User, elena.id).check_password("nuova password lunga")
    assert not logged_in(thief)
    assert visitor.get(link).status_code == 404  # single use
    assert login(app.test_client(), "elena@example.org", "nuova password lunga").status_code == 302


def test_a_reset_link_expires_after_thirty_minutes(app, client, elena, monkeypatch):
    import app.auth.passwords as passwords

    client.post("/admin/forgot-password", data={"email": "elena@example.org"})
    link = reset_link()
    later = utcnow() + timedelta(minutes=31)
    monkeypatch.setattr(passwords, "utcnow", lambda: later)
    assert client.get(link).status_code == 404
    client.post(link, data={"password": "nuova password lunga", "confirm": "nuova password lunga"})
    assert db.session.get(User, elena.id).check_password(PASSWORD)


def test_users_set_password_reads_stdin(runner, elena):
    result = runner.invoke(args=["users", "set-password", "elena@example.org", "--password-stdin"],
                           input="corta\n")
    assert result.exit_code != 0
    result = runner.invoke(args=["users", "set-password", "nobody@example.org", "--password-stdin"],
                           input="nuova password lunga\n")
    assert result.exit_code != 0
    assert db.session.get(User, elena.id).check_password(PASSWORD)


def test_a_flood_on_one_account_backs_off_that_account_whatever_the_address(app, client, elena, monkeypatch):
    import app.auth.throttle as throttle

    UserFactory(email="marco@example.org", password=PASSWORD)
    db.session.commit()
    for n in range(8):
        login(client, "elena@example.org", "wrong guess", addr=f"10.0.0.{n + 1}")
    refused = login(client, "elena@example.org", addr="10.9.9.9")
    assert refused.status_code == 200 and "Troppi tentativi" in refused.get_data(as_text=True)
    assert login(app.test_client(), "marco@example.org", addr="10.9.9.9").status_code == 302
    later = utcnow() + timedelta(hours=2)
    monkeypatch.setattr(throttle, "utcnow", lambda: later)
    assert login(app.test_client(), "elena@example.org", addr="10.9.9.9").status_code == 302


def test_one_address_trying_many_accounts_is_slowed_down_but_others_are_not(app, client, elena):
    for n in range(8):
        login(client, f"guess{n}@example.org", "wrong guess", addr="10.0.0.66")
    assert "Troppi tentativi" in login(client, "elena@example.org", addr="10.0.0.66").get_data(as_text=True)
    assert login(app.test_client(), "elena@example.org", addr="10.0.0.67").status_code == 302


def test_failures_grow_the_wait_exponentially(app):
    from app.auth.throttle import backoff_seconds

    waits = [backoff_seconds(n) for n in range(1, 12)]
    assert waits[:4] == [0, 0, 0, 0]
    assert all(b >= 2 * a for a, b in zip(waits[5:], waits[6:], strict=False) if b < 3600)

"""What an operator relies on in production: request ids, logs, proxy headers, the 503
page when the database is down, /readyz, /metrics, fingerprinted static files and
SECRET_KEY rotation."""
from __future__ import annotations

import io
import json
import logging
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import create_app
from app.db import utcnow
from app.extensions import db
from app.mail.models import OutboxMessage
from app.ops.logs import configure_logging
from app.scheduler.models import SchedulerLease
from tests.conftest import make_config
from tests.factories import EventFactory
from tests.smtpd import free_port
from tests.test_registration_views import form

# -- request ids ------------------------------------------------------------------------


def test_every_answer_names_its_request_and_a_proxy_id_is_kept(client):
    first = client.get("/privacy").headers["X-Request-ID"]
    second = client.get("/privacy").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second
    kept = client.get("/privacy", headers={"X-Request-ID": "3f9a1c0b2d4e5f60"})
    assert kept.headers["X-Request-ID"] == "3f9a1c0b2d4e5f60"
    forged = client.get("/privacy", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["X-Request-ID"])


def test_an_error_page_shows_the_id_an_operator_finds_in_the_log(client, caplog):
    with caplog.at_level(logging.INFO, logger="eventi.request"):
        resp = client.get("/no-such-page", headers={"X-Request-ID": "req-0000000042"})
    assert resp.status_code == 404
    assert "req-0000000042" in resp.get_data(as_text=True)
    [line] = [r for r in caplog.records if r.name == "eventi.request"]
    assert line.request_id == "req-0000000042" and line.status == 404
    assert "GET /no-such-page 404" in line.getMessage()


def test_the_e_mails_a_request_queues_carry_its_id(client):
    EventFactory(slug="evento", capacity=10)
    db.session.commit()
    resp = client.post("/events/evento/register", data=form(),
                       headers={"X-Request-ID": "reg-request-0001"})
    assert resp.status_code == 303
    mail = db.session.scalar(sa.select(OutboxMessage))
    assert mail.headers["X-Request-ID"] == "reg-request-0001"
    from app.mail.smtp import build_message

    assert build_message(mail)["X-Request-ID"] == "reg-request-0001"


def test_json_logs_are_one_object_per_line_with_the_request_id(client):
    stream = io.StringIO()
    handler = configure_logging("json", "INFO", stream=stream)
    try:
        client.get("/privacy", headers={"X-Request-ID": "json-log-000001"})
    finally:
        logging.getLogger().removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    [entry] = [e for e in lines if e["logger"] == "eventi.request"]
    assert entry["request_id"] == "json-log-000001"
    assert entry["route"] == "/privacy" and entry["status"] == 200 and entry["method"] == "GET"
    assert entry["duration_ms"] >= 0


# -- behind the proxy -----------------------------------------------------------------------


def _remote_addr_app(**settings):
    app = create_app(make_config(**settings))
    app.add_url_rule("/whoami", "whoami", lambda: __import__("flask").request.remote_addr)
    return app


def test_forwarded_addresses_are_ignored_unless_a_proxy_is_configured():
    headers = {"X-Forwarded-For": "203.0.113.9"}
    plain = _remote_addr_app().test_client()
    assert plain.get("/whoami", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.2"}).text == "10.0.0.2"
    proxied = _remote_addr_app(PROXY_FIX_X_FOR=1, PROXY_FIX_X_PROTO=1).test_client()
    assert proxied.get("/whoami", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.2"}).text == "203.0.113.9"
    # A client cannot add hops: with one proxy only the address it appended counts.
    spoofed = {"X-Forwarded-For": "127.0.0.1, 203.0.113.9"}
    assert proxied.get("/whoami", headers=spoofed, environ_base={"REMOTE_ADDR": "10.0.0.2"}).text == "203.0.113.9"


# -- the database is unreachable -------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "sqlite:////nonexistent-folder/eventi.db",
    "postgresql+psycopg://postgres@127.0.0.1:{port}/eventi?connect_timeout=2",
])
def test_every_route_answers_503_with_retry_after_when_the_database_is_down(url):
    app = create_app(make_config(SQLALCHEMY_DATABASE_URI=url.format(port=free_port())))
    client = app.test_client()
    for path in ("/", "/events/", "/events/some-event/", "/events/some-event/calendar.ics",
                 "/calendar.ics", "/readyz"):
        resp = client.get(path)
        assert resp.status_code == 503, path
        assert resp.headers["Retry-After"] == "5"
    page = client.get("/").get_data(as_text=True)
    assert "Temporaneamente non disponibile" in page
    resp = client.post("/events/some-event/register", data=form())
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"


# -- readiness ------------------------------------------------------------------------------


def _stamp_head(app):
    from app.ops.readiness import _migration_heads

    with app.app_context():
        heads = _migration_heads()
    db.session.execute(sa.text("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
    db.session.execute(sa.text("DELETE FROM alembic_version"))
    for head in heads:
        db.session.execute(sa.text("INSERT INTO alembic_version VALUES (:v)"), {"v": head})
    db.session.commit()


@pytest.fixture
def unstamped(app):
    """No alembic_version table before or after (the PostgreSQL test database is reused)."""
    def drop():
        db.session.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()

    drop()
    yield
    drop()


def _lease(age_seconds: float):
    now = utcnow()
    db.session.merge(SchedulerLease(
        name="scheduler", holder="web1:42:abc", acquired_at=now - timedelta(hours=1),
        renewed_at=now - timedelta(seconds=age_seconds),
        expires_at=now - timedelta(seconds=age_seconds) + timedelta(seconds=20)))
    db.session.commit()


def test_readyz_names_pending_migrations_and_a_silent_scheduler(app, client, unstamped):
    resp = client.get("/readyz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["failing"] == ["migrations", "scheduler"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["migrations"].startswith("pending: ")
    assert body["checks"]["scheduler"] == "no scheduler has ever run"

    _stamp_head(app)
    _lease(age_seconds=3)
    resp = client.get("/readyz")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == {"status": "ok", "failing": [], "checks": {
        "database": "ok", "migrations": "ok", "scheduler": "ok"}}

    _lease(age_seconds=95)
    body = client.get("/readyz").get_json()
    assert body["failing"] == ["scheduler"]
    assert body["checks"]["scheduler"].startswith("lease last renewed 95s ago")

    # A newer release migrated the database (rolling upgrade): this host says so.
    db.session.execute(sa.text("UPDATE alembic_version SET version_num = 'f00dfeed0042'"))
    db.session.commit()
    body = client.get("/readyz").get_json()
    assert body["checks"]["migrations"] == "database is ahead of this release: f00dfeed0042"


def test_readyz_checks_redis_when_it_is_configured(app, client, unstamped):
    _stamp_head(app)
    _lease(age_seconds=1)
    app.config["CACHE_REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"
    body = client.get("/readyz").get_json()
    assert body["failing"] == ["redis_cache"]
    assert body["checks"]["redis_cache"].startswith("unreachable")


# -- metrics --------------------------------------------------------------------------------


def test_metrics_count_requests_by_route_and_read_the_backlog_from_the_database(client):
    from tests.factories import RegistrationFactory

    event = EventFactory(slug="evento", capacity=10)
    RegistrationFactory(event=event)
    db.session.commit()
    assert client.get("/events/evento/").status_code == 200
    assert client.get("/events/evento/").status_code == 200  # from the fast path
    client.get("/no-such-page")
    text = client.get("/metrics").get_data(as_text=True)

    def value(pattern):
        match = re.search(r"^" + re.escape(pattern) + r" (-?[0-9.e+]+)$", text, re.M)
        assert match, pattern
        return float(match.group(1))

    assert value('eventi_http_requests_total{method="GET",route="/events/<slug>/",status="200"}') >= 2
    assert value('eventi_http_requests_total{method="GET",route="unmatched",status="404"}') >= 1
    assert value('eventi_http_request_duration_seconds_count{route="/events/<slug>/"}') >= 2
    assert value('eventi_registrations{status="confirmed"}') == 1
    assert 'eventi_outbox_oldest_due_seconds ' in text
    assert value("eventi_scheduler_lease_age_seconds") == -1


def test_metrics_are_refused_to_addresses_not_listed(app, client):
    outside = client.get("/metrics", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert outside.status_code == 403
    app.extensions["eventi_metrics_networks"] = __import__("app.ops.metrics", fromlist=["x"]) \
        .allowed_networks({"METRICS_ALLOWED_NETWORKS": "198.51.100.0/24"})
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 200


# -- static files ---------------------------------------------------------------------------


def test_static_files_have_fingerprinted_names_cached_for_a_year(app, client):
    page = client.get("/privacy").get_data(as_text=True)
    match = re.search(r'href="(/static/css/eventi\.([0-9a-f]{12})\.css)"', page)
    assert match, "the stylesheet link is fingerprinted"
    fingerprinted = client.get(match.group(1))
    assert fingerprinted.status_code == 200
    assert fingerprinted.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    plain = client.get("/static/css/eventi.css")
    assert plain.data == fingerprinted.data
    assert "immutable" not in plain.headers.get("Cache-Control", "")
    # A name from another release still finds today's file, but is not cached for a year.
    stale = client.get("/static/css/eventi.000000000000.css")
    assert stale.status_code == 200 and "immutable" not in stale.headers.get("Cache-Control", "")
    assert client.get("/static/css/nothing.0123456789ab.css").status_code == 404


def test_a_changed_file_gets_a_new_name(app, tmp_path):
    from app.ops.assets import Fingerprints

    (tmp_path / "site.css").write_text("body { color: red }")
    prints = Fingerprints(str(tmp_path))
    before = prints.name_for("site.css")
    import os
    import time

    (tmp_path / "site.css").write_text("body { color: blue }")
    os.utime(tmp_path / "site.css", (time.time() + 5, time.time() + 5))
    after = prints.name_for("site.css")
    assert before != after and re.fullmatch(r"site\.[0-9a-f]{12}\.css", after)
    assert prints.name_for("../secret.txt") is None


# -- rotating SECRET_KEY -----------------------------------------------------------------------


def test_rotating_the_secret_key_keeps_people_logged_in_while_the_old_key_is_listed():
    old = create_app(make_config(SECRET_KEY="old-key-" + "x" * 40))
    client = old.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = "7"
        sess["marker"] = "still here"
    cookie = client.get_cookie("session").value

    def session_seen_by(app):
        other = app.test_client()
        other.set_cookie("session", cookie)
        with other.session_transaction() as sess:
            return sess.get("marker")

    rotated = create_app(make_config(SECRET_KEY="new-key-" + "y" * 40,
                                     SECRET_KEY_FALLBACKS=["old-key-" + "x" * 40]))
    assert session_seen_by(rotated) == "still here"
    dropped = create_app(make_config(SECRET_KEY="new-key-" + "y" * 40, SECRET_KEY_FALLBACKS=[]))
    assert session_seen_by(dropped) is None


def test_secret_key_fallbacks_come_from_the_environment(monkeypatch):
    from app.config import _list

    monkeypatch.setenv("SECRET_KEY_FALLBACKS", "older-key, oldest-key")
    assert _list("SECRET_KEY_FALLBACKS") == ["older-key", "oldest-key"]


def test_a_connection_cut_after_the_answer_was_built_does_not_turn_it_into_an_error(monkeypatch):
    import sqlite3

    # No outer app context: teardown runs as in production. Its own SQLite database, whose
    # driver's error it simulates: on the shared PostgreSQL one the connection left open by
    # the failed rollback would block the next test's clean-up.
    app = create_app(make_config(SQLALCHEMY_DATABASE_URI="sqlite://"))
    app.add_url_rule("/count-users", "count_users",
                     lambda: str(db.session.scalar(sa.text("SELECT count(*) FROM users"))))
    with app.app_context():
        db.create_all()
        dialect = db.engine.dialect
    real_rollback = dialect.do_rollback
    cut = {"done": False}

    def rollback_on_a_dead_connection(dbapi_connection):
        if not cut["done"]:
            cut["done"] = True
            raise sqlite3.OperationalError("terminating connection due to administrator command")
        return real_rollback(dbapi_connection)

    monkeypatch.setattr(dialect, "do_rollback", rollback_on_a_dead_connection)
    client = app.test_client()
    resp = client.get("/count-users")
    assert cut["done"] and resp.status_code == 200 and resp.text == "0"
    assert client.get("/count-users").text == "0"  # the next request finds a working session


def test_each_gunicorn_instance_has_its_own_control_socket_or_none(monkeypatch, tmp_path):
    import os
    import runpy
    import shutil

    from gunicorn.config import Config

    from app import ROOT

    for name in ("GUNICORN_CONTROL_SOCKET", "PROMETHEUS_MULTIPROC_DIR", "RUNTIME_DIRECTORY"):
        # setenv first, so monkeypatch remembers the original state (unset) and restores it
        # after the file below has set PROMETHEUS_MULTIPROC_DIR itself.
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("RUNTIME_DIRECTORY", str(tmp_path))  # what systemd gives each unit
    conf = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    assert conf["control_socket"] == str(tmp_path / "gunicorn.ctl")
    assert "control_socket_disable" not in conf
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(tmp_path / "prometheus")
    settings = Config()
    for name, value in conf.items():
        if name in settings.settings:
            settings.set(name, value)  # gunicorn 27 knows and accepts every setting
    assert settings.worker_class_str == "gthread" and settings.threads == 8 and settings.forwarded_allow_ips == []

    monkeypatch.delenv("RUNTIME_DIRECTORY")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    conf = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    assert conf["control_socket_disable"] is True and "control_socket" not in conf
    shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)

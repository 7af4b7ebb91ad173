"""Fixtures: an app on SQLite (default) or on PostgreSQL when DATABASE_BACKEND=postgres.

Every run prints how to replay it: the random order's seed (pytest-randomly) and the
clock, real or shifted with EVENTI_TEST_NOW (see tests/clock.py).
"""
from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from flask import g
from flask.testing import FlaskClient

from app import create_app
from app.auth.models import Role
from app.config import TestConfig
from app.extensions import db
from tests import clock
from tests.factories import UserFactory

BACKEND = os.environ.get("DATABASE_BACKEND", "sqlite")
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
if PG_URL.startswith("postgresql://"):
    PG_URL = "postgresql+psycopg://" + PG_URL[len("postgresql://"):]


def make_config(**overrides):
    url = PG_URL if BACKEND == "postgres" else "sqlite://"
    return type("Cfg", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, **overrides})


def _reset_postgres() -> None:
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def _postgres_schema():
    if BACKEND != "postgres":
        yield
        return
    if not PG_URL:
        pytest.exit("DATABASE_BACKEND=postgres needs TEST_DATABASE_URL", returncode=2)
    app = create_app(make_config())
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.engine.dispose()
    yield


class Client(FlaskClient):
    """The tests keep an app context open, which requests would share; give each
    request a clean `g` as a real server does (flask-login and flask-babel cache there)."""

    def open(self, *args, **kwargs):
        g.__dict__.clear()
        try:
            return super().open(*args, **kwargs)
        finally:
            g.__dict__.clear()


@pytest.fixture
def app(_postgres_schema):
    app = create_app(make_config())
    app.test_client_class = Client
    with app.app_context():
        if BACKEND == "postgres":
            _reset_postgres()
        else:
            db.create_all()
        yield app
        db.session.remove()
        if BACKEND != "postgres":
            db.drop_all()
        db.engine.dispose()


@pytest.fixture
def organiser(app):
    """An organiser's account (flushed): the tests give it events to run."""
    return UserFactory(role=Role.ORGANISER)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    """Log a user in or out of the test client."""

    def __init__(self, client):
        self._client = client

    def login(self, user) -> None:
        with self._client.session_transaction() as sess:
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True

    def logout(self) -> None:
        with self._client.session_transaction() as sess:
            sess.clear()


@pytest.fixture
def auth(client):
    return AuthActions(client)


class QueryLog:
    """Called, the number of SQL statements run so far; `.log` holds their text."""

    def __init__(self, statements: list[str]) -> None:
        self.log = statements

    def __call__(self) -> int:
        return len(self.log)


@pytest.fixture
def count_queries(app):
    """Context manager that counts SQL statements: `with count_queries() as n: ...; n()`."""
    from contextlib import contextmanager

    @contextmanager
    def counter():
        statements: list[str] = []

        def before(conn, cursor, statement, *args):
            statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield QueryLog(statements)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", before)

    return counter


@pytest.fixture
def smtp_server(app):
    """A local SMTP server; the app is configured to deliver to it."""
    from tests.smtpd import SMTPServer

    server = SMTPServer().start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port,
                      MAIL_USE_TLS=False, MAIL_USE_SSL=False)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _no_outside_smtp(monkeypatch):
    """Fail any test that would open an SMTP connection beyond this machine."""
    import smtplib

    real_connect = smtplib.SMTP.connect

    def connect(self, host="localhost", port=0, source_address=None):
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise AssertionError(f"a test tried to reach the SMTP server {host}:{port}")
        return real_connect(self, host, port, source_address)

    monkeypatch.setattr(smtplib.SMTP, "connect", connect)


# --- the clock and the replay line -----------------------------------------------------

_STARTED = pytest.StashKey[str]()


@pytest.fixture(autouse=True)
def _test_clock(request):
    """Start each test at EVENTI_TEST_NOW when it is set (ticking from there), and note
    the instant each test started at, so a failure says when to replay it."""
    moment = clock.shifted_to()
    if moment is None:
        request.node.stash[_STARTED] = clock.stamp(clock.now())
        yield
        return
    import time_machine

    with time_machine.travel(moment, tick=True):
        request.node.stash[_STARTED] = clock.stamp(clock.now())
        yield


def _seed(config) -> str:
    seed = getattr(config.option, "randomly_seed", None)
    return str(seed) if seed is not None else "none (pytest-randomly is off: file order)"


def _clock_line() -> str:
    moment = clock.shifted_to()
    if moment is None:
        return "clock: real"
    return f"clock: every test starts at {clock.ENV}={clock.stamp(moment)} and ticks"


def pytest_report_header(config):
    return [_clock_line()]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed and _STARTED in item.stash:
        report.sections.append(("clock", f"the test started at {item.stash[_STARTED]}"))
    report.eventi_started = item.stash.get(_STARTED, "")
    return report


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Always say how to get this run again; for each failure, when it ran."""
    tr = terminalreporter
    tr.write_line(f"random order seed: {_seed(config)}; {_clock_line()}")
    failed = [r for kind in ("failed", "error") for r in tr.stats.get(kind, [])
              if getattr(r, "when", "call") in ("setup", "call", "teardown")]
    if not failed:
        return
    tr.section("replay", sep="-")
    seed = getattr(config.option, "randomly_seed", None)
    order = f"--randomly-seed={seed}" if seed is not None else "-p no:randomly"
    backend = f"DATABASE_BACKEND={BACKEND} " if BACKEND != "sqlite" else ""
    for report in failed:
        started = getattr(report, "eventi_started", "") or "unknown"
        tr.write_line(f"{report.nodeid} started at {started}")
        tr.write_line(f"  replay: {backend}{clock.ENV}={started} pytest {order} '{report.nodeid}'")

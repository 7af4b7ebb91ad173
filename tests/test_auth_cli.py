"""`flask users create` and `flask demo load` from the command line."""
from __future__ import annotations

import sqlalchemy as sa

from app.audit import AuditEntry
from app.auth.models import Role, User
from app.extensions import db


def test_users_create_reads_the_password_from_stdin(runner):
    result = runner.invoke(args=["users", "create", "Elena@Example.org", "--role", "admin",
                                 "--password-stdin"], input="una password lunga\n")
    assert result.exit_code == 0, result.output
    assert "created admin elena@example.org" in result.output
    assert "password" not in result.output.split("\n", 1)[1]
    user = db.session.scalar(sa.select(User))
    assert user.role == Role.ADMIN and user.check_password("una password lunga")
    assert db.session.scalar(sa.select(AuditEntry.action)) == "user.create"


def test_users_create_generates_and_prints_a_password_once(runner):
    result = runner.invoke(args=["users", "create", "org@example.org"])
    assert result.exit_code == 0, result.output
    password = result.output.split("password (shown once): ")[1].strip()
    user = db.session.scalar(sa.select(User))
    assert user.role == Role.ORGANISER and user.check_password(password)


def test_users_create_refuses_bad_input_without_writing_and_says_why(runner):
    # The command speaks the site's default language, Italian.
    bad_email = runner.invoke(args=["users", "create", "not-an-email"])
    assert bad_email.exit_code == 1
    assert "Error: Inserisci un indirizzo e-mail valido." in bad_email.output
    short = runner.invoke(args=["users", "create", "a@example.org", "--password-stdin"],
                          input="corta\n")
    assert short.exit_code == 1
    assert "Error: La password deve avere almeno 10 caratteri." in short.output
    role = runner.invoke(args=["users", "create", "a@example.org", "--role", "boss"])
    assert role.exit_code == 2
    assert "Invalid value for '--role': 'boss' is not one of 'admin', 'organiser'." in role.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0
    runner.invoke(args=["users", "create", "a@example.org"])
    again = runner.invoke(args=["users", "create", "A@example.org"])
    assert again.exit_code == 1
    assert "Error: Esiste già un account con questo indirizzo e-mail." in again.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


def test_demo_load_runs_twice_without_failing(runner):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0, second.output

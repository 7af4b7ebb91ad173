"""Command-line tools: `flask users create`, `flask demo load`, `flask scheduler ...`."""
from __future__ import annotations

import secrets
import sys

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup
from email_validator import EmailNotValidError, validate_email

from app.extensions import db

users_cli = AppGroup("users", help="Manage back-office accounts.")
demo_cli = AppGroup("demo", help="Demo data.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "organiser"]), default="organiser", show_default=True)
@click.option("--name", default="", help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(email: str, role: str, name: str, password_stdin: bool) -> None:
    """Create an account; without --password-stdin a password is generated and printed once."""
    from app.auth.models import Role, User

    try:
        email = validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise click.BadParameter(str(exc), param_hint="EMAIL") from exc
    if db.session.scalar(sa.select(User).where(User.email == email)):
        raise click.ClickException(f"an account for {email} already exists")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if len(password) < 10:
            raise click.ClickException("the password must be at least 10 characters long")
    else:
        password = secrets.token_urlsafe(12)
    user = User(email=email, name=name or email.split("@")[0], role=Role(role))
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"created {role} {email}")
    if not password_stdin:
        click.echo(f"password (shown once): {password}")


@demo_cli.command("load")
def load_demo() -> None:
    """Load the demo projects, events and accounts; running it again creates nothing twice."""
    from app.demo import load

    for line in load():
        click.echo(line)


def register(app: Flask) -> None:
    from app.scheduler.cli import scheduler_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(scheduler_cli)

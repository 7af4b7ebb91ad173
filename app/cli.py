"""Command-line tools: `flask users create`, `flask demo load`, `flask scheduler ...`."""
from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup

from app.auth.models import Role
from app.auth.services import create_user as create_account
from app.auth.services import find_user, reset_password
from app.errors import DomainError
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
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    try:
        user, password = create_account(email, role=Role(role), name=name, password=password)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"created {role} {user.email}")
    if not password_stdin:
        click.echo(f"password (shown once): {password}")


@users_cli.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def set_password(email: str, password_stdin: bool) -> None:
    """Set an account's password; every session of the account ends."""
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no account with the address {email}")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        reset_password(user, by=None, password=password)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"password changed for {user.email}; its sessions have ended")


@demo_cli.command("load")
def load_demo() -> None:
    """Load the demo projects, events and accounts; running it again creates nothing twice."""
    from app.demo import load

    for line in load():
        click.echo(line)


def register(app: Flask) -> None:
    from app.files.cli import storage_cli
    from app.scheduler.cli import scheduler_cli

    app.cli.add_command(storage_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(scheduler_cli)

"""`flask data copy SOURCE TARGET`: move an installation to another database."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

data_cli = AppGroup("data", help="Move the data between databases.")


@data_cli.command("copy")
@click.argument("source")
@click.argument("target")
@click.option("--batch", default=1000, show_default=True, help="Rows per INSERT.")
def copy_command(source: str, target: str, batch: int) -> None:
    """Copy every row from SOURCE to TARGET (an empty database at the same migration)."""
    from app.ops.transfer import copy_database

    try:
        copied = copy_database(source, target, batch=batch, echo=click.echo)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"copied {sum(copied.values())} rows in {len(copied)} tables")


def install(app: Flask) -> None:
    app.cli.add_command(data_cli)

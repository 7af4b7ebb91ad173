"""`flask storage migrate --to s3|database`: move stored files between backends while the
site keeps serving them (one blob per transaction; see services.migrate_blobs)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.extensions import db
from app.files import services, storage

storage_cli = AppGroup("storage", help="Stored files: move them between backends.")


@storage_cli.command("migrate")
@click.option("--to", "to", type=click.Choice(storage.BACKENDS), required=True)
@click.option("--limit", type=int, default=None, help="Move at most this many files.")
def migrate(to: str, limit: int | None) -> None:
    """Copy every file not yet in the backend TO there, one at a time, and commit each."""
    moved = size = 0
    for blob in services.migrate_blobs(to, limit=limit):
        db.session.commit()
        moved += 1
        size += blob.size
    db.session.commit()
    click.echo(f"moved {moved} files ({size / 1048576:.1f} MB) to {to}; "
               f"set STORAGE_BACKEND={to} so new uploads go there too")

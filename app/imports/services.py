"""Reading an uploaded CSV or XLSX list and keeping it until the organiser confirms.

The rule: an uploaded file writes nothing but its own staged copy. The copy belongs to
the person who uploaded it, holds at most IMPORT_MAX_ROWS rows, and is deleted when
the import is confirmed or cancelled, or IMPORT_STAGING_MINUTES after the upload (the
purge job), so the names and addresses in it are not kept beyond their use.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook

from app.db import utcnow
from app.errors import DomainError
from app.extensions import db
from app.imports.models import StagedImport

CELL_MAX = 500  # characters kept of one cell
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ImportFileError(DomainError):
    """The uploaded file cannot be read as a list; the message says why."""

    def __init__(self, message: Any) -> None:
        super().__init__(message, field="file")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date() if value.time() == time(0) else value.replace(microsecond=0)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    # Control characters (a NUL byte from a broken export) never reach the database.
    return CONTROL.sub("", " ".join(str(value).split()))[:CELL_MAX]


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_l("The file is not readable text."))


def _csv_rows(data: bytes) -> list[list[str]]:
    text = _decode(data)
    lines = text.splitlines()
    if lines and re.fullmatch(r"sep=.", lines[0].strip()):  # Excel's separator hint
        delimiter = lines[0].strip()[4]
        lines = lines[1:]
    else:
        try:
            delimiter = csv.Sniffer().sniff(lines[0] if lines else "", delimiters=",;\t").delimiter
        except csv.Error:
            delimiter = ","
    return [[_cell(c) for c in row] for row in csv.reader(lines, delimiter=delimiter)]


def _xlsx_rows(data: bytes) -> list[list[str]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ImportFileError(_l("The file is not a readable XLSX workbook.")) from exc
    try:
        sheet = book.worksheets[0]
        limit = current_app.config["IMPORT_MAX_ROWS"] + 2
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append([_cell(c) for c in row])
            if len(rows) > limit:
                break
        return rows
    finally:
        book.close()


def read_table(data: bytes, filename: str) -> tuple[list[str], list[list[str]]]:
    """The header and the non-empty data rows of a CSV or XLSX file."""
    if not data:
        raise ImportFileError(_l("The file is empty."))
    is_xlsx = data[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx")
    rows = _xlsx_rows(data) if is_xlsx else _csv_rows(data)
    rows = [r for r in rows if any(c for c in r)]
    if len(rows) < 2:
        raise ImportFileError(_l("The file needs a header row and at least one row of data."))
    header = [h or f"#{i}" for i, h in enumerate(rows[0], start=1)]
    body = rows[1:]
    limit = current_app.config["IMPORT_MAX_ROWS"]
    if len(body) > limit:
        raise ImportFileError(_l("The file has more than %(limit)s rows; split it.", limit=limit))
    width = len(header)
    return header, [(r + [""] * width)[:width] for r in body]


def stage_upload(data: bytes, filename: str, *, kind: str, user: Any,
                 event_id: int | None = None, now: datetime | None = None) -> StagedImport:
    """Read the file and keep its rows for the preview; expired uploads are purged first."""
    now = now or utcnow()
    purge_expired(now)
    header, rows = read_table(data, filename)
    staged = StagedImport(
        kind=kind, event_id=event_id, user_id=user.id, filename=filename[:200],
        header=header, rows=rows, created_at=now,
        expires_at=now + timedelta(minutes=current_app.config["IMPORT_STAGING_MINUTES"]),
    )
    db.session.add(staged)
    db.session.flush()
    return staged


def staged_for(staged_id: int, *, kind: str, user: Any, event_id: int | None = None,
               now: datetime | None = None) -> StagedImport | None:
    """The upload if it is still there, unexpired, of this kind, and `user`'s own."""
    staged = db.session.get(StagedImport, staged_id)
    if (staged is None or staged.kind != kind or staged.user_id != user.id
            or staged.event_id != event_id or staged.expires_at <= (now or utcnow())):
        return None
    return staged


def discard(staged: StagedImport) -> None:
    db.session.delete(staged)
    db.session.flush()


def purge_expired(now: datetime | None = None) -> int:
    """Delete uploads nobody confirmed in time; returns how many."""
    deleted = db.session.execute(
        sa.delete(StagedImport).where(StagedImport.expires_at <= (now or utcnow()))
        .returning(StagedImport.id)
    ).all()
    return len(deleted)


def forget_address(address: str) -> int:
    """Remove every staged row holding `address` (its person's data were erased);
    an upload left with no rows goes too. Returns how many rows were removed."""
    needle = address.strip().lower()
    if not needle:
        return 0
    removed = 0
    for staged in db.session.scalars(sa.select(StagedImport)).all():
        kept = [row for row in staged.rows or [] if not any(_holds(cell, needle) for cell in row)]
        if len(kept) == len(staged.rows or []):
            continue
        removed += len(staged.rows) - len(kept)
        if kept:
            staged.rows = kept
        else:
            db.session.delete(staged)
    db.session.flush()
    return removed


def _holds(cell: str, address: str) -> bool:
    """Whether a cell is the address, or names it among other words ("Anna <a@b.it>"),
    but not a longer address that merely ends with it."""
    return address in re.split(r"[\s<>,;:()\[\]\"']+", (cell or "").lower())

"""Registration lists as CSV (for Excel in the reader's locale) and XLSX, streamed, safe
against formulas.

Rows come from one narrow query read in chunks (no objects loaded, each part chosen
read as a column), so memory and the number of queries stay the same for ten or ten
thousand registrations. The CSV is written as it is read; the XLSX is written row by
row to a temporary file (openpyxl's write-only mode) and then sent in chunks.
"""
from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from app.audit import record
from app.events.models import Event, Session
from app.extensions import db
from app.registrations.forms import CATEGORIES, MODES, STATUSES, part_label
from app.registrations.models import Question, Registration, registration_parts

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CHUNK_ROWS = 500
FILE_CHUNK = 64 * 1024
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def neutralise(value: Any) -> Any:
    """A cell a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_delimiter(language: str) -> str:
    """The list separator Excel expects in the reader's locale: Italian (and most of
    Europe, where the comma is the decimal mark) uses `;`, English `,`. A `sep=` line
    would say it too, but Excel then ignores the byte-order mark and garbles accents."""
    return "," if language == "en" else ";"


@dataclass
class Table:
    """The export's header and its rows (plain values; instants as local naive datetimes)."""

    header: list[str]
    rows: Iterable[list[Any]]


_COLUMNS = (
    Registration.first_name, Registration.last_name, Registration.email, Registration.organisation,
    Registration.category, Registration.country, Registration.attendance_mode, Registration.status,
    Registration.waitlist_position, Registration.needs, Registration.newsletter_opt_in,
    Registration.created_at, Registration.checked_in_at, Registration.cancelled_at, Registration.answers,
)


def _chose(part: Session) -> sa.ColumnElement[bool]:
    rp = registration_parts.c
    return sa.exists().where(rp.registration_id == Registration.id, rp.session_id == part.id)


def registration_table(event: Event, query: sa.Select, questions: list[Question]) -> Table:
    """The rows of `query` (registrations of `event`, in its order) as an export table:
    one query, read in chunks, whatever the number of rows."""
    parts = event.registrable_parts
    header = [
        _("First name"), _("Last name"), _("E-mail"), _("Organisation"), _("Category"),
        _("Country"), _("Attendance"), _("Status"), _("Waiting list position"),
        *[part_label(p) for p in parts],
        _("Accessibility or dietary needs"), _("Newsletter"), _("Registered at"),
        _("Checked in at"), _("Cancelled at"),
        *[q.label for q in questions],
    ]
    stmt = query.with_only_columns(*_COLUMNS, *[_chose(p) for p in parts])
    return Table(header, _rows(stmt, event.timezone, len(parts), [str(q.id) for q in questions]))


def _rows(stmt: sa.Select, tz: str, n_parts: int, question_ids: list[str]) -> Iterator[list[Any]]:
    yes = _("yes")
    # Labels translated once per export, not once per cell.
    categories = {k: str(v) for k, v in CATEGORIES.items()}
    modes = {k: str(v) for k, v in MODES.items()}
    statuses = {k: str(v) for k, v in STATUSES.items()}
    zone = ZoneInfo(tz)
    result = db.session.execute(stmt.execution_options(yield_per=CHUNK_ROWS))
    try:
        for row in result:
            (first, last, email, org, category, country, mode, status, position, needs,
             newsletter, created, checked_in, cancelled, answers) = row[:15]
            chosen = row[15:15 + n_parts]
            answers = answers or {}
            yield [
                first, last, email, org, categories.get(category, category), country,
                modes.get(mode, mode), statuses.get(status, status), position or "",
                *[yes if c else "" for c in chosen],
                needs, yes if newsletter else "",
                _local(created, zone), _local(checked_in, zone), _local(cancelled, zone),
                *[_answer(answers.get(q)) for q in question_ids],
            ]
    finally:
        result.close()


def _local(dt: datetime | None, zone: ZoneInfo) -> datetime | None:
    """The wall-clock time in the event's zone, as a naive value: what a spreadsheet shows."""
    return dt.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0) if dt else None


def _answer(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")  # ISO 8601: read as a date in every locale
    return neutralise(value)


def to_csv(table: Table, delimiter: str = ";") -> Iterator[bytes]:
    """The table as UTF-8 CSV with a byte-order mark (so Excel reads the accents), in chunks."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in table.header])
    yield "\ufeff".encode() + out.getvalue().encode("utf-8")
    for row in table.rows:
        out.seek(0)
        out.truncate()
        writer.writerow([_csv_value(v) for v in row])
        yield out.getvalue().encode("utf-8")


def _xlsx_value(value: Any) -> Any:
    # The XLSX format has no room for control characters (a pasted name can carry one).
    value = neutralise(value)
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def to_xlsx(table: Table, title: str = "") -> Iterator[bytes]:
    """The table as an XLSX workbook with real date cells, written row by row to a
    temporary file and sent from it in chunks."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Registrations")[:31])
    for i, name in enumerate(table.header):
        ws.column_dimensions[_column_letter(i)].width = min(max(len(name) + 2, 14), 50)
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for name in table.header:
        cell = WriteOnlyCell(ws, value=_xlsx_value(name))
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for row in table.rows:
        # Plain values: openpyxl stores a datetime as a date cell and a string as text
        # (one starting with "=" would be a formula; after neutralise() none does).
        ws.append([_xlsx_value(v) for v in row])
    if title:
        wb.properties.title = title[:200]
    with tempfile.TemporaryFile() as buf:
        wb.save(buf)
        buf.seek(0)
        while chunk := buf.read(FILE_CHUNK):
            yield chunk


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def export_registrations(event: Event, query: sa.Select, questions: list, language: str,
                         fmt: str, *, by: Any = None) -> tuple[Iterator[bytes], str]:
    """The registration list as CSV or XLSX chunks with its content type; the export
    (personal data leaving the system) is written to the audit log. The chunks read the
    database as they are consumed: the caller commits the audit record first."""
    count = db.session.scalar(query.with_only_columns(sa.func.count()).order_by(None))
    table = registration_table(event, query, questions)
    if fmt == "csv":
        body, content_type = to_csv(table, csv_delimiter(language)), CSV_CONTENT_TYPE
    else:
        body, content_type = to_xlsx(table, title=event.title), XLSX_MIMETYPE
    record("registration.export", event, user=by, summary=fmt, rows=count)
    return body, content_type

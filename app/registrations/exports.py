"""Registration lists as CSV (UTF-8 with BOM, for Excel) and XLSX, safe against formulas."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from app.audit import record
from app.events.models import Event
from app.i18n import format_datetime_local
from app.registrations.forms import CATEGORIES, MODES, STATUSES, part_label
from app.registrations.models import Question, Registration

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A cell a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


@dataclass
class Table:
    header: list[str]
    rows: list[list[Any]]


def registration_table(event: Event, regs: list[Registration], questions: list[Question],
                       language: str) -> Table:
    parts = event.registrable_parts
    header = [
        _("First name"), _("Last name"), _("E-mail"), _("Organisation"), _("Category"),
        _("Country"), _("Attendance"), _("Status"), _("Waiting list position"),
        *[part_label(p) for p in parts],
        _("Accessibility or dietary needs"), _("Newsletter"), _("Registered at"),
        _("Checked in at"), _("Cancelled at"),
        *[q.label for q in questions],
    ]
    tz = event.timezone
    rows = []
    for reg in regs:
        chosen = {p.id for p in reg.parts}
        answers = reg.answers or {}
        row = [
            reg.first_name, reg.last_name, reg.email, reg.organisation,
            str(CATEGORIES.get(reg.category, reg.category)), reg.country,
            str(MODES.get(reg.attendance_mode, reg.attendance_mode)),
            str(STATUSES.get(reg.status, reg.status)), reg.waitlist_position or "",
            *[_("yes") if p.id in chosen else "" for p in parts],
            reg.needs, _("yes") if reg.newsletter_opt_in else "",
            format_datetime_local(reg.created_at, tz, language),
            format_datetime_local(reg.checked_in_at, tz, language),
            format_datetime_local(reg.cancelled_at, tz, language),
            *[_answer(answers.get(str(q.id))) for q in questions],
        ]
        rows.append(row)
    return Table(header, rows)


def _answer(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in table.header])
    for row in table.rows:
        writer.writerow([neutralise(v) for v in row])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def _xlsx_cell(value: Any) -> Any:
    # The XLSX format has no room for control characters (a pasted name can carry one).
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    value = neutralise(value)
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def to_xlsx(table: Table, title: str = "") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = _("Registrations")[:31]
    ws.append([_xlsx_cell(h) for h in table.header])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        ws.append([_xlsx_cell(v) for v in row])
        # openpyxl treats a string starting with "=" as a formula; after neutralise()
        # none does, and every value is stored as text or number, never evaluated.
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    ws.freeze_panes = "A2"
    for column in ws.columns:
        width = max(len(str(c.value or "")) for c in column)
        ws.column_dimensions[column[0].column_letter].width = min(max(width + 2, 10), 50)
    if title:
        wb.properties.title = title[:200]
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_registrations(event: Event, registrations: list, questions: list, language: str,
                         fmt: str, *, by: Any = None) -> tuple[bytes, str]:
    """The registration list as CSV or XLSX bytes with its MIME type; the export (personal
    data leaving the system) is written to the audit log."""
    table = registration_table(event, registrations, questions, language)
    if fmt == "csv":
        body, mimetype = to_csv(table), "text/csv; charset=utf-8"
    else:
        body, mimetype = to_xlsx(table, title=event.title), XLSX_MIMETYPE
    record("registration.export", event, user=by, summary=fmt, rows=len(registrations))
    return body, mimetype

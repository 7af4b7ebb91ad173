"""Participation reports: the figures a project officer attaches to a progress report.

Per event: registered, present in person and online per day (or part), by participant
category and by country, and the attendees' names and organisations only (no e-mail,
no other personal data). Per project: the same figures over its events in a date range.
Presence is what check-in and the online attendance import recorded (attended only).
"""
from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from app.documents import pdf
from app.events.models import Event, EventStatus, Project
from app.extensions import db
from app.registrations import checkin
from app.registrations.exports import neutralise
from app.registrations.forms import CATEGORIES, country_choices
from app.registrations.models import Attendance, AttendanceMode, Registration, RegistrationStatus


@dataclass
class SlotFigures:
    label: str
    registered: int
    in_person: int
    online: int


@dataclass
class Breakdown:
    key: str
    label: str
    registered: int = 0
    present: int = 0


@dataclass
class EventFigures:
    event: Event
    registered: int = 0
    registered_by_mode: dict[str, int] = field(default_factory=dict)
    present: int = 0
    present_in_person: int = 0
    present_online: int = 0
    slots: list[SlotFigures] = field(default_factory=list)
    categories: list[Breakdown] = field(default_factory=list)
    countries: list[Breakdown] = field(default_factory=list)
    attendees: list[tuple[str, str]] = field(default_factory=list)  # (name, organisation)


def _category_label(key: str) -> str:
    return str(CATEGORIES.get(key, key)) if key else _("Not given")


def _country_label(code: str, names: dict[str, str]) -> str:
    return names.get(code, code) if code else _("Not given")


def _breakdowns(regs: list[Registration], present_ids: set[int], attr: str, label) -> list[Breakdown]:
    rows: dict[str, Breakdown] = {}
    for reg in regs:
        key = getattr(reg, attr) or ""
        row = rows.setdefault(key, Breakdown(key, label(key)))
        row.registered += 1
        row.present += reg.id in present_ids
    return sorted(rows.values(), key=lambda b: (-b.registered, b.label))


def event_figures(event: Event) -> EventFigures:
    regs = list(db.session.scalars(
        sa.select(Registration).where(Registration.event_id == event.id,
                                      Registration.status == RegistrationStatus.CONFIRMED)
        .options(so.selectinload(Registration.parts))
    ))
    rows = list(db.session.scalars(
        sa.select(Attendance).where(Attendance.event_id == event.id, Attendance.attended)))
    present_ids = {a.registration_id for a in rows}
    modes_present: dict[int, set[str]] = {}
    for a in rows:
        modes_present.setdefault(a.registration_id, set()).add(a.mode.value)
    figures = EventFigures(event)
    figures.registered = len(regs)
    figures.registered_by_mode = dict(Counter(r.attendance_mode.value for r in regs))
    figures.present = len(present_ids & {r.id for r in regs})
    figures.present_in_person = sum(1 for m in modes_present.values() if AttendanceMode.IN_PERSON.value in m)
    figures.present_online = sum(1 for m in modes_present.values() if AttendanceMode.ONLINE.value in m)
    by_slot: dict[str, Counter] = {}
    for a in rows:
        by_slot.setdefault(a.slot, Counter())[a.mode.value] += 1
    for slot in checkin.event_slots(event):
        expected = sum(1 for r in regs if not r.parts or any(p.id == slot.session_id for p in r.parts))
        counts = by_slot.get(slot.key, Counter())
        figures.slots.append(SlotFigures(checkin.slot_label(event, slot), expected,
                                         counts[AttendanceMode.IN_PERSON.value],
                                         counts[AttendanceMode.ONLINE.value]))
    names = dict(country_choices())
    figures.categories = _breakdowns(regs, present_ids, "category", _category_label)
    figures.countries = _breakdowns(regs, present_ids, "country", lambda c: _country_label(c, names))
    figures.attendees = [(f"{r.last_name} {r.first_name}", r.organisation)
                         for r in sorted(regs, key=pdf.sort_key)
                         if r.id in present_ids and not r.is_anonymised]
    return figures


@dataclass
class ProjectFigures:
    project: Project
    start: date
    end: date
    events: list[EventFigures] = field(default_factory=list)

    @property
    def registered(self) -> int:
        return sum(f.registered for f in self.events)

    @property
    def present_in_person(self) -> int:
        return sum(f.present_in_person for f in self.events)

    @property
    def present_online(self) -> int:
        return sum(f.present_online for f in self.events)

    def merged(self, attr: str) -> list[Breakdown]:
        rows: dict[str, Breakdown] = {}
        for f in self.events:
            for b in getattr(f, attr):
                row = rows.setdefault(b.key, Breakdown(b.key, b.label))
                row.registered += b.registered
                row.present += b.present
        return sorted(rows.values(), key=lambda b: (-b.registered, b.label))


def project_figures(project: Project, start: date, end: date, events_filter=None) -> ProjectFigures:
    """Every published event of the project starting within [start, end] (Rome days)."""
    tz = ZoneInfo("Europe/Rome")
    lo = datetime.combine(start, time(0, 0), tz)
    hi = datetime.combine(end + timedelta(days=1), time(0, 0), tz)
    stmt = (sa.select(Event).where(Event.project_id == project.id, Event.starts_at >= lo,
                                   Event.starts_at < hi, Event.status == EventStatus.PUBLISHED)
            .order_by(Event.starts_at))
    events = [e for e in db.session.scalars(stmt) if events_filter is None or events_filter(e)]
    return ProjectFigures(project, start, end, [event_figures(e) for e in events])


# --- outputs ---------------------------------------------------------------------------------

def render_event_pdf(figures: EventFigures, lang: str) -> bytes:
    event = figures.event
    with force_locale(lang):
        html = render_template(
            "pdf/documents/participation.html", figures=figures,
            **pdf.document_context(event, lang, title=_("Participation report") + " — " + event.title))
    return pdf.html_to_pdf(html)


def render_project_pdf(figures: ProjectFigures, lang: str) -> bytes:
    with force_locale(lang):
        project = figures.project
        html = render_template(
            "pdf/documents/participation_project.html", report=figures, event=None, lang=lang,
            doc_title=_("Participation report") + " — " + project.name,
            organisation_name=current_app.config["ORGANISATION_NAME"],
            site_name=current_app.config["SITE_NAME"],
            project_line=f"{project.programme} — {project.acronym or project.name}"
            if project.programme else (project.acronym or project.name),
            page_counter_css=pdf.page_counter_css())
    return pdf.html_to_pdf(html)


def _sheet(wb, title: str, header: list[str], rows: list[list[Any]]):
    from openpyxl.styles import Font

    ws = wb.create_sheet(title[:31])
    ws.append([neutralise(h) for h in header])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([neutralise(v) if isinstance(v, str) else v for v in row])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    for column in ws.columns:
        width = max(len(str(c.value or "")) for c in column)
        ws.column_dimensions[column[0].column_letter].width = min(max(width + 2, 10), 60)
    return ws


def _breakdown_rows(rows: list[Breakdown]) -> list[list[Any]]:
    return [[b.label, b.registered, b.present] for b in rows]


def event_xlsx(figures: EventFigures, lang: str) -> bytes:
    from openpyxl import Workbook

    with force_locale(lang):
        wb = Workbook()
        wb.remove(wb.active)
        event = figures.event
        _sheet(wb, _("Summary"), [_("Event"), _("Registered"), _("Present in person"), _("Present online")],
               [[event.title, figures.registered, figures.present_in_person, figures.present_online]])
        _sheet(wb, _("Per day"), [_("Day or part"), _("Registered"), _("Present in person"),
                                 _("Present online")],
               [[s.label, s.registered, s.in_person, s.online] for s in figures.slots])
        _sheet(wb, _("By category"), [_("Category"), _("Registered"), _("Present")],
               _breakdown_rows(figures.categories))
        _sheet(wb, _("By country"), [_("Country"), _("Registered"), _("Present")],
               _breakdown_rows(figures.countries))
        _sheet(wb, _("Attendees"), [_("Name"), _("Organisation")], [list(a) for a in figures.attendees])
        wb.properties.title = event.title[:200]
        buf = io.BytesIO()
        wb.save(buf)
    return buf.getvalue()


def project_xlsx(report: ProjectFigures, lang: str) -> bytes:
    from openpyxl import Workbook

    with force_locale(lang):
        wb = Workbook()
        wb.remove(wb.active)
        _sheet(wb, _("Events"), [_("Event"), _("Date"), _("Registered"), _("Present in person"),
                                _("Present online")],
               [[f.event.title, f.event.starts_at.astimezone(ZoneInfo(f.event.timezone)).date().isoformat(),
                 f.registered, f.present_in_person, f.present_online] for f in report.events]
               + [[_("Total"), "", report.registered, report.present_in_person, report.present_online]])
        _sheet(wb, _("By category"), [_("Category"), _("Registered"), _("Present")],
               _breakdown_rows(report.merged("categories")))
        _sheet(wb, _("By country"), [_("Country"), _("Registered"), _("Present")],
               _breakdown_rows(report.merged("countries")))
        wb.properties.title = report.project.name[:200]
        buf = io.BytesIO()
        wb.save(buf)
    return buf.getvalue()

"""The participation report a project officer attaches to a progress report: per event
(PDF and Excel) and per project over a date range."""
from __future__ import annotations

import io
import subprocess
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from app.auth.models import Role
from app.db import utcnow
from app.events.models import EventFormat
from app.extensions import db
from app.registrations import checkin
from app.registrations.models import AttendanceMode
from app.registrations.services import AttendeeDetails, register_attendee
from tests.factories import EventFactory, ProjectFactory, SessionFactory, UserFactory


def reg(event, n, last, mode, parts, category="impresa", country="IT"):
    return register_attendee(event, AttendeeDetails(
        first_name="Nome", last_name=last, email=f"r{n}@example.org", consent=True,
        organisation=f"Ente {last}", category=category, country=country, attendance_mode=mode,
        part_ids=[p.id for p in parts]), by=object()).registration


def two_day_event(project, start, slug):
    event = EventFactory(slug=slug, title=f"Workshop {slug}", format=EventFormat.HYBRID,
                         project=project, starts_at=start, ends_at=start + timedelta(days=1, hours=4))
    day1 = SessionFactory(event=event, title="Giorno 1", registrable=True, starts_at=start,
                          ends_at=start + timedelta(hours=6))
    day2 = SessionFactory(event=event, title="Giorno 2", registrable=True,
                          starts_at=start + timedelta(days=1), ends_at=start + timedelta(days=1, hours=4))
    return event, day1, day2


def scenario():
    admin = UserFactory(role=Role.ADMIN)
    project = ProjectFactory(name="+RESILIENT", acronym="+RESILIENT", slug="resilient")
    start = utcnow().replace(microsecond=0) - timedelta(days=20)
    event, day1, day2 = two_day_event(project, start, "mestre-report")
    a = reg(event, 1, "Rossi", AttendanceMode.IN_PERSON, [day1, day2])
    b = reg(event, 2, "Bianchi", AttendanceMode.ONLINE, [day2], category="universita_ricerca", country="ES")
    reg(event, 3, "Assente", AttendanceMode.IN_PERSON, [day1], country="FR")
    checkin.check_in(a, slot_key=f"part:{day1.id}", reason="foglio firme")
    checkin.check_in(a, slot_key=f"part:{day2.id}", reason="foglio firme")
    checkin.check_in(b, slot_key=f"part:{day2.id}", reason="report Zoom")
    other, o1, _o2 = two_day_event(project, start + timedelta(days=5), "secondo")
    c = reg(other, 4, "Verdi", AttendanceMode.IN_PERSON, [o1])
    checkin.check_in(c, slot_key=f"part:{o1.id}", reason="foglio firme")
    db.session.commit()
    return admin, project, event, start


def test_the_event_report_in_excel_has_the_figures_per_day_category_country_and_names_only(
        app, client, auth):
    admin, _project, event, _start = scenario()
    auth.login(admin)
    resp = client.get(f"/admin/events/{event.id}/participation.xlsx")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "private, no-store"
    wb = load_workbook(io.BytesIO(resp.data))
    summary = list(wb.worksheets[0].values)
    assert summary[1][1:] == (3, 1, 1)  # registered, present in person, present online
    per_day = list(wb.worksheets[1].values)[1:]
    assert [row[1:] for row in per_day] == [(2, 1, 0), (2, 1, 1)]
    categories = {row[0]: row[1:] for row in list(wb.worksheets[2].values)[1:]}
    assert categories["Impresa"] == (2, 1) and categories["Università o ricerca"] == (1, 1)
    countries = {row[0]: row[1:] for row in list(wb.worksheets[3].values)[1:]}
    assert countries["Spagna"] == (1, 1) and countries["Francia"] == (1, 0)
    attendees = list(wb.worksheets[4].values)
    assert attendees == [("Nome", "Organizzazione"), ("Bianchi Nome", "Ente Bianchi"),
                         ("Rossi Nome", "Ente Rossi")]
    assert "@" not in str(list(ws.values) for ws in wb.worksheets)


def test_the_event_report_as_pdf(app, client, auth, tmp_path):
    admin, _project, event, _start = scenario()
    auth.login(admin)
    resp = client.get(f"/admin/events/{event.id}/participation.pdf")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF-")
    path = tmp_path / "r.pdf"
    path.write_bytes(resp.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    assert "Rapporto di partecipazione" in text and "Rossi Nome" in text and "Ente Bianchi" in text
    assert "Assente" not in text and "r1@example.org" not in text


def test_the_project_report_sums_its_events_in_the_date_range(app, client, auth):
    admin, project, _event, start = scenario()
    auth.login(admin)
    first_day = start.astimezone(ZoneInfo("Europe/Rome")).date()  # the range is in Rome days
    url = f"/admin/projects/{project.id}/participation.xlsx"
    wb = load_workbook(io.BytesIO(client.get(
        url, query_string={"start": first_day.isoformat(), "end": (first_day + timedelta(days=10)).isoformat()}
    ).data))
    rows = list(wb.worksheets[0].values)
    assert [r[0] for r in rows[1:]] == ["Workshop mestre-report", "Workshop secondo", "Totale"]
    assert rows[-1][2:] == (4, 2, 1)
    only_first = load_workbook(io.BytesIO(client.get(
        url, query_string={"start": first_day.isoformat(), "end": first_day.isoformat()}).data))
    assert list(only_first.worksheets[0].values)[-1][2:] == (3, 1, 1)
    bad = client.get(url, query_string={"start": "2026-05-01", "end": "2026-04-01"})
    assert bad.status_code == 422 and "end-errors" in bad.get_data(as_text=True)
    assert client.get(f"/admin/projects/{project.id}/participation").status_code == 200


def test_an_organiser_sees_only_their_events_figures(app, client, auth):
    _admin, project, event, start = scenario()
    organiser = UserFactory(role=Role.ORGANISER)
    event.organisers.append(organiser)
    db.session.commit()
    auth.login(organiser)
    wb = load_workbook(io.BytesIO(client.get(
        f"/admin/projects/{project.id}/participation.xlsx",
        query_string={"start": date(2000, 1, 1).isoformat(), "end": date(2100, 1, 1).isoformat()}).data))
    assert [r[0] for r in list(wb.worksheets[0].values)[1:]] == ["Workshop mestre-report", "Totale"]
    other = EventFactory(project=None)
    db.session.commit()
    assert client.get(f"/admin/events/{other.id}/participation.pdf").status_code == 403

"""Registration exports open right in Excel (Italian or English) and cost the same few
queries whatever the number of registrations."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from app.extensions import db
from tests.factories import EventFactory, RegistrationFactory, SessionFactory

REGISTERED_AT = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)  # 09:30 in Rome


@pytest.fixture
def event(organiser):
    event = EventFactory(title="Conferenza finale", timezone="Europe/Rome")
    event.organisers.append(organiser)
    day1 = SessionFactory(event=event, title="Primo giorno", registrable=True)
    SessionFactory(event=event, title="Secondo giorno", registrable=True)
    RegistrationFactory(event=event, first_name="Lucía", last_name="Ñandú",
                        organisation="Università di Padova", created_at=REGISTERED_AT, parts=[day1])
    return event


def add_registrations(event, n: int) -> None:
    parts = event.registrable_parts
    for i in range(n):
        RegistrationFactory(event=event, created_at=REGISTERED_AT, parts=parts[: i % 3])


def test_the_csv_opens_in_italian_excel(client, auth, organiser, event):
    db.session.commit()
    auth.login(organiser)
    resp = client.get(f"/admin/events/{event.id}/registrations.csv")
    assert resp.status_code == 200
    # One charset, so Excel and browsers agree on the encoding.
    assert resp.headers["Content-Type"].lower().count("charset") == 1
    assert resp.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig")), delimiter=";"))
    header, row = rows[0], rows[1]
    assert header[:3] == ["Nome", "Cognome", "E-mail"]
    cell = dict(zip(header, row, strict=True))
    assert cell["Nome"] == "Lucía" and cell["Cognome"] == "Ñandú"
    assert cell["Organizzazione"] == "Università di Padova"
    # The date as an ISO value in the event's zone: Excel reads it as a date in any locale.
    assert cell["Iscritto il"] == "2026-03-02 09:30"
    assert [cell[h] for h in header if "giorno" in h] == ["sì", ""]


def test_the_csv_in_english_uses_commas(client, auth, organiser, event):
    db.session.commit()
    auth.login(organiser)
    resp = client.get(f"/admin/events/{event.id}/registrations.csv?lang=en")
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["First name", "Last name", "E-mail"]
    assert rows[1][0] == "Lucía"


def test_the_xlsx_has_real_date_cells(client, auth, organiser, event):
    db.session.commit()
    auth.login(organiser)
    resp = client.get(f"/admin/events/{event.id}/registrations.xlsx")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.data)).active
    header = [c.value for c in ws[1]]
    registered = ws[2][header.index("Iscritto il")]
    assert registered.is_date
    assert registered.value == datetime(2026, 3, 2, 9, 30)
    assert ws[2][0].value == "Lucía"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_costs_the_same_queries_for_few_or_many_registrations(
        client, auth, organiser, event, count_queries, fmt):
    db.session.commit()
    auth.login(organiser)
    url = f"/admin/events/{event.id}/registrations.{fmt}"
    client.get(url)  # warm: the login's own look-ups settle

    def export() -> tuple[int, int]:
        db.session.expire_all()  # as in a fresh request: nothing already loaded
        with count_queries() as n:
            resp = client.get(url)
            body = resp.data
        if fmt == "csv":
            rows = len(list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))) - 1
        else:
            rows = len(list(load_workbook(io.BytesIO(body), read_only=True).active.rows)) - 1
        return n(), rows

    few, rows = export()
    assert rows == 1
    add_registrations(event, 60)
    db.session.commit()
    many, rows = export()
    assert rows == 61
    assert many == few

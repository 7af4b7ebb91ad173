"""Organisers watch and manage registrations in the back-office."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.auth.models import Role
from app.db import utcnow
from app.extensions import db
from app.mail.models import OutboxMessage
from app.registrations.models import AttendanceMode, Question, Registration, RegistrationStatus
from app.registrations.services import AttendeeDetails, register_attendee
from app.registrations.views import registration_panel
from tests.factories import EventFactory, SessionFactory, UserFactory


def person(n: int, **kw) -> AttendeeDetails:
    kw.setdefault("first_name", "Luca")
    kw.setdefault("last_name", f"Verdi {n}")
    return AttendeeDetails(email=f"luca{n}@example.org", consent=True, **kw)


@pytest.fixture
def event(organiser):
    return EventFactory(title="Conferenza finale", capacity=2, organisers=[organiser])


def text(resp) -> str:
    return resp.get_data(as_text=True).replace("&#39;", "'")


def test_only_the_event_organisers_and_admins_see_the_list(client, auth, event):
    db.session.commit()
    url = f"/admin/events/{event.id}/registrations"
    assert client.get(url).status_code == 302  # to the login page
    auth.login(UserFactory(role=Role.ORGANISER))
    db.session.commit()
    assert client.get(url).status_code == 403
    auth.login(UserFactory(role=Role.ADMIN))
    db.session.commit()
    assert client.get(url).status_code == 200


def test_the_list_shows_counts_and_finds_people(client, auth, organiser, event):
    register_attendee(event, person(1, organisation="Università di Padova"))
    register_attendee(event, person(2))
    register_attendee(event, person(3))
    db.session.commit()
    auth.login(organiser)
    body = text(client.get(f"/admin/events/{event.id}/registrations"))
    assert "Verdi 1" in body and "Verdi 3" in body and "#1" in body
    assert "Posti liberi: 0" in body
    found = text(client.get(f"/admin/events/{event.id}/registrations?q=padova"))
    assert "Verdi 1" in found and "Verdi 2" not in found
    waiting = text(client.get(f"/admin/events/{event.id}/registrations?status=waitlisted"))
    assert "Verdi 3" in waiting and "Verdi 1" not in waiting


def test_the_list_costs_the_same_queries_for_5_or_40_people(client, auth, organiser, event, count_queries):
    event.capacity = None
    part = SessionFactory(event=event, registrable=True)
    auth.login(organiser)

    def queries_for(n: int) -> int:
        for i in range(n):
            register_attendee(event, person(len(event.sessions) * 1000 + i + n * 100, part_ids=[part.id]))
        db.session.commit()
        with count_queries() as count:
            assert client.get(f"/admin/events/{event.id}/registrations").status_code == 200
        return count()

    assert queries_for(5) == queries_for(35)


def test_checking_in_from_the_list_and_by_the_qr_code(client, auth, organiser, event):
    # At the door: the check-in window is open from 90 minutes before the start.
    event.starts_at = utcnow() + timedelta(minutes=30)
    event.ends_at = event.starts_at + timedelta(hours=4)
    a = register_attendee(event, person(1)).registration
    b = register_attendee(event, person(2)).registration
    db.session.commit()
    auth.login(organiser)
    resp = client.post(f"/admin/registrations/{a.id}/checkin", data={"attended": "1"},
                       follow_redirects=True)
    assert "Verdi 1 è registrato/a come presente" in text(resp)  # feedback at the door
    page = text(client.get(f"/admin/checkin/{b.checkin_token}"))
    assert "Verdi 2" in page and "Segna come presente" in page
    resp = client.post(f"/admin/checkin/{b.checkin_token}", follow_redirects=True)
    assert "Presenza registrata" in text(resp)
    db.session.expire_all()
    assert a.checked_in_at is not None and b.checked_in_at is not None


def test_the_qr_check_in_page_needs_a_logged_in_organiser(client, event):
    reg = register_attendee(event, person(1)).registration
    db.session.commit()
    resp = client.get(f"/admin/checkin/{reg.checkin_token}")
    assert resp.status_code == 302 and "/admin/login" in resp.headers["Location"]


def test_an_organiser_adds_someone_over_capacity_only_with_the_override(client, auth, organiser, event):
    register_attendee(event, person(1))
    register_attendee(event, person(2))
    event.waitlist_enabled = False
    db.session.commit()
    auth.login(organiser)
    data = {"first_name": "Relatrice", "last_name": "Ospite", "email": "ospite@example.org",
            "category": "altro", "country": "IT"}
    resp = client.post(f"/admin/events/{event.id}/registrations/new", data=data)
    assert "L'evento è completo" in text(resp)
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 2
    resp = client.post(f"/admin/events/{event.id}/registrations/new", data={**data, "override": "y"})
    assert resp.status_code == 302
    guest = db.session.scalar(sa.select(Registration).where(Registration.email == "ospite@example.org"))
    assert guest.is_confirmed


def test_cancel_and_promote_by_hand(client, auth, organiser, event):
    register_attendee(event, person(1))
    b = register_attendee(event, person(2)).registration
    c = register_attendee(event, person(3)).registration
    d = register_attendee(event, person(4)).registration
    db.session.commit()
    auth.login(organiser)
    client.post(f"/admin/registrations/{b.id}/cancel")
    db.session.expire_all()
    assert b.status == RegistrationStatus.CANCELLED and c.is_confirmed and d.waitlist_position == 1
    client.post(f"/admin/registrations/{d.id}/promote")
    db.session.expire_all()
    assert d.status == RegistrationStatus.WAITLISTED  # no seat, no override
    client.post(f"/admin/registrations/{d.id}/promote", data={"override": "1"})
    db.session.expire_all()
    assert d.is_confirmed


def test_editing_a_registration_moves_its_seat(client, auth, organiser):
    from app.events.models import EventFormat

    event = EventFactory(format=EventFormat.HYBRID, capacity_online=1)
    event.organisers.append(organiser)
    reg = register_attendee(event, person(1, attendance_mode=AttendanceMode.IN_PERSON)).registration
    register_attendee(event, person(2, attendance_mode=AttendanceMode.ONLINE))
    db.session.commit()
    auth.login(organiser)
    data = {"first_name": "Luca", "last_name": "Verdi", "email": reg.email, "category": "impresa",
            "country": "IT", "attendance_mode": "online"}
    resp = client.post(f"/admin/registrations/{reg.id}/", data=data)
    assert "Non ci sono più posti online" in text(resp)
    db.session.expire_all()
    assert reg.attendance_mode == AttendanceMode.IN_PERSON


def test_csv_export_opens_in_excel_and_defuses_formulas(client, auth, organiser, event):
    register_attendee(event, person(1, organisation="=HYPERLINK(\"http://evil.example\")"))
    register_attendee(event, person(2, organisation="@SUM(A1)", needs="\tcmd"))
    db.session.commit()
    auth.login(organiser)
    resp = client.get(f"/admin/events/{event.id}/registrations.csv")
    assert resp.mimetype == "text/csv"
    assert resp.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Nome", "Cognome", "E-mail"]
    cells = [c for row in rows[1:] for c in row]
    assert "'=HYPERLINK(\"http://evil.example\")" in cells and "'@SUM(A1)" in cells and "'\tcmd" in cells
    assert not any(c.startswith(("=", "+", "@", "\t")) for c in cells)


def test_xlsx_export_has_the_same_rows_as_text(client, auth, organiser, event):
    register_attendee(event, person(1, organisation="+39 0422 595"))
    db.session.commit()
    auth.login(organiser)
    resp = client.get(f"/admin/events/{event.id}/registrations.xlsx")
    ws = load_workbook(io.BytesIO(resp.data)).active
    values = [c.value for c in ws[2]]
    assert "Verdi 1" in values and "'+39 0422 595" in values


def test_messaging_registrants_queues_one_e_mail_each_through_the_outbox(client, auth, organiser, event):
    register_attendee(event, person(1))
    register_attendee(event, person(2))
    register_attendee(event, person(3))  # waiting list
    db.session.commit()
    auth.login(organiser)
    resp = client.post(f"/admin/events/{event.id}/registrations/message",
                       data={"status": "confirmed", "subject": "Cambio sala", "body": "Ci vediamo in Sala A.\n\nGrazie"})
    assert resp.status_code == 302
    sent = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.category == "registration.organiser_message")
    ).all()
    assert sorted(m.recipient for m in sent) == ["luca1@example.org", "luca2@example.org"]
    assert sent[0].subject == "Cambio sala" and "Sala A" in sent[0].body_text and "<p>Grazie</p>" in sent[0].body_html


def test_organisers_add_their_own_questions(client, auth, organiser, event):
    db.session.commit()
    auth.login(organiser)
    resp = client.post(f"/admin/events/{event.id}/registrations/questions",
                       data={"label": "Tavolo di lavoro", "kind": "single", "options": "Solo uno"})
    assert "almeno due opzioni" in text(resp)
    client.post(f"/admin/events/{event.id}/registrations/questions",
                data={"label": "Tavolo di lavoro", "kind": "single", "options": "Open data\nTurismo", "required": "y"})
    question = db.session.scalar(sa.select(Question))
    assert question.required and question.option_list == ["Open data", "Turismo"]
    assert "Tavolo di lavoro" in text(client.get(f"/events/{event.slug}/register"))


def test_the_event_panel_shows_counts(app, event):
    from flask import render_template

    register_attendee(event, person(1))
    db.session.commit()
    with app.test_request_context("/"):
        html = render_template("registrations/admin/_event_panel.html", event=event,
                               panel=registration_panel(event))
    assert "confermati" in html and f"/admin/events/{event.id}/registrations" in html


def test_a_control_character_in_a_registration_does_not_break_the_xlsx_export(client, auth, organiser, event):
    register_attendee(event, person(1, organisation="ACME\x01corp"))
    db.session.commit()
    auth.login(organiser)
    resp = client.get(f"/admin/events/{event.id}/registrations.xlsx")
    assert resp.status_code == 200
    values = [c.value for c in load_workbook(io.BytesIO(resp.data)).active[2]]
    assert "ACMEcorp" in values

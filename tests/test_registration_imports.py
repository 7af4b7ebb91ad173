"""Organisers import people who registered on paper or by phone, from CSV or XLSX."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from app.audit.models import AuditEntry
from app.auth.models import Role
from app.db import utcnow
from app.events.models import EventStatus
from app.extensions import db
from app.imports.jobs import purge_staged_imports
from app.imports.models import StagedImport
from app.mail.models import OutboxMessage
from app.registrations.models import Registration, RegistrationStatus
from app.registrations.services import AttendeeDetails, erase_personal_data, register_attendee
from tests.backoffice import import_row, sign_in, staged_id, text
from tests.factories import EventFactory, UserFactory

HEADER = "Nome;Cognome;E-mail;Ente;Paese;Modalità\n"


@pytest.fixture
def event(organiser):
    return EventFactory(title="Workshop Mestre", capacity=10, organisers=[organiser])


@pytest.fixture
def signed_in(client, auth, organiser):
    return sign_in(client, auth, organiser)


def upload(client, event, body: bytes, name: str = "paper.csv") -> int:
    return staged_id(client.post(f"/admin/events/{event.id}/registrations/import",
                                 data={"file": (io.BytesIO(body), name)},
                                 content_type="multipart/form-data"))


MAPPING = {"first_name": "Nome", "last_name": "Cognome", "email": "E-mail", "organisation": "Ente",
           "country": "Paese", "attendance_mode": "Modalità"}


def post_check(client, event, staged_id, action="check", **options):
    data = dict(MAPPING, action=action, **options)
    data.setdefault("send_emails", "y")
    if data["send_emails"] is None:
        del data["send_emails"]
    return client.post(f"/admin/events/{event.id}/registrations/import/{staged_id}", data=data)


def registrations(event) -> list[Registration]:
    return list(db.session.scalars(sa.select(Registration).where(Registration.event_id == event.id)
                                   .order_by(Registration.id)))


BAD_ROWS = (
    HEADER
    + "Anna;Bianchi;anna@example.org;Comune di Treviso;IT;in presenza\n"       # 2 fine
    + "Marco;Neri;marco-at-example.org;;IT;\n"                                 # 3 bad address
    + "Giulia;;giulia@example.org;;;\n"                                         # 4 no last name
    + "=HYPERLINK(\"x\");Rossi;formula@example.org;;;\n"                        # 5 a formula
    + "Paolo;Verdi;ANNA@example.org;;;\n"                                       # 6 same address as 2
    + "Sara;Gallo;sara@example.org;;Atlantide;\n"                                # 7 unknown country
    + "Luca;Fabbri;luca@example.org;;;online\n"                                  # 8 event not online
    + "Elena;Conti;already@example.org;;;\n"                                     # 9 already registered
)


def test_each_bad_row_shows_its_reason_and_cancelling_writes_nothing(signed_in, event):
    register_attendee(event, AttendeeDetails(first_name="Elena", last_name="Conti",
                                             email="already@example.org", consent=True))
    db.session.commit()
    before_outbox = db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)))
    staged_id = upload(signed_in, event, BAD_ROWS.encode("utf-8-sig"))

    page = text(signed_in.get(f"/admin/events/{event.id}/registrations/import/{staged_id}"))
    assert "Confirmed" in import_row(page, 2)
    assert "is not a valid e-mail address" in import_row(page, 3)
    assert "Last name is missing" in import_row(page, 4)
    assert "without &lt; &gt; or a leading =" in import_row(page, 5) or "plain text" in import_row(page, 5)
    assert "The same address is on line 2" in import_row(page, 6)
    assert "Unknown country" in import_row(page, 7)
    assert "is not attended" in import_row(page, 8)
    assert "Already registered" in import_row(page, 9)
    assert "1 confirmed, 0 on the waiting list, 7 not imported" in page

    resp = signed_in.post(f"/admin/events/{event.id}/registrations/import/{staged_id}/cancel",
                          follow_redirects=True)
    assert "nothing was written" in text(resp)
    assert [r.email for r in registrations(event)] == ["already@example.org"]
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == before_outbox
    assert db.session.scalar(sa.select(sa.func.count(StagedImport.id))) == 0


def test_importing_registers_the_valid_rows_with_the_usual_emails(signed_in, event):
    staged_id = upload(signed_in, event, BAD_ROWS.encode("utf-8"))
    resp = post_check(signed_in, event, staged_id, action="import")
    assert resp.status_code == 302
    follow = text(signed_in.get(resp.headers["Location"]))
    # Elena (line 9) is not registered here: she is imported too.
    assert "2 people imported: 2 confirmed, 0 on the waiting list." in follow
    assert "6 rows were not imported." in follow
    anna = [r for r in registrations(event) if r.email == "anna@example.org"]
    assert len(anna) == 1 and anna[0].is_confirmed and anna[0].organisation == "Comune di Treviso"
    assert anna[0].country == "IT"
    mails = db.session.scalars(sa.select(OutboxMessage.category)
                               .where(OutboxMessage.registration_id == anna[0].id)).all()
    assert mails == ["registration.confirmed"]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "registration.import"))
    assert entry.details["confirmed"] == 2 and entry.details["refused"] == 6
    assert entry.details["emails"] is True and entry.details["override"] is False
    assert db.session.scalar(sa.select(sa.func.count(StagedImport.id))) == 0


def test_unticking_the_emails_sends_nothing_to_the_imported_people(signed_in, event):
    body = HEADER + "Anna;Bianchi;anna@example.org;;;\nMarco;Neri;marco@example.org;;;\n"
    staged_id = upload(signed_in, event, body.encode())
    post_check(signed_in, event, staged_id, action="import", send_emails=None)
    assert len(registrations(event)) == 2
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0


def _people(n: int) -> bytes:
    return (HEADER + "".join(f"P{i};Rossi;p{i}@example.org;;;\n" for i in range(n))).encode()


def test_capacity_is_honoured_beyond_it_people_wait(signed_in, event):
    event.capacity = 2
    db.session.commit()
    staged_id = upload(signed_in, event, _people(4))
    page = text(post_check(signed_in, event, staged_id))
    assert "2 confirmed, 2 on the waiting list, 0 not imported" in page
    post_check(signed_in, event, staged_id, action="import")
    statuses = [r.status for r in registrations(event)]
    assert statuses.count(RegistrationStatus.CONFIRMED) == 2
    assert statuses.count(RegistrationStatus.WAITLISTED) == 2


def test_without_a_waiting_list_the_rows_beyond_capacity_are_refused(signed_in, event):
    event.capacity = 1
    event.waitlist_enabled = False
    db.session.commit()
    staged_id = upload(signed_in, event, _people(3))
    page = text(post_check(signed_in, event, staged_id))
    assert "The event is full." in import_row(page, 3) and "The event is full." in import_row(page, 4)
    post_check(signed_in, event, staged_id, action="import")
    assert [r.email for r in registrations(event)] == ["p0@example.org"]


def test_the_organiser_may_override_capacity_and_the_audit_log_says_so(signed_in, event):
    event.capacity = 1
    event.waitlist_enabled = False
    db.session.commit()
    staged_id = upload(signed_in, event, _people(3))
    page = text(post_check(signed_in, event, staged_id, override="y"))
    assert "3 confirmed, 0 on the waiting list, 0 not imported" in page
    post_check(signed_in, event, staged_id, action="import", override="y")
    assert [r.status for r in registrations(event)] == [RegistrationStatus.CONFIRMED] * 3
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "registration.import"))
    assert entry.details["override"] is True
    adds = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "registration.add")).all()
    assert len(adds) == 3 and all(a.details.get("override") for a in adds)


def test_an_xlsx_list_is_read_with_its_columns_guessed(signed_in, event):
    book = Workbook()
    sheet = book.active
    sheet.append(["First name", "Last name", "Email", "Country"])
    sheet.append(["Anna", "Bianchi", "anna@example.org", "Italy"])
    sheet.append(["Jean", "Martin", "jean@example.org", "FR"])
    out = io.BytesIO()
    book.save(out)
    staged_id = upload(signed_in, event, out.getvalue(), "list.xlsx")
    page = text(signed_in.get(f"/admin/events/{event.id}/registrations/import/{staged_id}"))
    assert "2 confirmed, 0 on the waiting list, 0 not imported" in page
    resp = signed_in.post(f"/admin/events/{event.id}/registrations/import/{staged_id}", data={
        "first_name": "First name", "last_name": "Last name", "email": "Email",
        "country": "Country", "send_emails": "y", "action": "import"})
    assert resp.status_code == 302
    assert sorted((r.email, r.country) for r in registrations(event)) == [
        ("anna@example.org", "IT"), ("jean@example.org", "FR")]


def test_a_file_that_is_not_a_list_is_refused_beside_the_field(signed_in, event):
    resp = signed_in.post(f"/admin/events/{event.id}/registrations/import",
                          data={"file": (io.BytesIO(b"only a header\n"), "x.csv")},
                          content_type="multipart/form-data")
    assert resp.status_code == 200
    assert "header row and at least one row of data" in text(resp)
    assert db.session.scalar(sa.select(sa.func.count(StagedImport.id))) == 0


def test_only_the_uploader_sees_the_upload_and_other_organisers_not_the_event(client, auth, signed_in, event):
    staged_id = upload(signed_in, event, _people(1))
    other = UserFactory(role=Role.ORGANISER)
    event.organisers.append(other)
    stranger = UserFactory(role=Role.ORGANISER)
    db.session.commit()
    auth.login(stranger)
    assert client.get(f"/admin/events/{event.id}/registrations/import").status_code == 403
    auth.login(other)
    resp = client.get(f"/admin/events/{event.id}/registrations/import/{staged_id}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/registrations/import")
    assert client.post(f"/admin/events/{event.id}/registrations/import/{staged_id}/cancel").status_code == 404


def test_uploads_left_unconfirmed_are_deleted_after_their_time(app, signed_in, event):
    upload(signed_in, event, _people(2))
    staged = db.session.scalar(sa.select(StagedImport))
    staged.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert purge_staged_imports() == 1
    assert db.session.scalar(sa.select(sa.func.count(StagedImport.id))) == 0


def test_an_imported_person_is_erased_like_anyone_else(signed_in, event):
    staged_id = upload(signed_in, event, (HEADER + "Anna;Bianchi;anna@example.org;;;\n").encode())
    post_check(signed_in, event, staged_id, action="import")
    reg = registrations(event)[0]
    # A second list holding her, uploaded but not imported yet, and one that does not.
    upload(signed_in, event, (HEADER + "Anna;Bianchi;anna@example.org;;;\n").encode())
    upload(signed_in, event, (HEADER + "Luca;Neri;luca@example.org;;;\n").encode())
    assert db.session.scalar(sa.select(sa.func.count(StagedImport.id))) == 2
    erase_personal_data(reg)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))
                             .where(OutboxMessage.recipient == "anna@example.org")) == 0
    texts = db.session.scalars(sa.select(AuditEntry.summary)).all()
    assert not any("Bianchi" in t for t in texts)
    waiting = db.session.scalars(sa.select(StagedImport)).all()
    assert [row for staged in waiting for row in staged.rows] and all(
        "anna@example.org" not in cell for staged in waiting for row in staged.rows for cell in row)


def test_a_list_longer_than_the_limit_is_refused_with_the_limit_named(app, signed_in, event):
    app.config["IMPORT_MAX_ROWS"] = 3
    resp = signed_in.post(f"/admin/events/{event.id}/registrations/import",
                          data={"file": (io.BytesIO(_people(4)), "long.csv")},
                          content_type="multipart/form-data")
    assert "The file has more than 3 rows; split it." in text(resp)
    assert db.session.scalar(sa.select(sa.func.count(StagedImport.id))) == 0


def test_nobody_is_imported_into_a_cancelled_event(signed_in, event):
    event.status = EventStatus.CANCELLED
    db.session.commit()
    staged = upload(signed_in, event, _people(2))
    page = text(post_check(signed_in, event, staged))
    assert "This event has been cancelled." in import_row(page, 2)
    assert "Import 2 people" not in page
    post_check(signed_in, event, staged, action="import")  # a hand-made request
    assert registrations(event) == []


def test_control_characters_in_a_file_are_dropped_not_stored(signed_in, event):
    staged = upload(signed_in, event, HEADER.encode() + b"An\x00na;Bian\x07chi;anna@example.org;;;\n")
    post_check(signed_in, event, staged, action="import")
    assert [(r.first_name, r.last_name) for r in registrations(event)] == [("Anna", "Bianchi")]

"""Check-in per part at the right time, online attendance from platform reports, and
certificates that say what happened (the Turin study visit and the Mestre workshop)."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.db import utcnow
from app.documents import pdf
from app.events.models import Event, EventFormat
from app.extensions import db
from app.registrations import checkin, services
from app.registrations.models import Attendance, AttendanceMode, RegistrationStatus
from app.registrations.services import AttendeeDetails, register_attendee
from tests.factories import EventFactory, SessionFactory

IN_PERSON, ONLINE = AttendanceMode.IN_PERSON, AttendanceMode.ONLINE
TURIN = "torino-ecosistema-innovazione-sociale-2024"


def person(n, mode=IN_PERSON, parts=(), **kw) -> AttendeeDetails:
    return AttendeeDetails(first_name=kw.pop("first", "Paola"), last_name=kw.pop("last", f"Gallo {n}"),
                           email=f"g{n}@example.org", consent=True, attendance_mode=mode,
                           part_ids=[p.id for p in parts], **kw)


def hybrid_two_days(organiser, start: datetime) -> tuple[Event, list]:
    event = EventFactory(slug="mestre-due", format=EventFormat.HYBRID, starts_at=start,
                         ends_at=start + timedelta(days=1, hours=4),
                         online_join_url="https://meet.example.org/x")
    event.organisers.append(organiser)
    day1 = SessionFactory(event=event, title="Giorno 1", registrable=True,
                          starts_at=start, ends_at=start + timedelta(hours=7))
    day2 = SessionFactory(event=event, title="Giorno 2", registrable=True,
                          starts_at=start + timedelta(days=1), ends_at=start + timedelta(days=1, hours=4))
    return event, [day1, day2]


# --- the window --------------------------------------------------------------------------

def test_check_in_months_before_is_refused_and_opens_ninety_minutes_before(app, organiser):
    start = utcnow() + timedelta(days=90)
    event, (day1, day2) = hybrid_two_days(organiser, start)
    reg = register_attendee(event, person(1, parts=[day1, day2])).registration
    with pytest.raises(checkin.CheckinClosed) as early:
        checkin.check_in(reg)  # the old code accepted it three months ahead
    assert "apre" in str(early.value.message) or "opens" in str(early.value.message)
    with pytest.raises(checkin.CheckinClosed):
        checkin.check_in(reg, now=start - timedelta(minutes=91))
    row = checkin.check_in(reg, now=start - timedelta(minutes=89))
    assert row.slot == f"part:{day1.id}"
    later = checkin.check_in(reg, now=start + timedelta(days=1, minutes=5))
    assert later.slot == f"part:{day2.id}"
    assert set(checkin.presence(reg)) == {f"part:{day1.id}", f"part:{day2.id}"}
    with pytest.raises(checkin.CheckinClosed):
        checkin.check_in(reg, slot_key=f"part:{day1.id}", now=start + timedelta(hours=8))


def test_turin_study_visit_has_a_check_in_per_day(runner, app):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    turin = db.session.scalars(sa.select(Event).where(Event.slug == TURIN)).one()
    slots = checkin.event_slots(turin)
    assert [s.key for s in slots] == ["day:2024-11-05", "day:2024-11-06", "day:2024-11-07"]
    reg = register_attendee(turin, person("t", first="Anna", last="Bonaduce"), by=object()).registration
    day2 = slots[1]
    assert day2.starts_at == datetime(2024, 11, 6, 8, 30, tzinfo=UTC)  # 9:30 in Turin
    checkin.check_in(reg, now=day2.starts_at + timedelta(minutes=10))
    assert list(checkin.presence(reg)) == ["day:2024-11-06"]  # one day, not the whole visit
    attended = checkin.attended_slots(reg)
    assert [s.key for s, _row in attended] == ["day:2024-11-06"]
    assert attended[0][0].hours == 8.0  # 9:30 to 17:30


def test_an_organiser_overrides_the_window_only_with_a_reason_which_is_audited(app, client, auth, organiser):
    start = utcnow() + timedelta(days=30)
    event, (day1, _day2) = hybrid_two_days(organiser, start)
    reg = register_attendee(event, person(1, parts=[day1])).registration
    db.session.commit()
    auth.login(organiser)
    refused = client.post(f"/admin/checkin/{reg.checkin_token}", data={"slot": f"part:{day1.id}"})
    assert refused.status_code == 422
    assert "reason-errors" in refused.get_data(as_text=True) or "apre" in refused.get_data(as_text=True)
    assert checkin.presence(reg) == {}
    done = client.post(f"/admin/checkin/{reg.checkin_token}",
                       data={"slot": f"part:{day1.id}", "reason": "registro cartaceo"})
    assert done.status_code == 302
    db.session.expire_all()
    assert list(checkin.presence(reg)) == [f"part:{day1.id}"]
    entry = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "registration.checkin_override")).one()
    assert entry.details["reason"] == "registro cartaceo" and entry.user_id == organiser.id


def test_the_door_page_on_a_phone_lists_the_part_with_a_counter_and_search(app, client, auth, organiser):
    start = utcnow() + timedelta(minutes=45)
    event, (day1, day2) = hybrid_two_days(organiser, start)
    a = register_attendee(event, person(1, parts=[day1], last="Rossi")).registration
    register_attendee(event, person(2, parts=[day1, day2], last="Bianchi"))
    register_attendee(event, person(3, parts=[day2], last="Verdi"))
    db.session.commit()
    auth.login(organiser)
    html = client.get(f"/admin/events/{event.id}/checkin").get_data(as_text=True)
    assert "Rossi" in html and "Bianchi" in html and "Verdi" not in html  # day 1 only
    assert "data-door-search" in html and re.search(r"js/checkin\.[0-9a-f]{12}\.js", html)
    assert "<strong data-present>0</strong> / 2" in html
    resp = client.post(f"/admin/events/{event.id}/checkin/{a.id}", data={"slot": f"part:{day1.id}"})
    assert resp.status_code == 303
    html = client.get(f"/admin/events/{event.id}/checkin?slot=part:{day1.id}").get_data(as_text=True)
    assert "<strong data-present>1</strong> / 2" in html
    # The QR (its check-in token) opens the person's check-in page for an organiser.
    page = client.get(f"/admin/checkin/{a.checkin_token}").get_data(as_text=True)
    assert "Giorno 1" in page


# --- online attendance reports ---------------------------------------------------------

ZOOM = """Meeting ID,Topic,Start Time,End Time,User Email,Duration (Minutes),Participants
812 3456 7890,Webinar open data,{d} 09:55:02 AM,{d} 11:05:40 AM,host@camera.example,71,4

Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest,Recording Consent
Ada Neri,ada@example.org,{d} 09:58:10 AM,{d} 10:40:00 AM,42,No,Y
Ada Neri,ada@example.org,{d} 10:38:00 AM,{d} 11:01:00 AM,23,No,Y
Bruno Sala,BRUNO@example.org,{d} 10:50:00 AM,{d} 11:00:00 AM,10,Yes,Y
Sconosciuto,chi@altrove.example,{d} 10:00:00 AM,{d} 11:00:00 AM,60,Yes,Y
"""

TEAMS_IT = (
    "1. Riepilogo\n"
    "Titolo riunione\tWebinar open data\n"
    "Partecipanti presenti\t3\n"
    "\n"
    "2. Partecipanti\n"
    "Nome\tPrimo ingresso\tUltima uscita\tDurata riunione\tE-mail\tID partecipante (UPN)\tRuolo\n"
    "Ada Neri\t{d}, 10:00:00\t{d}, 11:00:00\t1 h 0 min\tada@example.org\tada@example.org\tPartecipante\n"
    "Bruno Sala\t{d}, 10:00:00\t{d}, 10:20:00\t20 min\tbruno@example.org\tbruno@example.org\tPartecipante\n"
    "\n"
    "3. Attività durante la riunione\n"
    "Nome\tOra di ingresso\tOra di uscita\tDurata\tE-mail\tRuolo\n"
    "Ada Neri\t{d}, 10:00:00\t{d}, 10:25:00\t25 min\tada@example.org\tPartecipante\n"
    "Ada Neri\t{d}, 10:30:00\t{d}, 11:00:00\t30 min\tada@example.org\tPartecipante\n"
    "Bruno Sala\t{d}, 10:00:00\t{d}, 10:20:00\t20 min\tbruno@example.org\tPartecipante\n"
    "Esterno\t{d}, 10:00:00\t{d}, 10:20:00\t20 min\testerno@example.com\tPartecipante\n"
)


def webinar_part(organiser, start):
    event = EventFactory(slug="webinar-dati", format=EventFormat.ONLINE, venue=None, starts_at=start,
                         ends_at=start + timedelta(hours=1), online_join_url="https://meet.example.org/y")
    event.organisers.append(organiser)
    ada = register_attendee(event, AttendeeDetails(first_name="Ada", last_name="Neri", email="ada@example.org",
                                                   consent=True, attendance_mode=ONLINE), by=object()).registration
    bruno = register_attendee(event, AttendeeDetails(first_name="Bruno", last_name="Sala",
                                                     email="bruno@example.org", consent=True,
                                                     attendance_mode=ONLINE), by=object()).registration
    return event, ada, bruno


def test_a_zoom_report_marks_online_attendees_with_their_minutes(app, client, auth, organiser):
    # 10:00-11:00 in Rome = 09:00-10:00 UTC, a few days ago.
    day = (utcnow() - timedelta(days=3)).date()
    start = datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)
    event, ada, bruno = webinar_part(organiser, start)
    db.session.commit()
    auth.login(organiser)
    csv_text = ZOOM.format(d=day.strftime("%m/%d/%Y"))
    resp = client.post(f"/admin/events/{event.id}/attendance/import", data={
        "slot": "event", "report": (io.BytesIO(csv_text.encode()), "participants_812.csv")},
        content_type="multipart/form-data")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "chi@altrove.example" in html  # reported, not matched
    db.session.expire_all()
    [a] = checkin.presence(ada).values()
    assert a.minutes == 60 and a.attended and a.mode == ONLINE  # overlapping re-join counted once
    [b] = checkin.presence(bruno).values()
    assert b.minutes == 10 and not b.attended  # under 50% of the hour
    assert pdf.can_have_certificate(ada) and not pdf.can_have_certificate(bruno)


def test_an_italian_teams_report_in_utf16_with_tabs_is_read_too(app, organiser):
    day = (utcnow() - timedelta(days=2)).date()
    start = datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)
    event, ada, bruno = webinar_part(organiser, start)
    data = TEAMS_IT.format(d=day.strftime("%d/%m/%y")).encode("utf-16")
    report = checkin.import_online_attendance(event, "event", data)
    assert {r.email: m for r, m, _ok in report.marked} == {"ada@example.org": 55, "bruno@example.org": 20}
    assert report.attended == 1
    assert report.unmatched == ["Esterno <esterno@example.com>"]


def test_a_report_without_an_email_column_is_refused_next_to_the_field(app, client, auth, organiser):
    event, _ada, _bruno = webinar_part(organiser, utcnow() - timedelta(days=1))
    db.session.commit()
    auth.login(organiser)
    resp = client.post(f"/admin/events/{event.id}/attendance/import", data={
        "slot": "event", "report": (io.BytesIO(b"nome,cognome\nAda,Neri\n"), "x.csv")},
        content_type="multipart/form-data")
    assert resp.status_code == 422 and "report-errors" in resp.get_data(as_text=True)


# --- certificates ------------------------------------------------------------------------

def test_no_certificate_before_the_attended_part_has_ended(app, client, organiser):
    start = utcnow() - timedelta(minutes=30)  # day 1 is running
    event, (day1, _day2) = hybrid_two_days(organiser, start)
    reg = register_attendee(event, person(1, parts=[day1]), by=object()).registration
    checkin.check_in(reg)
    db.session.commit()
    # The old code issued "ha partecipato" as soon as someone was checked in.
    assert client.get(f"/registrations/{reg.token}/certificate.pdf").status_code == 404
    assert pdf.can_have_certificate(reg, now=day1.ends_at + timedelta(minutes=1))


def test_old_certificate_urls_of_non_attendees_answer_404_and_the_zip_holds_only_attendees(
        app, client, auth, organiser):
    start = utcnow() - timedelta(days=10)
    event, (day1, day2) = hybrid_two_days(organiser, start)
    came = register_attendee(event, person(1, parts=[day1, day2], last="Presente"), by=object()).registration
    never = register_attendee(event, person(2, parts=[day1], last="Assente"), by=object()).registration
    checkin.check_in(came, slot_key=f"part:{day2.id}", reason="foglio firme")
    never.checked_in_at = start - timedelta(days=60)  # checked in months before, under the old rule
    db.session.commit()
    assert client.get(f"/registrations/{never.token}/certificate.pdf").status_code == 404
    assert client.get(f"/registrations/{came.token}/certificate.pdf").status_code == 200
    auth.login(organiser)
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/admin/events/{event.id}/certificates.zip").data))
    assert archive.namelist() == ["certificate-mestre-due-paola-presente.pdf"]


def test_the_certificate_lists_the_days_attended_with_mode_and_hours_in_the_registrants_language(
        app, organiser, tmp_path):
    import subprocess

    start = utcnow() - timedelta(days=10)
    event, (day1, day2) = hybrid_two_days(organiser, start)
    reg = register_attendee(event, person(1, ONLINE, parts=[day1, day2], language="en"), by=object()).registration
    checkin.check_in(reg, slot_key=f"part:{day2.id}", reason="imported by hand")
    path = tmp_path / "c.pdf"
    path.write_bytes(pdf.render_certificate(reg))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    assert "Certificate of attendance" in text and "Giorno 2" in text and "Giorno 1" not in text
    assert "Online" in text and "4.0" in text and "Total hours" in text


# --- personal data -----------------------------------------------------------------------

def test_erasure_removes_attendance_and_anonymisation_keeps_only_the_count(app, organiser):
    start = utcnow() - timedelta(minutes=10)
    event, (day1, _day2) = hybrid_two_days(organiser, start)
    a = register_attendee(event, person(1, parts=[day1]), by=object()).registration
    b = register_attendee(event, person(2, parts=[day1]), by=object()).registration
    checkin.check_in(a, by=organiser)
    checkin.check_in(b, by=organiser)
    services.erase_personal_data(a)
    services.anonymise_registration(b)
    rows = list(db.session.scalars(sa.select(Attendance)))
    assert [r.registration_id for r in rows] == [b.id]
    assert rows[0].checked_in_by_id is None
    assert b.status == RegistrationStatus.CONFIRMED

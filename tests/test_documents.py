"""Printable documents: the programme a visitor downloads, the organisers' attendance sheets,
badges and certificates, and the attendee's own certificate."""
from __future__ import annotations

import io
import re
import subprocess
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app import create_app
from app.auth.models import Role
from app.db import utcnow
from app.documents import pdf
from app.events.models import EventFormat, EventStatus, SessionKind
from app.extensions import db
from app.registrations.models import AttendanceMode, RegistrationStatus
from tests.conftest import BACKEND, _reset_postgres, make_config
from tests.factories import (
    EventFactory,
    ProjectFactory,
    RegistrationFactory,
    SessionFactory,
    SpeakerFactory,
    UserFactory,
)

JOIN_URL = "https://meet.example.org/j/8675309-secret"
METADATA_URL = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
LONG_TITLE = (
    "Innovazione sociale e resilienza delle imprese del territorio: strumenti finanziari, "
    "reti di cooperazione transnazionale e politiche pubbliche per la transizione verde e "
    "digitale nelle aree interne del Mediterraneo"
)
# 9:45 in Rome on a winter Monday is 8:45 UTC.
MONDAY = datetime(2027, 1, 18, 8, 45, tzinfo=UTC)


# --- tools ------------------------------------------------------------------------------

def write(tmp: Path, name: str, body: bytes) -> Path:
    path = tmp / name
    path.write_bytes(body)
    return path


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def pdf_info(path: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True,
                         text=True).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


def pdf_fonts(path: Path) -> list[list[str]]:
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True,
                         text=True).stdout
    return [line.split() for line in out.splitlines()[2:] if line.strip()]


def pdf_words(path: Path) -> list[tuple[int, float, float, float, float, str]]:
    """Every word with its box and page, from `pdftotext -bbox`."""
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    words, page = [], 0
    for line in html.splitlines():
        if "<page " in line:
            page += 1
            size = re.search(r'width="([\d.]+)" height="([\d.]+)"', line)
            words.append((page, 0, 0, float(size[1]), float(size[2]), "<page>"))
        elif m := re.search(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)</word>', line):
            words.append((page, *(float(m[i]) for i in range(1, 5)), m[5]))
    return words


def qpdf_check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)


def uncompressed(path: Path, tmp: Path) -> bytes:
    """The PDF with every stream and object stream unpacked, to search its raw bytes."""
    out = tmp / (path.stem + ".qdf.pdf")
    subprocess.run(["qpdf", "--qdf", "--object-streams=disable", str(path), str(out)],
                   check=True)
    return out.read_bytes()


def build_programme(days: int = 3, per_day: int = 18, title: str = LONG_TITLE):
    project = ProjectFactory(name="+RESILIENT", acronym="+RESILIENT", programme="Interreg MED")
    event = EventFactory(
        slug="resilient-final-conference",
        title=title,
        format=EventFormat.HYBRID,
        starts_at=MONDAY,
        ends_at=MONDAY + timedelta(days=days - 1, hours=8),
        project=project,
        description=f"Una giornata di lavoro.\n\n![mappa]({METADATA_URL})",
        online_join_url=JOIN_URL,
        contact_name="Ufficio Progetti Comunitari",
        contact_phone="+39 0422 595288",
        contact_email="progetti.territoriali@example.org",
    )
    speakers = [SpeakerFactory(name=f"Relatrice Numero{n}", affiliation=f"Ateneo {n}")
                for n in range(6)]
    for day in range(days):
        for n in range(per_day):
            item = SessionFactory(
                event=event,
                title=f"Sessione {day + 1}.{n + 1}: catene del valore e transizione",
                starts_at=MONDAY + timedelta(days=day, minutes=25 * n),
                ends_at=MONDAY + timedelta(days=day, minutes=25 * n + 25),
                room="Sala Europa" if n % 2 else "Auditorium",
                kind=SessionKind.BREAK if n == 5 else SessionKind.TALK,
            )
            item.speakers = [speakers[n % 6], speakers[(n + 1) % 6]] if n != 5 else []
    db.session.flush()
    return event


@pytest.fixture(scope="module")
def big_programme(_postgres_schema, tmp_path_factory):
    """A three-day, 54-session programme with a long title, rendered once for the module."""
    tmp = tmp_path_factory.mktemp("programme")
    app = create_app(make_config())
    with app.app_context():
        if BACKEND == "postgres":
            _reset_postgres()
        else:
            db.create_all()
        event = build_programme()
        db.session.commit()
        found = {}
        real_fetch = pdf.StaticOnlyFetcher.fetch

        def spy(self, url, headers=None):
            try:
                return real_fetch(self, url, headers)
            except pdf.DocumentFetchRefused:
                found.setdefault("refused", []).append(url)
                raise

        pdf.StaticOnlyFetcher.fetch = spy
        try:
            path = write(tmp, "programme.pdf", pdf.render_programme_pdf(event, "it"))
        finally:
            pdf.StaticOnlyFetcher.fetch = real_fetch
        db.session.remove()
        if BACKEND != "postgres":
            db.drop_all()
        db.engine.dispose()
    return {"path": path, "tmp": tmp, "refused": found.get("refused", [])}


# --- the programme ----------------------------------------------------------------------

def test_programme_shows_title_times_in_the_event_time_zone_rooms_and_speakers(big_programme):
    text = pdf_text(big_programme["path"])
    flat = " ".join(text.split())
    assert "Innovazione sociale e resilienza delle imprese" in flat
    assert "Interreg MED — +RESILIENT" in flat
    assert "Lunedì 18 gennaio 2027" in flat and "Mercoledì 20 gennaio 2027" in flat
    assert "9:45–10:10" in flat  # 8:45 UTC shown in Rome time
    assert "8:45" not in flat
    assert "Relatrice Numero3, Ateneo 3" in flat
    assert "Sala Europa" in flat and "Auditorium" in flat
    assert "Ufficio Progetti Comunitari" in flat and "+39 0422 595288" in flat
    assert re.search(r"Pagina 1 di \d", flat)
    for day in (1, 2, 3):  # nothing lost at a page break
        for n in (1, 9, 18):
            assert f"Sessione {day}.{n}:" in flat


def test_programme_is_a_valid_tagged_pdf_with_metadata_and_every_font_embedded(big_programme):
    path = big_programme["path"]
    check = qpdf_check(path)
    assert check.returncode == 0, check.stdout + check.stderr
    info = pdf_info(path)
    assert info["Tagged"] == "yes"
    assert info["Title"].startswith("Innovazione sociale e resilienza")
    assert info["Author"] == "Camera di Commercio di Treviso-Belluno"
    assert info["Page size"].endswith("(A4)")
    assert 3 <= int(info["Pages"]) <= 10  # 54 sessions over three days
    fonts = pdf_fonts(path)
    assert fonts and all(row[-5] == "yes" for row in fonts), fonts  # the 'emb' column
    assert any("Titillium" in row[0] for row in fonts)
    raw = uncompressed(path, big_programme["tmp"])
    assert b"/Lang (it)" in raw
    assert b"pdfuaid:part" in raw or b"pdfuaid" in raw


def test_programme_never_carries_the_private_join_link(big_programme):
    assert "8675309" not in pdf_text(big_programme["path"])
    assert b"8675309" not in uncompressed(big_programme["path"], big_programme["tmp"])


def test_an_image_in_the_description_pointing_outside_is_never_fetched(big_programme):
    # The Markdown renderer now drops images from hosts outside CONTENT_IMAGE_HOSTS, so
    # the PDF fetcher (which would refuse it) is not even asked any more.
    assert big_programme["refused"] in ([], [METADATA_URL])


def test_long_title_and_fifty_sessions_lay_out_without_overlap_or_clipping(big_programme):
    words = pdf_words(big_programme["path"])
    pages = {w[0]: w for w in words if w[5] == "<page>"}
    by_page: dict[int, list] = {}
    for word in words:
        if word[5] == "<page>":
            continue
        page, x0, y0, x1, y1, text = word
        size = pages[page]
        assert 0 <= x0 and x1 <= size[3] and 0 <= y0 and y1 <= size[4], word
        by_page.setdefault(page, []).append(word)
    # Word boxes include the font's whole ascent and descent, which touch between tight
    # lines; the middle of each box is where glyphs drawn over each other would meet.
    def core(word):
        middle, half = (word[2] + word[4]) / 2, (word[4] - word[2]) * 0.3
        return word[1], middle - half, word[3], middle + half

    for page_words in by_page.values():
        boxes = [(core(w), w) for w in page_words]
        for i, (a, word_a) in enumerate(boxes):
            for b, word_b in boxes[i + 1:]:
                overlap_x = min(a[2], b[2]) - max(a[0], b[0])
                overlap_y = min(a[3], b[3]) - max(a[1], b[1])
                assert overlap_x <= 0.5 or overlap_y <= 0, (word_a, word_b)


def test_programme_download_is_inline_pdf_with_etag_and_revalidates(app, client, monkeypatch,
                                                                    count_queries):
    event = build_programme(days=1, per_day=3, title="Conferenza finale +RESILIENT")
    db.session.commit()
    renders = []
    real = pdf.render_programme_pdf
    monkeypatch.setattr(pdf, "render_programme_pdf",
                        lambda e, lang=None: renders.append(lang) or real(e, lang))

    url = f"/events/{event.slug}/programme.pdf"
    resp = client.get(url)
    assert resp.status_code == 200
    assert resp.mimetype == "application/pdf"
    assert resp.headers["Content-Disposition"] == (
        'inline; filename="programme-resilient-final-conference.pdf"')
    assert resp.data.startswith(b"%PDF-")
    etag = resp.headers["ETag"]
    assert renders == ["it"]

    # A second visitor is served from the cache, with one query for the event's version.
    with count_queries() as queries:
        again = client.get(url)
    assert again.data == resp.data and again.headers["ETag"] == etag
    assert renders == ["it"] and queries() == 1

    revalidated = client.get(url, headers={"If-None-Match": etag})
    assert revalidated.status_code == 304 and revalidated.data == b""
    assert renders == ["it"]

    english = client.get(url + "?lang=en")
    assert english.headers["ETag"] != etag and renders == ["it", "en"]

    # An edit makes the next download fresh.
    event.title = "Conferenza finale +RESILIENT (nuova sede)"
    event.bump_version()
    db.session.commit()
    fresh = client.get(url, headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and fresh.headers["ETag"] != etag
    assert renders == ["it", "en", "it"]


def test_programme_of_a_draft_or_unknown_event_is_not_found(client):
    EventFactory(slug="bozza", status=EventStatus.DRAFT)
    db.session.commit()
    assert client.get("/events/bozza/programme.pdf").status_code == 404
    assert client.get("/events/nessuno/programme.pdf").status_code == 404


def test_cold_programme_render_costs_three_queries_whatever_its_length(app, count_queries):
    event = build_programme(days=2, per_day=4, title="Breve")
    db.session.commit()
    db.session.expire_all()
    with count_queries() as queries:
        pdf.render_programme_pdf(db.session.get(pdf.Event, event.id), "en")
    # the event (with venue and project), sessions, speakers, and the cover picture
    assert queries() == 4


def test_visitor_finds_the_programme_on_the_event_page_in_their_language(app, client):
    EventFactory(slug="mestre-hybrid", title="Innovazione sociale a Mestre")
    db.session.commit()
    page = client.get("/events/mestre-hybrid/").get_data(as_text=True)
    assert "Scarica il programma" in page
    link = re.search(r'href="(/events/mestre-hybrid/programme\.pdf\?lang=it)"', page)
    resp = client.get(link[1])
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF-")
    client.post("/language", data={"lang": "en", "next": "/"})
    page = client.get("/events/mestre-hybrid/").get_data(as_text=True)
    assert 'href="/events/mestre-hybrid/programme.pdf?lang=en"' in page
    assert "Download the programme" in page


# --- the restricted fetcher ---------------------------------------------------------------

def test_the_fetcher_serves_static_files_and_data_uris_and_refuses_everything_else(app):
    fetcher = pdf.StaticOnlyFetcher(app.static_folder, "http://localhost/")
    css = fetcher.fetch("http://localhost/static/pdf/print.css")
    assert b"@page" in css.read() and css.content_type == "text/css"
    data = fetcher.fetch("data:text/plain;base64,Y2lhbw==")
    assert data.read() == b"ciao"
    for url in (
        METADATA_URL,
        "https://example.org/logo.png",
        "http://localhost/events/x/",
        "http://localhost/static/../app/config.py",
        "http://localhost/static/%2e%2e/instance/secret_key",
        "http://localhost/static//etc/passwd",
        "file:///etc/passwd",
        "ftp://localhost/static/pdf/print.css",
    ):
        with pytest.raises(pdf.DocumentFetchRefused):
            fetcher.fetch(url)


# --- organisers' documents ---------------------------------------------------------------

@pytest.fixture
def registered_event(app):
    """A two-day hybrid event with a registrable part per day and a mix of registrants."""
    event = EventFactory(
        slug="mestre-hybrid", title="Innovazione sociale a Mestre", format=EventFormat.HYBRID,
        starts_at=MONDAY, ends_at=MONDAY + timedelta(days=1, hours=4),
        project=ProjectFactory(acronym="+RESILIENT", programme="Interreg MED"),
        online_join_url=JOIN_URL,
    )
    day1 = SessionFactory(event=event, title="Prima giornata", registrable=True,
                          starts_at=MONDAY, ends_at=MONDAY + timedelta(hours=7))
    day2 = SessionFactory(event=event, title="Seconda giornata", registrable=True,
                          starts_at=MONDAY + timedelta(days=1, hours=0.25),
                          ends_at=MONDAY + timedelta(days=1, hours=4))
    people = {}
    for key, first, last, org, parts, extra in [
        ("zanon", "Luca", "Zanon", "Vega Scarl", [day1, day2], {}),
        ("dangelo", "Anna", "D'Angelo", "Comune di Venezia", [day1], {}),
        ("avila", "Sofía", "Ávila", "Universidad de Sevilla", [day2],
         {"language": "en", "attendance_mode": AttendanceMode.ONLINE}),
        ("bianchi", "Marco", "bianchi", "Confartigianato", [day1], {}),
        ("waiting", "Wanda", "Attesa", "Lista d'attesa", [day1],
         {"status": RegistrationStatus.WAITLISTED}),
        ("gone", "Carlo", "Annullato", "Ritirato", [day1],
         {"status": RegistrationStatus.CANCELLED}),
    ]:
        people[key] = RegistrationFactory(event=event, first_name=first, last_name=last,
                                          organisation=org, parts=parts, **extra)
    organiser = UserFactory()
    event.organisers.append(organiser)
    db.session.commit()
    return {"event": event, "parts": (day1, day2), "people": people, "organiser": organiser}


def test_attendance_sheet_lists_confirmed_registrants_alphabetically(registered_event, client,
                                                                   auth, tmp_path):
    event = registered_event["event"]
    auth.login(registered_event["organiser"])
    resp = client.get(f"/admin/events/{event.id}/attendance.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.headers["Cache-Control"] == "private, no-store"
    path = write(tmp_path, "sheet.pdf", resp.data)
    text = pdf_text(path)
    assert text.count("Foglio firme") == 2  # one sheet per day of the event
    assert "Innovazione sociale a Mestre" in text and "Interreg MED — +RESILIENT" in text
    assert "Lunedì 18 gennaio 2027" in text and "Martedì 19 gennaio 2027" in text
    first_day = text.split("Martedì 19 gennaio 2027")[0]
    order = [first_day.index(name) for name in ("Ávila", "bianchi", "D'Angelo", "Zanon")]
    assert order == sorted(order)
    assert "Universidad de Sevilla" in first_day and "Firma" in first_day
    assert "partecipa online" in first_day  # Sofía attends the hybrid event online
    assert "Attesa" not in text and "Annullato" not in text
    assert qpdf_check(path).returncode == 0


def test_attendance_sheet_of_a_part_lists_only_that_part(registered_event, client, auth,
                                                         tmp_path):
    event, (_day1, day2) = registered_event["event"], registered_event["parts"]
    auth.login(registered_event["organiser"])
    resp = client.get(f"/admin/events/{event.id}/parts/{day2.id}/attendance.pdf")
    assert resp.status_code == 200
    text = pdf_text(write(tmp_path, "part.pdf", resp.data))
    assert "Seconda giornata" in text and "Martedì 19 gennaio 2027" in text
    assert "Zanon" in text and "Ávila" in text
    assert "bianchi" not in text and "D'Angelo" not in text
    assert text.count("Foglio firme") == 1
    other = EventFactory()
    db.session.commit()
    assert client.get(f"/admin/events/{other.id}/parts/{day2.id}/attendance.pdf").status_code in (403, 404)


def test_organiser_documents_need_a_login_and_the_right_event(registered_event, client, auth):
    event = registered_event["event"]
    urls = [f"/admin/events/{event.id}/attendance.pdf", f"/admin/events/{event.id}/badges.pdf",
            f"/admin/events/{event.id}/certificates.zip",
            f"/admin/events/{event.id}/programme.pdf"]
    for url in urls:
        resp = client.get(url)
        assert resp.status_code == 302 and "/admin/login" in resp.headers["Location"]
    auth.login(UserFactory())  # an organiser of other events
    db.session.commit()
    for url in urls:
        assert client.get(url).status_code == 403


def test_badges_print_ten_per_a4_sheet_for_people_attending_in_person(registered_event, client,
                                                                      auth, tmp_path):
    event = registered_event["event"]
    for n in range(9):
        RegistrationFactory(event=event, first_name="Ospite", last_name=f"Numero{n}")
    admin = UserFactory(role=Role.ADMIN)
    db.session.commit()
    auth.login(admin)
    resp = client.get(f"/admin/events/{event.id}/badges.pdf")
    assert resp.status_code == 200
    path = write(tmp_path, "badges.pdf", resp.data)
    info = pdf_info(path)
    assert info["Pages"] == "2" and info["Page size"].endswith("(A4)")  # 3 + 9 in person
    text = pdf_text(path)
    assert "Luca Zanon" in text and "Vega Scarl" in text and "Ospite Numero8" in text
    assert "Sofía" not in text  # attends online: no badge
    assert "Attesa" not in text


def attend(registered_event, *keys: str) -> None:
    """Move the event into the past and check these people in at their first part
    (certificates exist only once an attended part has ended)."""
    from app.registrations import checkin

    event = registered_event["event"]
    if event.ends_at > utcnow():
        back = timedelta(days=2 * 364)
        event.starts_at -= back
        event.ends_at -= back
        for part in event.sessions:
            part.starts_at -= back
            part.ends_at -= back
    db.session.flush()
    for key in keys:
        reg = registered_event["people"][key]
        if reg.is_confirmed:
            checkin.check_in(reg, slot_key=checkin.registration_slots(reg)[0].key,
                             reason="foglio firme del giorno")
        else:
            reg.checked_in_at = event.starts_at  # what the old code trusted
    db.session.flush()


def test_checked_in_attendee_downloads_their_certificate_in_their_language(registered_event,
                                                                         client, tmp_path):
    people = registered_event["people"]
    attend(registered_event, "avila", "zanon")
    db.session.commit()

    resp = client.get(f"/registrations/{people['avila'].token}/certificate.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.headers["Cache-Control"] == "private, no-store"
    english = pdf_text(write(tmp_path, "en.pdf", resp.data))
    assert "Certificate of attendance" in english and "Sofía Ávila" in english
    assert "Innovazione sociale a Mestre" in english and "Seconda giornata" in english
    assert "Online" in english

    italian = pdf_text(write(tmp_path, "it.pdf", client.get(
        f"/registrations/{people['zanon'].token}/certificate.pdf").data))
    assert "Attestato di partecipazione" in italian and "Luca Zanon" in italian
    assert "Si attesta che" in italian and "Interreg MED — +RESILIENT" in italian


def test_no_certificate_before_check_in_or_for_a_wrong_token(registered_event, client):
    people = registered_event["people"]
    attend(registered_event, "gone")
    db.session.commit()
    assert client.get(f"/registrations/{people['bianchi'].token}/certificate.pdf").status_code == 404
    assert client.get(f"/registrations/{people['gone'].token}/certificate.pdf").status_code == 404
    assert client.get("/registrations/not-a-token/certificate.pdf").status_code == 404
    assert client.get(f"/registrations/{people['bianchi'].token[:-1]}x/certificate.pdf").status_code == 404


def test_attendee_page_offers_the_certificate_only_once_checked_in(registered_event, client):
    person = registered_event["people"]["zanon"]
    page = client.get(f"/registrations/{person.token}/").get_data(as_text=True)
    assert "certificate.pdf" not in page
    attend(registered_event, "zanon")
    db.session.commit()
    page = client.get(f"/registrations/{person.token}/").get_data(as_text=True)
    assert f"/registrations/{person.token}/certificate.pdf" in page
    assert "Attestato di partecipazione" in page


def test_organiser_downloads_every_certificate_in_one_zip(registered_event, client, auth):
    attend(registered_event, "zanon", "dangelo", "gone")
    db.session.commit()
    auth.login(registered_event["organiser"])
    resp = client.get(f"/admin/events/{registered_event['event'].id}/certificates.zip")
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    assert resp.is_streamed
    archive = zipfile.ZipFile(io.BytesIO(resp.data))
    assert archive.testzip() is None
    names = sorted(archive.namelist())
    assert names == ["certificate-mestre-hybrid-anna-d-angelo.pdf",
                     "certificate-mestre-hybrid-luca-zanon.pdf"]
    assert all(archive.read(n).startswith(b"%PDF-") for n in names)


def test_no_certificates_zip_when_nobody_has_checked_in(registered_event, client, auth):
    auth.login(registered_event["organiser"])
    resp = client.get(f"/admin/events/{registered_event['event'].id}/certificates.zip")
    assert resp.status_code == 404


def test_organiser_finds_every_document_on_the_event_back_office_page(registered_event,
                                                                     client, auth):
    event = registered_event["event"]
    attend(registered_event, "zanon")
    db.session.commit()
    auth.login(registered_event["organiser"])
    html = client.get(f"/admin/events/{event.id}/").get_data(as_text=True)
    day1, day2 = registered_event["parts"]
    for url in (f"/admin/events/{event.id}/programme.pdf",
                f"/admin/events/{event.id}/attendance.pdf",
                f"/admin/events/{event.id}/parts/{day1.id}/attendance.pdf",
                f"/admin/events/{event.id}/parts/{day2.id}/attendance.pdf",
                f"/admin/events/{event.id}/badges.pdf",
                f"/admin/events/{event.id}/certificates.zip"):
        assert url in html
    assert "Foglio firme" in html and "Badge nominativi" in html


def test_a_large_event_downloads_its_certificates_in_batches(registered_event, client, auth,
                                                             app, monkeypatch):
    monkeypatch.setattr(pdf, "CERTIFICATES_PER_ZIP", 2)
    attend(registered_event, "zanon", "dangelo", "bianchi")
    db.session.commit()
    event = registered_event["event"]
    auth.login(registered_event["organiser"])
    panel = client.get(f"/admin/events/{event.id}/").get_data(as_text=True)
    assert "Attestati di partecipazione 1–2 di 3 (ZIP)" in panel
    assert f"/admin/events/{event.id}/certificates.zip?batch=2" in panel

    first = client.get(f"/admin/events/{event.id}/certificates.zip?batch=1")
    assert first.headers["Content-Disposition"] == (
        'attachment; filename="certificates-mestre-hybrid-1-of-2.zip"')
    assert zipfile.ZipFile(io.BytesIO(first.data)).namelist() == [
        "certificate-mestre-hybrid-marco-bianchi.pdf", "certificate-mestre-hybrid-anna-d-angelo.pdf"]
    second = client.get(f"/admin/events/{event.id}/certificates.zip?batch=2")
    assert zipfile.ZipFile(io.BytesIO(second.data)).namelist() == [
        "certificate-mestre-hybrid-luca-zanon.pdf"]
    assert client.get(f"/admin/events/{event.id}/certificates.zip?batch=3").status_code == 404


def test_organiser_previews_the_programme_of_a_draft(client, auth, tmp_path):
    organiser = UserFactory()
    draft = EventFactory(slug="bozza", title="Bozza del programma", status=EventStatus.DRAFT,
                         language="en")
    draft.organisers.append(organiser)
    db.session.commit()
    assert client.get("/events/bozza/programme.pdf").status_code == 404
    auth.login(organiser)
    resp = client.get(f"/admin/events/{draft.id}/programme.pdf")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "private, no-store"
    text = pdf_text(write(tmp_path, "draft.pdf", resp.data))
    assert "Bozza del programma" in text and "Page 1 of 1" in text  # the event's language

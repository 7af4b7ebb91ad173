"""Files: organisers upload slides, programmes and pictures once; visitors download them
safely, from the database or from an S3-compatible store (both through the same tests)."""
from __future__ import annotations

import io
import struct
import urllib.request
import uuid
import zlib

import pytest
import sqlalchemy as sa
from PIL import Image

from app.events import operations as ops
from app.events.models import Material, MaterialKind, Visibility
from app.extensions import db
from app.files import services as files
from app.files.models import Blob, BlobChunk, MaterialFile, Picture
from app.registrations.models import RegistrationStatus
from tests.factories import (
    EventFactory,
    ProjectFactory,
    RegistrationFactory,
    SessionFactory,
    SpeakerFactory,
    UserFactory,
    VenueFactory,
)

MOTO_PORT = 5105


@pytest.fixture(scope="session")
def moto_server():
    """moto's S3 in server mode on 127.0.0.1, for the whole run."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=MOTO_PORT, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{MOTO_PORT}"
    server.stop()


def use_s3(app, endpoint: str, *, signed: bool = False) -> str:
    import boto3

    bucket = f"eventi-{uuid.uuid4().hex[:12]}"
    app.config.update(STORAGE_S3_ENDPOINT=endpoint, STORAGE_S3_BUCKET=bucket,
                      STORAGE_S3_ACCESS_KEY="test", STORAGE_S3_SECRET_KEY="test",
                      STORAGE_S3_REGION="us-east-1", STORAGE_S3_SIGNED_URLS=signed)
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                 aws_access_key_id="test", aws_secret_access_key="test").create_bucket(Bucket=bucket)
    return bucket


@pytest.fixture(params=["database", "s3"])
def backend(request, app):
    """Each test below runs once with files in the database and once in S3."""
    if request.param == "s3":
        use_s3(app, request.getfixturevalue("moto_server"))
    app.config["STORAGE_BACKEND"] = request.param
    return request.param


def in_english(client) -> None:
    with client.session_transaction() as session:
        session["lang"] = "en"


@pytest.fixture
def organiser(client, auth):
    user = UserFactory(name="Elena Zambelli", email="elena@example.org")
    db.session.commit()
    auth.login(user)
    in_english(client)
    return user


def own_event(user, **kwargs):
    event = EventFactory(**kwargs)
    event.organisers.append(user)
    db.session.commit()
    return event


# ---------------------------------------------------------------- sample files


def pdf_bytes(text: str = "Programma", pad: int = 0) -> bytes:
    body = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n% " + text.encode() + b"\n")
    return body + b"%" * pad + b"\n%%EOF\n"


def png_bytes(size=(40, 30), color=(200, 30, 30), exif: Image.Exif | None = None,
              fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, color)
    if exif is not None:
        image.save(buffer, fmt, exif=exif)
    else:
        image.save(buffer, fmt)
    return buffer.getvalue()


def gps_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (45.0, 40.0, 0.0)
    gps[3] = "E"
    gps[4] = (12.0, 14.0, 0.0)
    return png_bytes((800, 600), exif=exif, fmt="JPEG")


def bomb_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A few hundred bytes claiming 20,000×20,000 pixels (400 million)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1000)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
       b'<script>alert(document.cookie)</script></svg>')


def upload_material(client, event, data: bytes, filename: str, **fields):
    form = {"kind": "slides", "title": "Presentazione", "url": "", "visibility": "public",
            "session_id": "0", "file": (io.BytesIO(data), filename)}
    form.update(fields)
    return client.post(f"/admin/events/{event.id}/materials/new", data=form,
                       content_type="multipart/form-data")


def download(client, url: str):
    response = client.get(url)
    if response.status_code == 303:  # a signed address of the S3 store
        with urllib.request.urlopen(response.headers["Location"]) as remote:
            return response, remote.read()
    return response, response.get_data()


# ---------------------------------------------------------------- materials


def test_slides_uploaded_by_the_organiser_download_with_safe_headers(client, organiser, backend):
    event = own_event(organiser)
    data = pdf_bytes(pad=3 * 1024 * 1024)  # more than one stored chunk
    assert upload_material(client, event, data, "Presentazione Città.pdf").status_code == 302
    material = db.session.scalar(sa.select(Material))
    assert material.url.endswith(f"/events/{event.slug}/materials/{material.id}")
    listing = client.get(f"/admin/events/{event.id}/").get_data(as_text=True)
    assert "PDF, 3 MB" in listing
    # Organisers open it from the back-office, whatever the event's state.
    assert f"/admin/events/{event.id}/materials/{material.id}/file" in listing
    preview, body = download(client, f"/admin/events/{event.id}/materials/{material.id}/file")
    assert body == data

    response = client.get(f"/events/{event.slug}/materials/{material.id}")
    assert response.status_code == 200
    assert response.get_data() == data
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"] == (
        "inline; filename=\"Presentazione Citt_.pdf\"; "
        "filename*=UTF-8''Presentazione%20Citt%C3%A0.pdf")
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "public, no-cache"
    again = client.get(response.request.path, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_a_png_named_pdf_is_stored_and_served_as_the_png_it_is(client, organiser, backend):
    event = own_event(organiser)
    assert upload_material(client, event, png_bytes(), "programma.pdf").status_code == 302
    stored = db.session.scalar(sa.select(MaterialFile))
    assert (stored.kind, stored.content_type, stored.filename) == ("png", "image/png",
                                                                  "programma.png")
    response = client.get(f"/events/{event.slug}/materials/{stored.material_id}")
    assert response.mimetype == "image/png"
    assert "programma.png" in response.headers["Content-Disposition"]


@pytest.mark.parametrize("data, name", [
    (SVG, "logo.svg"),
    (b"<html><script>alert(1)</script></html>", "slides.pdf"),
    (b"MZ\x90\x00 an executable", "programme.docx"),
])
def test_svg_html_and_anything_else_are_refused_naming_the_allowed_kinds(
        client, organiser, backend, data, name):
    event = own_event(organiser)
    page = upload_material(client, event, data, name).get_data(as_text=True)
    assert 'id="file-errors"' in page
    assert "Allowed: PDF, PowerPoint or Impress, Word or Writer" in page
    assert db.session.scalar(sa.select(sa.func.count(Material.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Blob.id))) == 0


def test_a_50_mb_file_over_the_limit_is_refused(client, organiser, backend):
    event = own_event(organiser)
    page = upload_material(client, event, pdf_bytes(pad=50 * 1024 * 1024), "atti.pdf")
    assert page.status_code == 413  # beyond what any upload page takes: refused unread
    assert "too large" in page.get_data(as_text=True)
    # Within what the page takes, beyond what a document may be: said beside the field.
    text = upload_material(client, event, pdf_bytes(pad=25 * 1024 * 1024), "atti.pdf").get_data(
        as_text=True)
    assert 'id="file-errors"' in text and "at most 20 MB" in text
    assert db.session.scalar(sa.select(sa.func.count(Blob.id))) == 0


def test_office_files_and_zip_archives_are_told_apart_by_their_contents(app):
    import zipfile

    from app.files.validation import sniff

    def archive(entries: dict[str, bytes]) -> io.BytesIO:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            for name, content in entries.items():
                z.writestr(name, content)
        buffer.seek(0)
        return buffer

    ct = b"<Types/>"
    assert sniff(archive({"[Content_Types].xml": ct, "ppt/presentation.xml": b"x"})).name == "pptx"
    assert sniff(archive({"[Content_Types].xml": ct, "word/document.xml": b"x"})).name == "docx"
    odp = archive({"mimetype": b"application/vnd.oasis.opendocument.presentation"})
    assert sniff(odp).name == "odp"
    assert sniff(archive({"photos/a.jpg": b"x"})).name == "zip"
    assert sniff(io.BytesIO(SVG)) is None


def test_the_same_file_twice_is_stored_once_and_goes_with_its_last_user(
        client, organiser, backend):
    event = own_event(organiser)
    data = pdf_bytes("Programma definitivo")
    upload_material(client, event, data, "programma.pdf")
    upload_material(client, event, data, "programma-copia.pdf", title="Copia")
    assert db.session.scalar(sa.select(sa.func.count(MaterialFile.material_id))) == 2
    assert db.session.scalar(sa.select(sa.func.count(Blob.id))) == 1
    first, second = db.session.scalars(sa.select(Material).order_by(Material.id)).all()
    client.post(f"/admin/events/{event.id}/materials/{first.id}/delete")
    assert db.session.scalar(sa.select(sa.func.count(Blob.id))) == 1
    assert client.get(f"/events/{event.slug}/materials/{second.id}").status_code in (200, 303)
    client.post(f"/admin/events/{event.id}/materials/{second.id}/delete")
    assert db.session.scalar(sa.select(sa.func.count(Blob.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BlobChunk)) == 0


def test_replacing_a_file_keeps_its_address(client, organiser, backend):
    event = own_event(organiser)
    upload_material(client, event, pdf_bytes("bozza"), "programma.pdf")
    material = db.session.scalar(sa.select(Material))
    address = f"/events/{event.slug}/materials/{material.id}"
    form = {"kind": "programme", "title": "Programma", "url": "", "visibility": "public",
            "session_id": "0", "file": (io.BytesIO(pdf_bytes("definitivo")), "programma v2.pdf")}
    assert client.post(f"/admin/events/{event.id}/materials/{material.id}/edit", data=form,
                       content_type="multipart/form-data").status_code == 302
    _, body = download(client, address)
    assert b"definitivo" in body
    assert db.session.scalar(sa.select(sa.func.count(Blob.id))) == 1  # the draft went
    edit = client.get(f"/admin/events/{event.id}/materials/{material.id}/edit").get_data(as_text=True)
    assert "programma v2.pdf" in edit


def test_a_file_link_shared_before_the_event_was_renamed_still_downloads(client, organiser):
    event = own_event(organiser, slug="conferenza-2026")
    upload_material(client, event, pdf_bytes("programma"), "programma.pdf")
    material = db.session.scalar(sa.select(Material))
    shared = f"/events/conferenza-2026/materials/{material.id}"
    ops.update_event(event, {"slug": "conferenza-finale"}, user=organiser)
    db.session.commit()
    assert material.url.endswith(f"/events/conferenza-finale/materials/{material.id}")
    page = client.get("/events/conferenza-finale/").get_data(as_text=True)
    assert f'href="{material.url}"' in page
    moved = client.get(shared)
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith(f"/events/conferenza-finale/materials/{material.id}")
    _, body = download(client, moved.headers["Location"])
    assert b"programma" in body


def test_a_recording_stays_a_link(client, organiser):
    event = own_event(organiser)
    page = upload_material(client, event, pdf_bytes(), "video.pdf", kind="recording")
    assert 'id="kind-errors"' in page.get_data(as_text=True)


def test_materials_are_reordered_by_the_organiser(client, organiser):
    event = own_event(organiser)
    for title in ("Primo", "Secondo"):
        client.post(f"/admin/events/{event.id}/materials/new", data={
            "kind": "link", "title": title, "url": "https://example.org/" + title,
            "visibility": "public", "session_id": "0"})
    second = db.session.scalar(sa.select(Material).where(Material.title == "Secondo"))
    client.post(f"/admin/events/{event.id}/materials/{second.id}/move", data={"direction": "up"})
    db.session.expire_all()
    titles = [m.title for m in db.session.scalars(sa.select(Material).order_by(Material.position))]
    assert titles == ["Secondo", "Primo"]


def test_registrant_only_files_need_a_confirmed_registration_token(client, organiser, backend):
    event = own_event(organiser)
    upload_material(client, event, pdf_bytes("riservato"), "slides.pdf", visibility="registrants")
    material = db.session.scalar(sa.select(Material))
    assert material.visibility == Visibility.REGISTRANTS
    confirmed = RegistrationFactory(event=event)
    waiting = RegistrationFactory(event=event, status=RegistrationStatus.WAITLISTED)
    db.session.commit()

    assert client.get(f"/events/{event.slug}/materials/{material.id}").status_code == 404
    assert client.get(f"/registrations/not-a-token/materials/{material.id}").status_code == 404
    assert client.get(f"/registrations/{waiting.token}/materials/{material.id}").status_code == 404
    page = client.get(f"/registrations/{confirmed.token}/").get_data(as_text=True)
    address = f"/registrations/{confirmed.token}/materials/{material.id}"
    assert address in page
    response, body = download(client, address)
    assert b"riservato" in body
    assert "private" in response.headers["Cache-Control"]
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_signed_s3_addresses_expire_quickly_and_name_the_file(client, organiser, app, moto_server):
    use_s3(app, moto_server, signed=True)
    app.config["STORAGE_BACKEND"] = "s3"
    event = own_event(organiser)
    upload_material(client, event, pdf_bytes("firmato"), "Relazione finale.pdf")
    material = db.session.scalar(sa.select(Material))
    response = client.get(f"/events/{event.slug}/materials/{material.id}")
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith(moto_server) and "Expires=300" in location
    with urllib.request.urlopen(location) as remote:
        assert b"firmato" in remote.read()
        assert "Relazione%20finale.pdf" in remote.headers["Content-Disposition"]


def test_erasing_the_attendees_data_of_an_event_leaves_its_files_alone(client, organiser):
    from datetime import timedelta

    from app.registrations import services as registrations

    event = own_event(organiser)
    upload_material(client, event, pdf_bytes("pubblico"), "atti.pdf")
    upload_material(client, event, pdf_bytes("riservato"), "slides.pdf", title="Slide",
                    visibility="registrants")
    client.post(f"/admin/events/{event.id}/picture", data={
        "picture": (io.BytesIO(png_bytes()), "c.png")}, content_type="multipart/form-data")
    reg = RegistrationFactory(event=event)
    db.session.commit()
    blobs = set(db.session.scalars(sa.select(Blob.sha256)))
    registrations.erase_personal_data(reg)
    later = event.ends_at + timedelta(days=app_retention_days() + 1)
    registrations.anonymise_expired(now=later)
    db.session.commit()
    assert set(db.session.scalars(sa.select(Blob.sha256))) == blobs
    public = db.session.scalar(sa.select(Material).where(Material.title == "Presentazione"))
    assert client.get(f"/events/{event.slug}/materials/{public.id}").status_code == 200
    assert files.picture_of("event", event.id) is not None


def app_retention_days() -> int:
    from flask import current_app

    return int(current_app.config["REGISTRATION_RETENTION_DAYS"])


# ---------------------------------------------------------------- pictures


def test_an_event_cover_loses_its_gps_data_and_comes_in_sizes(client, organiser, backend):
    event = own_event(organiser, title="Conferenza finale")
    response = client.post(f"/admin/events/{event.id}/picture", data={
        "picture": (io.BytesIO(gps_jpeg()), "foto.jpg"), "alt": "La sala del Vega"},
        content_type="multipart/form-data")
    assert response.status_code == 302
    picture = db.session.scalar(sa.select(Picture))
    assert {(v.size, v.format) for v in picture.variants} == {
        ("card", "webp"), ("card", "jpeg"), ("page", "webp"), ("page", "jpeg")}
    card = picture.variant("card", "jpeg")
    assert (card.width, card.height) == (640, 480)
    for variant in picture.variants:
        data = files.blob_bytes(variant.blob)
        assert b"CameraMaker" not in data and b"GPS" not in data
        assert not Image.open(io.BytesIO(data)).getexif()
    page = client.get(f"/events/{event.slug}/").get_data(as_text=True)
    page_jpeg = picture.variant("page", "jpeg")
    assert f'width="{page_jpeg.width}" height="{page_jpeg.height}" alt="La sala del Vega"' in page
    assert f'<meta property="og:image" content="http://localhost/files/pictures/{page_jpeg.blob.sha256}.jpeg">' in page
    webp = picture.variant("card", "webp")
    response, served = download(client, f"/files/pictures/{webp.blob.sha256}.webp")
    assert served[:4] == b"RIFF"
    assert client.get(f"/files/pictures/{card.blob.sha256}.webp").status_code == 404


def test_a_decompression_bomb_is_refused_before_it_is_decoded(client, organiser, backend):
    event = own_event(organiser)
    page = client.post(f"/admin/events/{event.id}/picture", data={
        "picture": (io.BytesIO(bomb_png()), "bomba.png")}, content_type="multipart/form-data")
    text = page.get_data(as_text=True)
    assert 'id="picture-errors"' in text
    assert db.session.scalar(sa.select(sa.func.count(Blob.id))) == 0


def test_a_speaker_photo_is_accepted_only_as_a_picture(client, auth):
    admin = UserFactory(role="admin")
    speaker = SpeakerFactory(name="Giulia Fabbri")
    SessionFactory(event=EventFactory(), speakers=[speaker])
    db.session.commit()
    auth.login(admin)
    in_english(client)
    page = client.post(f"/admin/speakers/{speaker.id}/picture", data={
        "picture": (io.BytesIO(pdf_bytes()), "foto.pdf")}, content_type="multipart/form-data")
    assert "PNG, JPEG, GIF or WebP pictures" in page.get_data(as_text=True)
    assert client.post(f"/admin/speakers/{speaker.id}/picture", data={
        "picture": (io.BytesIO(png_bytes()), "giulia.png")},
        content_type="multipart/form-data").status_code == 302
    photo = files.picture_of("speaker", speaker.id).variant("card", "jpeg")
    page = client.get(f"/speakers/{speaker.slug}/").get_data(as_text=True)
    assert f'src="/files/pictures/{photo.blob.sha256}.jpeg" width="40" height="30"' in page


def test_event_cards_show_the_cover_with_its_size(client, organiser, count_queries):
    def event_with_cover(n: int):
        event = own_event(organiser, title=f"Webinar {n}")
        client.post(f"/admin/events/{event.id}/picture", data={
            "picture": (io.BytesIO(png_bytes((1200, 900), color=(10, 20, 30 + n))), "c.png"),
            "alt": f"Copertina {event.id}"}, content_type="multipart/form-data")
        return event

    events = [event_with_cover(0)]
    with count_queries() as one_card:
        client.get("/events/?when=upcoming")
    events += [event_with_cover(1), event_with_cover(2)]
    with count_queries() as three_cards:
        listing = client.get("/events/?when=upcoming").get_data(as_text=True)
    assert three_cards() == one_card()  # the covers of a page in a fixed number of queries
    for event in events:
        assert f'width="640" height="480" alt="Copertina {event.id}"' in listing


# ---------------------------------------------------------------- housekeeping


def test_orphaned_blobs_are_collected_after_the_grace(app, backend):
    from datetime import timedelta

    from app.db import utcnow
    from app.files.jobs import collect_orphan_files

    used = files.store_bytes(io.BytesIO(pdf_bytes("usato")), "application/pdf")
    event = EventFactory()
    material = Material(event=event, kind=MaterialKind.SLIDES, title="x", url="")
    db.session.add(material)
    db.session.flush()
    db.session.add(MaterialFile(material_id=material.id, blob_id=used.id, filename="a.pdf",
                                kind="pdf", content_type="application/pdf", size=used.size))
    orphan = files.store_bytes(io.BytesIO(pdf_bytes("orfano")), "application/pdf")
    fresh = files.store_bytes(io.BytesIO(pdf_bytes("appena caricato")), "application/pdf")
    orphan.last_used_at = utcnow() - timedelta(days=2)
    db.session.commit()
    assert collect_orphan_files() == 1
    remaining = set(db.session.scalars(sa.select(Blob.sha256)))
    assert remaining == {used.sha256, fresh.sha256}


def test_storage_migrate_moves_files_while_they_stay_downloadable(
        client, organiser, app, runner, moto_server):
    app.config["STORAGE_BACKEND"] = "database"
    event = own_event(organiser)
    upload_material(client, event, pdf_bytes("da spostare"), "atti.pdf")
    material = db.session.scalar(sa.select(Material))
    address = f"/events/{event.slug}/materials/{material.id}"
    use_s3(app, moto_server)
    result = runner.invoke(args=["storage", "migrate", "--to", "s3"])
    assert "moved 1 files" in result.output, result.output
    assert db.session.scalar(sa.select(Blob.backend)) == "s3"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BlobChunk)) == 0
    assert b"da spostare" in download(client, address)[1]
    result = runner.invoke(args=["storage", "migrate", "--to", "database"])
    assert "moved 1 files" in result.output
    assert b"da spostare" in download(client, address)[1]


def test_an_organiser_cannot_upload_to_another_organisers_event(client, organiser):
    theirs = EventFactory()
    db.session.commit()
    assert client.get(f"/admin/events/{theirs.id}/picture").status_code == 403
    assert client.post(f"/admin/events/{theirs.id}/picture", data={
        "picture": (io.BytesIO(png_bytes()), "c.png")},
        content_type="multipart/form-data").status_code == 403
    assert upload_material(client, theirs, pdf_bytes(), "x.pdf").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(Blob.id))) == 0
    assert client.get(f"/admin/widgets/{theirs.id}/picture").status_code == 404


def test_the_cover_is_printed_on_the_programme_and_shown_in_the_newsletter(client, organiser):
    import subprocess
    import tempfile

    from app.documents.pdf import render_programme_pdf
    from app.newsletter.sending import campaign_context

    event = own_event(organiser, title="Conferenza finale")
    client.post(f"/admin/events/{event.id}/picture", data={
        "picture": (io.BytesIO(png_bytes((900, 600))), "c.png"), "alt": "La sala"},
        content_type="multipart/form-data")
    with tempfile.NamedTemporaryFile(suffix=".pdf") as out:
        out.write(render_programme_pdf(event, "it"))
        out.flush()
        listing = subprocess.run(["pdfimages", "-list", out.name], capture_output=True,
                                 text=True, check=True).stdout
    assert " 900   600 " in listing  # the cover, at its page size

    class Campaign:
        id, subject, body_markdown = 1, "La Camera Informa", "Ciao"

    covers = campaign_context(Campaign(), "it", events=[event])["event_covers"]
    jpeg = files.picture_of("event", event.id).variant("card", "jpeg")
    assert covers[event.id]["url"] == f"http://localhost/files/pictures/{jpeg.blob.sha256}.jpeg"
    assert (covers[event.id]["width"], covers[event.id]["height"]) == (640, 427)


def test_a_drafts_files_reach_only_its_organisers(client, organiser, auth):
    from app.events.models import EventStatus

    event = own_event(organiser, status=EventStatus.DRAFT)
    upload_material(client, event, pdf_bytes("bozza"), "programma.pdf")
    material = db.session.scalar(sa.select(Material))
    assert client.get(f"/events/{event.slug}/materials/{material.id}").status_code == 404
    own = f"/admin/events/{event.id}/materials/{material.id}/file"
    assert client.get(own).status_code == 200
    auth.login(UserFactory(email="altro@example.org"))
    db.session.commit()
    assert client.get(own).status_code == 403


def test_a_project_logo_and_a_venue_photo_show_on_their_public_pages(client, auth):
    admin = UserFactory(role="admin")
    project = ProjectFactory(acronym="RESILIENT")
    venue = VenueFactory(name="Parco Vega")
    EventFactory(project=project, venue=venue)
    db.session.commit()
    auth.login(admin)
    for owner, obj in (("projects", project), ("venues", venue)):
        assert client.post(f"/admin/{owner}/{obj.id}/picture", data={
            "picture": (io.BytesIO(png_bytes((800, 400))), "logo.png"), "alt": f"Logo {obj.id}"},
            content_type="multipart/form-data").status_code == 302
    logo = files.picture_of("project", project.id).variant("card", "jpeg")
    photo = files.picture_of("venue", venue.id).variant("page", "jpeg")
    detail = client.get(f"/projects/{project.slug}/").get_data(as_text=True)
    listing = client.get("/projects/").get_data(as_text=True)
    for page in (detail, listing):
        assert f'src="/files/pictures/{logo.blob.sha256}.jpeg" width="{logo.width}"' in page
        assert f'alt="Logo {project.id}"' in page
    venue_page = client.get(f"/venues/{venue.slug}/").get_data(as_text=True)
    assert f'src="/files/pictures/{photo.blob.sha256}.jpeg" width="{photo.width}"' in venue_page

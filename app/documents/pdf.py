"""Printable documents of an event, rendered with WeasyPrint: bytes out, no request needed."""
from __future__ import annotations

import hashlib
import importlib
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import segno
import sqlalchemy as sa
import sqlalchemy.orm as so
from babel.dates import format_date
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from app.db import utcnow
from app.events.models import Event, Session
from app.extensions import db
from app.files import services as files
from app.i18n import SUPPORTED, local, tr
from app.registrations import checkin
from app.registrations import services as registration_services
from app.registrations.models import (
    Attendance,
    Registration,
    RegistrationStatus,
    registration_parts,
)

# Bump when the templates or the stylesheet change the look of a cached programme.
LAYOUT_REVISION = "1"
STYLESHEET = "pdf/print.css"  # inside the static folder
BADGES_PER_SHEET = 10
# Certificates per ZIP download: about 70 ms each, so one download stays well within a
# worker's request timeout even on a busy machine.
CERTIFICATES_PER_ZIP = 100
# Programme PDFs above this size are rendered on each request rather than kept in the
# shared cache (a very long programme must not push everything else out).
MAX_CACHED_BYTES = 512 * 1024


class DocumentFetchRefused(ValueError):
    """A document tried to load something from outside the app's static files."""


def _weasy():
    # Loaded on the first document, not at start-up (WeasyPrint costs 0.4 s to import).
    return importlib.import_module("app.documents.weasy")


def __getattr__(name: str) -> Any:
    if name == "StaticOnlyFetcher":
        return _weasy().StaticOnlyFetcher
    raise AttributeError(name)


def html_to_pdf(html: str, *, tagged: bool = True) -> bytes:
    """Render an HTML string with the print stylesheet and the restricted fetcher."""
    return _weasy().html_to_pdf(html, tagged=tagged)


# --- shared template context ------------------------------------------------------------

def _language(lang: str | None) -> str:
    return lang if lang in SUPPORTED else current_app.config["BABEL_DEFAULT_LOCALE"]


def css_string(text: str) -> Markup:
    """A CSS string literal that no text can break out of: every character that is not
    a letter, digit or space is written as a CSS escape (HTML escaping does not apply
    inside <style>, so autoescaping would print `&#39;` literally)."""
    out = []
    for char in text:
        out.append(char if char.isascii() and (char.isalnum() or char == " ")
                   else f"\\{ord(char):06x}")
    return Markup('"' + "".join(out) + '"')


def page_counter_css() -> Markup:
    """`"Pagina " counter(page) " di " counter(pages)` in the document's language."""
    text = _("Page %(page)s of %(pages)s", page="\x00", pages="\x01")
    before, _sep, rest = text.partition("\x00")
    middle, _sep, after = rest.partition("\x01")
    return Markup(" ").join([
        css_string(before), Markup("counter(page)"), css_string(middle),
        Markup("counter(pages)"), css_string(after),
    ])


def project_line(event: Event) -> str:
    """'Interreg MED — +RESILIENT': the funding programme, then the project."""
    project = event.project
    if project is None:
        return ""
    name = project.acronym or tr(project, "name")
    return f"{project.programme} — {name}" if project.programme else name


def event_url(event: Event) -> str:
    adapter = current_app.url_map.bind("localhost")
    path = adapter.build("events.detail", {"slug": event.slug})
    return current_app.config["BASE_URL"].rstrip("/") + path


def qr_data_uri(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


def _common(event: Event, lang: str, *, title: str) -> dict[str, Any]:
    return {
        "event": event,
        "lang": lang,
        "doc_title": title,
        "organisation_name": current_app.config["ORGANISATION_NAME"],
        "site_name": current_app.config["SITE_NAME"],
        "project_line": project_line(event),
        "page_counter_css": page_counter_css(),
    }


def document_context(event: Event, lang: str, *, title: str) -> dict[str, Any]:
    """What every event document's template needs (masthead, title, page counter)."""
    return _common(event, lang, title=title)


# --- the programme ----------------------------------------------------------------------

@dataclass
class Day:
    day: date
    label: str
    sessions: list[Session] = field(default_factory=list)


def day_label(day: date, lang: str) -> str:
    """'Lunedì 17 gennaio 2022' / 'Monday 17 January 2022'."""
    text = format_date(day, "EEEE d MMMM y", locale=lang)
    return text[:1].upper() + text[1:]


def programme_days(event: Event, sessions: Sequence[Session], lang: str) -> list[Day]:
    """The programme grouped by day, days taken in the event's time zone."""
    days: list[Day] = []
    for item in sessions:
        day = local(item.starts_at, event.timezone).date()
        if not days or days[-1].day != day:
            days.append(Day(day, day_label(day, lang)))
        days[-1].sessions.append(item)
    return days


def _programme_sessions(event: Event) -> list[Session]:
    # Two queries whatever the size of the programme: sessions, then their speakers.
    stmt = (
        sa.select(Session)
        .where(Session.event_id == event.id)
        .options(so.selectinload(Session.speakers))
        .order_by(Session.starts_at, Session.position, Session.id)
    )
    return list(db.session.scalars(stmt))


def _settings_stamp() -> str:
    """Site settings printed on the programme: a change of them is a new document too."""
    cfg = current_app.config
    raw = "\x1f".join(str(cfg.get(k, "")) for k in ("ORGANISATION_NAME", "SITE_NAME", "BASE_URL"))
    return hashlib.sha256(raw.encode()).hexdigest()[:8]


def programme_cache_key(event: Event, lang: str) -> str:
    """(event, stored data version, language, layout, settings): any worker on any host
    computes the same key, and an edit of the event changes it."""
    return (f"documents:programme:{event.id}:{event.version}:{_language(lang)}:"
            f"{LAYOUT_REVISION}:{_settings_stamp()}")


def programme_etag(event: Event, lang: str) -> str:
    return hashlib.sha256(programme_cache_key(event, lang).encode()).hexdigest()[:32]


def render_programme_pdf(event: Event, lang: str | None = None) -> bytes:
    """The printable programme; never contains the private join link."""
    lang = _language(lang)
    with force_locale(lang):
        sessions = _programme_sessions(event)
        html = render_template(
            "pdf/documents/programme.html",
            days=programme_days(event, sessions, lang),
            session_count=len(sessions),
            event_url=event_url(event),
            qr_code=qr_data_uri(event_url(event)),
            cover=files.picture_of("event", event.id),
            **_common(event, lang, title=tr(event, "title", lang)),
        )
    return html_to_pdf(html)


def cached_programme_pdf(event: Event, lang: str | None = None) -> bytes:
    """The programme from the shared cache, keyed by the event's stored data version."""
    lang = _language(lang)
    key = programme_cache_key(event, lang)
    from app.cache import get_cache

    cache = get_cache()
    pdf = cache.get(key)
    if pdf is None:
        pdf = render_programme_pdf(event, lang)
        if len(pdf) <= MAX_CACHED_BYTES:
            cache.set(key, pdf)
    return pdf


# --- attendance sheets and badges -------------------------------------------------------

def sort_key(registration: Registration) -> tuple[str, str, int]:
    """Alphabetical by surname then name, ignoring case and accents (D'Angelo, Ávila)."""

    def fold(text: str) -> str:
        decomposed = unicodedata.normalize("NFKD", text.casefold())
        return "".join(c for c in decomposed if not unicodedata.combining(c))

    return (fold(registration.last_name), fold(registration.first_name), registration.id)


def confirmed_registrants(event: Event, part: Session | None = None) -> list[Registration]:
    stmt = sa.select(Registration).where(
        Registration.event_id == event.id,
        Registration.status == RegistrationStatus.CONFIRMED,
    )
    if part is not None:
        stmt = stmt.join(
            registration_parts, registration_parts.c.registration_id == Registration.id
        ).where(registration_parts.c.session_id == part.id)
    return sorted(db.session.scalars(stmt), key=sort_key)


def _sheet_days(event: Event, part: Session | None, lang: str) -> list[Day]:
    """One sheet per day the event (or the part) runs: signatures are collected daily."""
    start, end = (part.starts_at, part.ends_at) if part else (event.starts_at, event.ends_at)
    first, last = local(start, event.timezone).date(), local(end, event.timezone).date()
    days = [first]
    while days[-1] < last:
        days.append(date.fromordinal(days[-1].toordinal() + 1))
    return [Day(day, day_label(day, lang)) for day in days]


def _presences_by_day(event: Event, part: Session | None) -> dict[tuple[int, date], Any]:
    """{(registration id, local day): attendance} so each day's sheet shows who was there."""
    stmt = sa.select(Attendance).where(Attendance.event_id == event.id, Attendance.attended)
    if part is not None:
        stmt = stmt.where(Attendance.slot == f"part:{part.id}")
    return {(a.registration_id, local(a.slot_starts_at, event.timezone).date()): a
            for a in db.session.scalars(stmt)}


def render_attendance_sheet(event: Event, part: Session | None = None,
                            lang: str | None = None) -> bytes:
    """'Foglio firme': one page set per day, confirmed registrants in alphabetical order."""
    lang = _language(lang or event.language)
    with force_locale(lang):
        html = render_template(
            "pdf/documents/attendance_sheet.html",
            part=part,
            days=_sheet_days(event, part, lang),
            registrants=confirmed_registrants(event, part),
            presences=_presences_by_day(event, part),
            **_common(event, lang, title=_("Attendance sheet") + " — " + tr(event, "title", lang)),
        )
    return html_to_pdf(html)


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def render_badges(event: Event, lang: str | None = None) -> bytes:
    """A4 sheets of ten name badges for the confirmed registrants attending in person."""
    lang = _language(lang or event.language)
    people = [r for r in confirmed_registrants(event) if not (r.is_online and event.has_venue)]
    with force_locale(lang):
        html = render_template(
            "pdf/documents/badges.html",
            sheets=_chunks(people, BADGES_PER_SHEET),
            # The QR opens the person's check-in page for a logged-in organiser at the door.
            checkin_qr=lambda person: qr_data_uri(registration_services.checkin_url(person)),
            **_common(event, lang, title=_("Name badges") + " — " + tr(event, "title", lang)),
        )
    return html_to_pdf(html)


# --- certificates of attendance ---------------------------------------------------------

def can_have_certificate(registration: Registration, now=None) -> bool:
    """Only once a part the person attended has ended: a certificate says what happened."""
    return registration.is_confirmed and bool(checkin.attended_slots(registration, now))


def certificate_filename(registration: Registration) -> str:
    from app.text import slugify

    name = slugify(registration.full_name) or f"registration-{registration.id}"
    return f"certificate-{registration.event.slug}-{name}.pdf"


def render_certificate(registration: Registration) -> bytes:
    """The certificate of attendance, worded in the attendee's language."""
    event = registration.event
    lang = _language(registration.language)
    issued = local(utcnow(), event.timezone).date()
    with force_locale(lang):
        html = render_template(
            "pdf/documents/certificate.html",
            registration=registration,
            attended=checkin.attended_slots(registration),
            issued_label=_("Issued on %(date)s", date=format_date(issued, "d MMMM y", locale=lang)),
            reference=f"{event.id}-{registration.id}",
            **_common(event, lang, title=_("Certificate of attendance") + " — "
                      + registration.full_name),
        )
    return html_to_pdf(html)


def _checked_in(event: Event) -> list[Any]:
    """Attendees: confirmed, present at a part that has ended."""
    return [
        Registration.event_id == event.id,
        Registration.status == RegistrationStatus.CONFIRMED,
        checkin.attended_sql(utcnow()),
    ]


def count_checked_in(event: Event) -> int:
    return db.session.scalar(sa.select(sa.func.count(Registration.id)).where(*_checked_in(event)))


def certificate_batches(event: Event) -> list[tuple[int, int, int]]:
    """(batch number, first, last) of the certificate downloads of an event."""
    count = count_checked_in(event)
    return [(n + 1, start + 1, min(start + CERTIFICATES_PER_ZIP, count))
            for n, start in enumerate(range(0, count, CERTIFICATES_PER_ZIP))]


def checked_in_registrants(event: Event, batch: int | None = None) -> list[Registration]:
    """Attendees entitled to a certificate in alphabetical order (one batch of them if
    asked), with their event and parts, in three queries."""
    stmt = (
        sa.select(Registration)
        .where(*_checked_in(event))
        .options(so.joinedload(Registration.event), so.selectinload(Registration.parts))
    )
    if batch is not None:
        names = db.session.execute(
            sa.select(Registration.id, Registration.last_name, Registration.first_name)
            .where(*_checked_in(event))
        ).all()
        names.sort(key=sort_key)
        start = (batch - 1) * CERTIFICATES_PER_ZIP
        stmt = stmt.where(
            Registration.id.in_([row.id for row in names[start:start + CERTIFICATES_PER_ZIP]])
        )
    return sorted(db.session.scalars(stmt).unique(), key=sort_key)


class _ZipSink:
    """A write-only stream whose bytes are drained after each certificate: the ZIP
    goes out as it is made, so memory holds one certificate at a time."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._offset = 0

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        self._offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self._offset

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        out = b"".join(self._chunks)
        self._chunks.clear()
        return out


def iter_certificates_zip(registrations: Iterable[Registration]) -> Iterator[bytes]:
    """A ZIP of one PDF per attendee, yielded piece by piece as each is rendered."""
    sink = _ZipSink()
    seen: set[str] = set()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        for registration in registrations:
            name = certificate_filename(registration)
            if name in seen:
                name = name.removesuffix(".pdf") + f"-{registration.id}.pdf"
            seen.add(name)
            # PDFs are compressed already; storing them keeps the ZIP step cheap.
            archive.writestr(name, render_certificate(registration))
            yield sink.drain()
    yield sink.drain()

"""Views of the documents capability: the public programme, the attendee's certificate,
and the organisers' attendance sheets, badges and certificates."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Response, abort, render_template, request, stream_with_context
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms.validators import InputRequired, ValidationError

from app.audit import record
from app.cache import conditional_response
from app.documents import admin_bp, bp, pdf
from app.documents import participation as participation_reports
from app.downloads import content_disposition
from app.events.models import Event, Project, Session
from app.events.panels import event_panel
from app.events.permissions import can_manage
from app.events.services import public_event_or_404
from app.extensions import db
from app.i18n import SUPPORTED, current_language
from app.registrations import services as registration_services


def pdf_response(body: bytes, filename: str, *, disposition: str = "inline") -> Response:
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = content_disposition(disposition, filename)
    return response


def private(response: Response) -> Response:
    # Personal data: never stored by shared caches or kept by the browser.
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/events/<slug>/programme.pdf")
def programme(slug: str):
    event = public_event_or_404(slug)
    explicit = request.args.get("lang") in SUPPORTED
    lang = request.args["lang"] if explicit else current_language()
    # Shared caches may keep it but must ask again: an edit shows on the next download.
    # Without ?lang= the language comes from the visitor's session: vary on the cookie.
    return conditional_response(
        pdf.programme_etag(event, lang), lambda: pdf.cached_programme_pdf(event, lang),
        content_type="application/pdf", cache_control="public, no-cache",
        vary=[] if explicit else ["Cookie"],
        headers={"Content-Disposition": content_disposition("inline", f"programme-{slug}.pdf")},
    )


@bp.get("/registrations/<token>/certificate.pdf")
def certificate(token: str):
    registration = registration_services.find_by_token_or_404(token)
    if not pdf.can_have_certificate(registration):
        abort(404)
    response = pdf_response(
        pdf.render_certificate(registration), pdf.certificate_filename(registration)
    )
    return private(response)


# --- organisers ------------------------------------------------------------------------

def _managed_event(event_id: int) -> Event:
    event = db.get_or_404(Event, event_id)
    if not can_manage(current_user, event):
        abort(403)
    return event


@admin_bp.get("/events/<int:event_id>/programme.pdf")
def programme_preview(event_id: int):
    """The programme of any event the organiser manages, drafts included, never cached."""
    event = _managed_event(event_id)
    lang = request.args.get("lang") if request.args.get("lang") in SUPPORTED else event.language
    body = pdf.render_programme_pdf(event, lang)
    return private(pdf_response(body, f"programme-{event.slug}.pdf"))


@admin_bp.get("/events/<int:event_id>/attendance.pdf", defaults={"part_id": None})
@admin_bp.get("/events/<int:event_id>/parts/<int:part_id>/attendance.pdf")
def attendance_sheet(event_id: int, part_id: int | None):
    event = _managed_event(event_id)
    part = None
    if part_id is not None:
        part = db.session.get(Session, part_id)
        if part is None or part.event_id != event.id or not part.registrable:
            abort(404)
    body = pdf.render_attendance_sheet(event, part)
    record("documents.attendance_sheet", event, user=current_user,
           summary=f"Attendance sheet of {event.title}"[:500], part_id=part_id)
    db.session.commit()
    suffix = f"-part-{part.id}" if part else ""
    return private(pdf_response(body, f"attendance-{event.slug}{suffix}.pdf"))


@admin_bp.get("/events/<int:event_id>/badges.pdf")
def badges(event_id: int):
    event = _managed_event(event_id)
    body = pdf.render_badges(event)
    record("documents.badges", event, user=current_user,
           summary=f"Name badges of {event.title}"[:500])
    db.session.commit()
    return private(pdf_response(body, f"badges-{event.slug}.pdf"))


@admin_bp.get("/events/<int:event_id>/certificates.zip")
def certificates(event_id: int):
    """The checked-in attendees' certificates, one PDF each, streamed as a ZIP; large
    events come in batches (`?batch=2`) so no download outlives a worker's timeout."""
    event = _managed_event(event_id)
    batches = pdf.certificate_batches(event)
    batch = request.args.get("batch", default=1, type=int)
    if not batches or not 1 <= batch <= len(batches):
        abort(404)
    record("documents.certificates", event, user=current_user,
           summary=f"Certificates of attendance of {event.title}"[:500],
           batch=batch, first=batches[batch - 1][1], last=batches[batch - 1][2])
    db.session.commit()
    # Loaded after the commit, so streaming reads no row again.
    registrations = pdf.checked_in_registrants(event, batch)
    suffix = f"-{batch}-of-{len(batches)}" if len(batches) > 1 else ""
    response = Response(
        stream_with_context(pdf.iter_certificates_zip(registrations)),
        mimetype="application/zip",
    )
    response.headers["Content-Disposition"] = content_disposition(
        "attachment", f"certificates-{event.slug}{suffix}.zip")
    return private(response)


# --- participation reports -------------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _report_response(body: bytes, fmt: str, name: str) -> Response:
    if fmt == "pdf":
        return private(pdf_response(body, f"{name}.pdf", disposition="attachment"))
    response = Response(body, mimetype=XLSX)
    response.headers["Content-Disposition"] = content_disposition("attachment", f"{name}.xlsx")
    return private(response)


@admin_bp.get("/events/<int:event_id>/participation.<fmt>")
def participation(event_id: int, fmt: str):
    """Registered and present per day, by category and country, and the attendees."""
    if fmt not in ("pdf", "xlsx"):
        abort(404)
    event = _managed_event(event_id)
    lang = current_language()
    figures = participation_reports.event_figures(event)
    body = (participation_reports.render_event_pdf(figures, lang) if fmt == "pdf"
            else participation_reports.event_xlsx(figures, lang))
    record("documents.participation_report", event, user=current_user, summary=event.title[:500],
           format=fmt)
    db.session.commit()
    return _report_response(body, fmt, f"participation-{event.slug}")


class ReportRangeForm(FlaskForm):
    class Meta:
        csrf = False  # a GET that changes nothing

    start = DateField(_l("From"), validators=[InputRequired()])
    end = DateField(_l("To"), validators=[InputRequired()])

    def validate_end(self, field) -> None:
        if self.start.data and field.data and field.data < self.start.data:
            raise ValidationError(_l("The end must come after the start."))


def _project_or_404(project_id: int) -> Project:
    project = db.get_or_404(Project, project_id)
    if not (current_user.is_admin or any(
            can_manage(current_user, e) for e in db.session.scalars(
                sa.select(Event).where(Event.project_id == project.id)))):
        abort(403)
    return project


@admin_bp.get("/projects/<int:project_id>/participation", defaults={"fmt": None})
@admin_bp.get("/projects/<int:project_id>/participation.<fmt>")
def project_participation(project_id: int, fmt: str | None):
    """The project's figures over a date range: the form, then the PDF or Excel file."""
    project = _project_or_404(project_id)
    form = ReportRangeForm(request.args)
    if fmt is not None and fmt not in ("pdf", "xlsx"):
        abort(404)
    if fmt is None or not form.validate():
        if fmt is None and not request.args:
            form = ReportRangeForm(formdata=None, start=project.starts_on, end=project.ends_on)
        status = 422 if fmt is not None else 200
        return render_template("documents/admin/project_participation.html", project=project,
                               form=form), status
    lang = current_language()
    report = participation_reports.project_figures(
        project, form.start.data, form.end.data,
        events_filter=lambda e: can_manage(current_user, e))
    body = (participation_reports.render_project_pdf(report, lang) if fmt == "pdf"
            else participation_reports.project_xlsx(report, lang))
    record("documents.participation_report", project, user=current_user, summary=project.name[:500],
           format=fmt, start=form.start.data.isoformat(), end=form.end.data.isoformat())
    db.session.commit()
    return _report_response(body, fmt, f"participation-{project.slug}")


@event_panel("admin", "documents/admin/_event_panel.html")
def documents_panel(event: Event) -> dict:
    """The back-office event page's documents: certificate batches to download."""
    return {"batches": pdf.certificate_batches(event)}

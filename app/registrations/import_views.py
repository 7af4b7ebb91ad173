"""Back-office pages of the registrants import: upload, columns and check, import or cancel."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app.admin import check_post, run_service
from app.imports import services as staging
from app.imports.forms import UploadForm, mapping_form
from app.imports.views import staged_or_flash
from app.registrations import admin_bp, imports
from app.registrations.admin_views import _event_or_404
from app.registrations.forms import RegistrationImportForm


@admin_bp.route("/events/<int:event_id>/registrations/import", methods=["GET", "POST"])
def import_upload(event_id: int):
    event = _event_or_404(event_id)
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        done = run_service(lambda: staging.stage_upload(
            upload.read(), upload.filename or "", kind=imports.KIND, user=current_user,
            event_id=event.id), form)
        if done.ok:
            return redirect(url_for(".import_check", event_id=event.id, staged_id=done.value.id))
    return render_template("registrations/admin/import_upload.html", event=event, form=form)


@admin_bp.route("/events/<int:event_id>/registrations/import/<int:staged_id>", methods=["GET", "POST"])
def import_check(event_id: int, staged_id: int):
    event = _event_or_404(event_id)
    staged = staged_or_flash(staged_id, kind=imports.KIND, event_id=event.id)
    if staged is None:
        return redirect(url_for(".import_upload", event_id=event.id))
    form = mapping_form(RegistrationImportForm, imports.FIELDS, staged.header,
                        imports.guess_mapping(staged.header))
    posted = request.method == "POST"
    valid = form.validate_on_submit() if posted else not any(
        required and not form[name].data for name, _label, required, _w in imports.FIELDS)
    if posted and valid and request.form.get("action") == "import":
        mapping, override, send = form.mapping(), form.override.data, form.send_emails.data
        done = run_service(lambda: imports.import_registrations(
            event, staged, mapping, by=current_user, override=override, send_emails=send),
            category="warning")
        if done.ok:
            result = done.value
            flash(ngettext("%(num)s person imported: %(confirmed)s confirmed, %(waitlisted)s on the waiting list.",
                           "%(num)s people imported: %(confirmed)s confirmed, %(waitlisted)s on the waiting list.",
                           result.confirmed + result.waitlisted,
                           confirmed=result.confirmed, waitlisted=result.waitlisted), "success")
            if result.refused:
                flash(ngettext("%(num)s row was not imported.", "%(num)s rows were not imported.",
                               result.refused), "warning")
            return redirect(url_for(".event_registrations", event_id=event.id))
        staged = staged_or_flash(staged_id, kind=imports.KIND, event_id=event.id)
        if staged is None:
            return redirect(url_for(".import_upload", event_id=event.id))
    check = imports.check_rows(event, staged, form.mapping(), override=form.override.data) if valid else None
    return render_template("registrations/admin/import_check.html", event=event, staged=staged,
                           form=form, check=check, fields=imports.FIELDS,
                           preview=staged.as_records()[:5])


@admin_bp.post("/events/<int:event_id>/registrations/import/<int:staged_id>/cancel")
def import_cancel(event_id: int, staged_id: int):
    event = _event_or_404(event_id)
    check_post()
    staged = staging.staged_for(staged_id, kind=imports.KIND, user=current_user, event_id=event.id)
    if staged is None:
        abort(404)
    run_service(lambda: staging.discard(staged))
    flash(_("Import cancelled: nothing was written, and the uploaded list is deleted."), "info")
    return redirect(url_for(".event_registrations", event_id=event.id))

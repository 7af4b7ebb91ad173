"""Back-office pages of the subscribers import: upload, columns and check, import or cancel."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin import check_post, run_service
from app.imports import services as staging
from app.imports.forms import UploadForm, mapping_form
from app.imports.views import staged_or_flash
from app.newsletter import admin_bp, imports
from app.newsletter.forms import SubscriberImportForm


@admin_bp.route("/import", methods=["GET", "POST"])
def import_upload():
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        done = run_service(lambda: staging.stage_upload(
            upload.read(), upload.filename or "", kind=imports.KIND, user=current_user), form)
        if done.ok:
            return redirect(url_for(".import_check", staged_id=done.value.id))
    return render_template("newsletter/admin/import_upload.html", form=form)


@admin_bp.route("/import/<int:staged_id>", methods=["GET", "POST"])
def import_check(staged_id: int):
    staged = staged_or_flash(staged_id, kind=imports.KIND)
    if staged is None:
        return redirect(url_for(".import_upload"))
    form = mapping_form(SubscriberImportForm, imports.FIELDS, staged.header,
                        imports.guess_mapping(staged.header))
    if not current_user.is_admin:
        del form.confirmed
        del form.reason
    confirmed = bool(current_user.is_admin and form.confirmed.data)
    posted = request.method == "POST"
    valid = form.validate_on_submit() if posted else not any(
        required and not form[name].data for name, _label, required, _w in imports.FIELDS)
    if posted and valid and request.form.get("action") == "import":
        mapping, reason = form.mapping(), form.reason.data if confirmed else ""
        done = run_service(lambda: imports.import_subscribers(
            staged, mapping, by=current_user, confirmed=confirmed, reason=reason or ""), form)
        if done.ok:
            result = done.value
            if current_user.is_admin:
                flash(_("%(invited)s invited to confirm, %(confirmed)s subscribed as confirmed, "
                        "%(refused)s not imported.", invited=result.invited,
                        confirmed=result.confirmed, refused=result.refused), "success")
            else:
                flash(_("The list is imported: each new address receives the confirmation e-mail."),
                      "success")
            return redirect(url_for(".campaigns"))
        staged = staged_or_flash(staged_id, kind=imports.KIND)
        if staged is None:
            return redirect(url_for(".import_upload"))
    check = imports.check_rows(staged, form.mapping(), confirmed=confirmed,
                               reveal=current_user.is_admin) if valid else None
    return render_template("newsletter/admin/import_check.html", staged=staged, form=form,
                           check=check, fields=imports.FIELDS, preview=staged.as_records()[:5],
                           confirmed=confirmed)


@admin_bp.post("/import/<int:staged_id>/cancel")
def import_cancel(staged_id: int):
    check_post()
    staged = staging.staged_for(staged_id, kind=imports.KIND, user=current_user)
    if staged is None:
        abort(404)
    run_service(lambda: staging.discard(staged))
    flash(_("Import cancelled: nothing was written, and the uploaded list is deleted."), "info")
    return redirect(url_for(".campaigns"))

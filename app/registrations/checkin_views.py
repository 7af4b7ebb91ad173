"""Check-in at the door (per part, from a phone) and the online attendance import."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

from app.admin.permissions import can_manage
from app.events.models import Event
from app.extensions import db
from app.registrations import admin_bp, checkin, services
from app.registrations.models import Registration

MAX_REPORT_BYTES = 5 * 1024 * 1024


class CheckinForm(FlaskForm):
    slot = SelectField(_l("Day or part"), validators=[Optional()], choices=[])
    reason = StringField(_l("Reason for checking in outside the check-in window"),
                         validators=[Optional(), Length(max=500)])


class AttendanceImportForm(FlaskForm):
    slot = SelectField(_l("Day or part"), choices=[])
    report = FileField(_l("Attendance report (CSV from Zoom, Teams, Webex or GoToWebinar)"),
                       validators=[FileRequired(_l("Choose the CSV file exported by the platform.")),
                                   FileSize(MAX_REPORT_BYTES, message=_l("The file is larger than 5 MB."))])


def _slot_choices(event: Event, slots=None) -> list[tuple[str, str]]:
    return [(s.key, checkin.slot_label(event, s)) for s in (slots or checkin.event_slots(event))]


def _event_or_404(event_id: int) -> Event:
    event = db.get_or_404(Event, event_id)
    if not can_manage(current_user, event):
        abort(403)
    return event


def _show(form, exc: services.RegistrationError) -> None:
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None:
        target.errors = [*target.errors, exc.message]
    else:
        form.form_errors.append(exc.message)


def toggle(reg: Registration, attended: bool, *, slot_key: str = "") -> bool:
    """The registrations list's present / not present buttons; True when something changed."""
    try:
        if attended:
            checkin.check_in(reg, slot_key=slot_key or None, by=current_user)
        else:
            keys = [slot_key] if slot_key else list(checkin.presence(reg))
            for key in keys:
                checkin.undo_check_in(reg, key)
    except services.RegistrationError as exc:
        db.session.rollback()
        flash(str(exc.message), "warning")
        return False
    flash(_("%(name)s is checked in.", name=reg.full_name) if attended
          else _("Check-in of %(name)s undone.", name=reg.full_name), "success")
    return True


def person_page(reg: Registration, here: str):
    """One person at the door: their parts, each with its check-in, and the button."""
    event = reg.event
    slots = checkin.registration_slots(reg)
    form = CheckinForm()
    form.slot.choices = _slot_choices(event, slots)
    current = checkin.current_slot(event, slots=slots)
    if request.method == "GET" and current is not None:
        form.slot.data = current.key
    if form.validate_on_submit():
        try:
            checkin.check_in(reg, slot_key=form.slot.data or None, by=current_user,
                             reason=form.reason.data or "")
        except services.RegistrationError as exc:
            db.session.rollback()
            _show(form, exc)
        else:
            db.session.commit()
            flash(_("%(name)s is checked in.", name=reg.full_name), "success")
            return redirect(here)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("registrations/admin/checkin.html", registration=reg, event=event,
                           form=form, slots=slots, presence=checkin.presence(reg),
                           current=current, window_state=checkin.window_state), status


@admin_bp.route("/events/<int:event_id>/checkin", methods=["GET"])
@login_required
def door(event_id: int):
    """The door on a phone: the part's list by name, a search box, present / expected."""
    event = _event_or_404(event_id)
    slots = checkin.event_slots(event)
    key = request.args.get("slot", "")
    slot = checkin.find_slot(event, key) if key else None
    slot = slot or checkin.current_slot(event) or checkin.next_slot(event) or (slots[-1] if slots else None)
    if slot is None:
        abort(404)
    return render_template("registrations/admin/door.html", event=event, slots=slots, slot=slot,
                           door=checkin.door_list(event, slot), form=CheckinForm(),
                           state=checkin.window_state(slot), slot_label=checkin.slot_label)


@admin_bp.post("/events/<int:event_id>/checkin/<int:reg_id>")
@login_required
def door_check_in(event_id: int, reg_id: int):
    event = _event_or_404(event_id)
    reg = db.get_or_404(Registration, reg_id)
    if reg.event_id != event.id:
        abort(404)
    form = CheckinForm()
    form.slot.choices = _slot_choices(event)
    slot_key = request.form.get("slot", "")
    if form.validate_on_submit():
        try:
            if request.form.get("undo") == "1":
                checkin.undo_check_in(reg, slot_key)
            else:
                checkin.check_in(reg, slot_key=slot_key or None, by=current_user,
                                 reason=form.reason.data or "")
        except services.RegistrationError as exc:
            db.session.rollback()
            flash(str(exc.message), "warning")
        else:
            db.session.commit()
            flash(_("%(name)s is checked in.", name=reg.full_name) if request.form.get("undo") != "1"
                  else _("Check-in of %(name)s undone.", name=reg.full_name), "success")
    return redirect(url_for(".door", event_id=event.id, slot=slot_key) + f"#r{reg.id}", code=303)


@admin_bp.route("/events/<int:event_id>/attendance/import", methods=["GET", "POST"])
@login_required
def import_attendance(event_id: int):
    event = _event_or_404(event_id)
    form = AttendanceImportForm()
    form.slot.choices = _slot_choices(event)
    report = None
    if form.validate_on_submit():
        try:
            report = checkin.import_online_attendance(event, form.slot.data, form.report.data.read(),
                                                      by=current_user)
        except services.RegistrationError as exc:
            db.session.rollback()
            _show(form, exc)
        else:
            db.session.commit()
    status = 422 if form.errors or form.form_errors else 200
    return render_template("registrations/admin/attendance_import.html", event=event, form=form,
                           report=report, slot_label=checkin.slot_label), status

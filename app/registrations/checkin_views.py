"""Check-in at the door (per part, from a phone) and the online attendance import."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

from app.admin import run_service
from app.events.models import Event
from app.events.permissions import can_manage
from app.extensions import db
from app.registrations import admin_bp, checkin
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


def _undo_all(reg: Registration, slot_key: str) -> None:
    for key in [slot_key] if slot_key else list(checkin.presence(reg)):
        checkin.undo_check_in(reg, key)


def toggle(reg: Registration, attended: bool, *, slot_key: str = "") -> bool:
    """The registrations list's present / not present buttons (the part open now);
    commits when it worked, flashes why not otherwise."""
    if attended:
        outcome = run_service(lambda: checkin.check_in(reg, slot_key=slot_key or None,
                                                       by=current_user), category="warning")
    else:
        outcome = run_service(lambda: _undo_all(reg, slot_key), category="warning")
    if outcome.ok:
        flash(_("%(name)s is checked in.", name=reg.full_name) if attended
              else _("Check-in of %(name)s undone.", name=reg.full_name), "success")
    return False  # committed already, or rolled back


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
        if run_service(lambda: checkin.check_in(reg, slot_key=form.slot.data or None,
                                                by=current_user, reason=form.reason.data or ""),
                       form).ok:
            flash(_("%(name)s is checked in.", name=reg.full_name), "success")
            return redirect(here)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("registrations/admin/checkin.html", registration=reg, event=event,
                           form=form, slots=slots, presence=checkin.presence(reg),
                           current=current, window_state=checkin.window_state), status


@admin_bp.route("/events/<int:event_id>/checkin", methods=["GET"])
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
def door_check_in(event_id: int, reg_id: int):
    event = _event_or_404(event_id)
    reg = db.get_or_404(Registration, reg_id)
    if reg.event_id != event.id:
        abort(404)
    form = CheckinForm()
    form.slot.choices = _slot_choices(event)
    slot_key = request.form.get("slot", "")
    if form.validate_on_submit():
        undo = request.form.get("undo") == "1"
        if undo:
            outcome = run_service(lambda: checkin.undo_check_in(reg, slot_key), category="warning")
        else:
            outcome = run_service(lambda: checkin.check_in(
                reg, slot_key=slot_key or None, by=current_user, reason=form.reason.data or ""),
                category="warning")
        if outcome.ok:
            flash(_("Check-in of %(name)s undone.", name=reg.full_name) if undo
                  else _("%(name)s is checked in.", name=reg.full_name), "success")
    return redirect(url_for(".door", event_id=event.id, slot=slot_key) + f"#r{reg.id}", code=303)


@admin_bp.route("/events/<int:event_id>/attendance/import", methods=["GET", "POST"])
def import_attendance(event_id: int):
    event = _event_or_404(event_id)
    form = AttendanceImportForm()
    form.slot.choices = _slot_choices(event)
    report = None
    if form.validate_on_submit():
        report = run_service(lambda: checkin.import_online_attendance(
            event, form.slot.data, form.report.data.read(), by=current_user), form).value
    status = 422 if form.errors or form.form_errors else 200
    return render_template("registrations/admin/attendance_import.html", event=event, form=form,
                           report=report, slot_label=checkin.slot_label), status

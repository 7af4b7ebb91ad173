"""Organiser tools: counts, the list, edits, waiting list, check-in, exports, messages."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app.admin import run_service
from app.downloads import attachment
from app.events.models import Event, Project
from app.events.permissions import can_manage
from app.extensions import db
from app.i18n import current_language
from app.registrations import admin_bp, checkin_views, exports, services, stats
from app.registrations.forms import (
    MODES,
    STATUSES,
    ConfirmForm,
    MessageForm,
    QuestionForm,
    build_form,
    form_from_registration,
)
from app.registrations.models import Question, QuestionKind, Registration
from app.registrations.views import event_questions


def _event_or_404(event_id: int) -> Event:
    event = db.get_or_404(Event, event_id)
    if not can_manage(current_user, event):
        abort(403)
    return event


def _registration_or_404(reg_id: int) -> Registration:
    reg = db.get_or_404(Registration, reg_id)
    if not can_manage(current_user, reg.event):
        abort(403)
    return reg


def _filters() -> dict[str, str]:
    args = request.args
    return {
        "q": args.get("q", "").strip()[:100],
        "status": args.get("status", ""),
        "mode": args.get("mode", ""),
        "part": args.get("part", ""),
        "checked_in": args.get("checked_in", ""),
    }


def _query(event: Event, filters: dict[str, str]):
    part = filters["part"]
    return services.registrations_query(
        event, q=filters["q"], status=filters["status"], mode=filters["mode"],
        part_id=int(part) if part.isdigit() else None, checked_in=filters["checked_in"],
    )


@admin_bp.get("/events/<int:event_id>/registrations")
def event_registrations(event_id: int):
    event = _event_or_404(event_id)
    filters = _filters()
    page = db.paginate(_query(event, filters), per_page=50, error_out=False)
    return render_template(
        "registrations/admin/list.html", event=event, page=page, filters=filters,
        counts=services.event_counts(event), statuses=STATUSES, modes=MODES,
        form=ConfirmForm(), args={k: v for k, v in filters.items() if v},
    )


@admin_bp.route("/events/<int:event_id>/registrations/new", methods=["GET", "POST"])
def add_registration(event_id: int):
    event = _event_or_404(event_id)
    questions = event_questions(event)
    form = build_form(event, questions, organiser=True)
    if form.validate_on_submit():
        details = form.details(event.language or "it")
        done = run_service(lambda: services.register_attendee(
            event, details, by=current_user, override=form.override.data), form)
        if done.ok:
            outcome = done.value
            if outcome.created:
                flash(_("Registration added."), "success")
            else:
                flash(_("This address is already registered; we have sent them their link again."), "info")
            return redirect(url_for(".registration_detail", reg_id=outcome.registration.id))
    return render_template("registrations/admin/form.html", event=event, form=form, registration=None)


@admin_bp.route("/registrations/<int:reg_id>/", methods=["GET", "POST"])
def registration_detail(reg_id: int):
    reg = _registration_or_404(reg_id)
    event = reg.event
    questions = event_questions(event)
    form = build_form(event, questions, organiser=True,
                      data=None if request.method == "POST" else form_from_registration(reg))
    if not reg.is_anonymised and form.validate_on_submit():
        done = run_service(lambda: services.update_registration(
            reg, form.details(reg.language), by=current_user, override=form.override.data), form)
        if done.ok:
            flash(_("Registration saved."), "success")
            return redirect(url_for(".registration_detail", reg_id=reg.id))
    return render_template("registrations/admin/form.html", event=event, form=form, registration=reg,
                           action_form=ConfirmForm(), questions=questions, statuses=STATUSES, modes=MODES,
                           given=services.answers_as_given(reg, questions))


def _back(reg: Registration):
    target = request.form.get("next", "")
    if target.startswith("/admin/") and "//" not in target:
        return redirect(target)
    return redirect(url_for(".registration_detail", reg_id=reg.id))


@admin_bp.post("/registrations/<int:reg_id>/cancel")
def cancel_registration(reg_id: int):
    reg = _registration_or_404(reg_id)
    if ConfirmForm().validate_on_submit():
        done = run_service(lambda: services.cancel_registration(reg, by=current_user),
                           category="warning")
        if done.ok:
            promoted = done.value
            flash(_("Registration cancelled."), "success")
            if promoted:
                flash(_("Promoted from the waiting list: %(names)s.",
                        names=", ".join(r.full_name for r in promoted)), "info")
    return _back(reg)


@admin_bp.post("/registrations/<int:reg_id>/promote")
def promote_registration(reg_id: int):
    reg = _registration_or_404(reg_id)
    if ConfirmForm().validate_on_submit():
        override = request.form.get("override") == "1"
        done = run_service(lambda: services.promote_registration(
            reg, by=current_user, override=override), category="warning")
        if done.ok:
            flash(_("%(name)s is now confirmed.", name=reg.full_name), "success")
    return _back(reg)


@admin_bp.post("/registrations/<int:reg_id>/checkin")
def toggle_checkin(reg_id: int):
    reg = _registration_or_404(reg_id)
    if ConfirmForm().validate_on_submit():
        attended = request.form.get("attended", "1") == "1"
        checkin_views.toggle(reg, attended, slot_key=request.form.get("slot", ""))
    return _back(reg)


@admin_bp.route("/checkin/<token>", methods=["GET", "POST"])
def checkin(token: str):
    """The page a printed or on-screen QR code opens for the organiser at the door."""
    reg = services.find_by_checkin_token(token)
    if reg is None:
        abort(404)
    if not can_manage(current_user, reg.event):
        abort(403)
    return checkin_views.person_page(reg, url_for(".checkin", token=token))


@admin_bp.get("/events/<int:event_id>/registrations.<fmt>")
def export(event_id: int, fmt: str):
    event = _event_or_404(event_id)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    name = f"{event.slug}-registrations-{datetime.now():%Y%m%d}.{fmt}"
    body, content_type = run_service(lambda: exports.export_registrations(
        event, _query(event, _filters()), event_questions(event), current_language(), fmt,
        by=current_user)).value
    # Streamed: the rows are read and written as the client downloads them.
    return Response(stream_with_context(body), content_type=content_type, headers=attachment(name))


@admin_bp.route("/events/<int:event_id>/registrations/message", methods=["GET", "POST"])
def message(event_id: int):
    event = _event_or_404(event_id)
    form = MessageForm()
    if form.validate_on_submit():
        count = run_service(lambda: services.message_registrants(
            event, form.subject.data.strip(), form.body.data, status=form.status.data,
            mode=form.mode.data, by=current_user)).value
        flash(ngettext("Message queued for %(num)d person.", "Message queued for %(num)d people.",
                       count), "success")
        return redirect(url_for(".event_registrations", event_id=event.id))
    return render_template("registrations/admin/message.html", event=event, form=form)


def _question_or_404(event: Event, question_id: int) -> Question:
    question = db.session.scalar(
        sa.select(Question).where(Question.id == question_id, Question.event_id == event.id)
    )
    if question is None:
        abort(404)
    return question


@admin_bp.route("/events/<int:event_id>/registrations/questions", methods=["GET", "POST"])
def questions(event_id: int):
    event = _event_or_404(event_id)
    form = QuestionForm()
    if form.validate_on_submit():
        run_service(lambda: services.add_question(
            event, label=form.label.data.strip(), kind=QuestionKind(form.kind.data),
            required=form.required.data, options=form.options.data or "",
            by=current_user), form)
        flash(_("Question added."), "success")
        return redirect(url_for(".questions", event_id=event.id))
    return render_template("registrations/admin/questions.html", event=event, form=form,
                           questions=event_questions(event), delete_form=ConfirmForm())


@admin_bp.route("/events/<int:event_id>/registrations/questions/<int:question_id>/edit",
                methods=["GET", "POST"])
def edit_question(event_id: int, question_id: int):
    event = _event_or_404(event_id)
    question = _question_or_404(event, question_id)
    form = QuestionForm(obj=None if request.method == "POST" else question)
    if request.method == "GET":
        form.kind.data = question.kind.value
    if form.validate_on_submit():
        done = run_service(lambda: services.update_question(
            question, label=form.label.data.strip(), kind=QuestionKind(form.kind.data),
            required=form.required.data, options=form.options.data or "", by=current_user), form)
        if done.ok:
            flash(_("Question saved; answers already given keep the wording they answered."),
                  "success")
            return redirect(url_for(".questions", event_id=event.id))
    return render_template("registrations/admin/question_edit.html", event=event, form=form,
                           question=question)


@admin_bp.post("/events/<int:event_id>/registrations/questions/<int:question_id>/<any(up, down):direction>")
def move_question(event_id: int, question_id: int, direction: str):
    event = _event_or_404(event_id)
    question = _question_or_404(event, question_id)
    if ConfirmForm().validate_on_submit():
        run_service(lambda: services.move_question(
            question, -1 if direction == "up" else 1, by=current_user))
    return redirect(url_for(".questions", event_id=event.id, _anchor=f"question-{question.id}"))


@admin_bp.post("/events/<int:event_id>/registrations/questions/<int:question_id>/delete")
def delete_question(event_id: int, question_id: int):
    event = _event_or_404(event_id)
    question = _question_or_404(event, question_id)
    if ConfirmForm().validate_on_submit():
        run_service(lambda: services.delete_question(question, by=current_user))
        flash(_("Question removed; answers already given stay with the registrations."), "success")
    return redirect(url_for(".questions", event_id=event.id))


@admin_bp.get("/events/<int:event_id>/dashboard")
def event_dashboard(event_id: int):
    event = _event_or_404(event_id)
    return render_template("registrations/admin/dashboard.html", event=event,
                           stats=stats.event_stats(event), mode_label=stats.mode_label)


@admin_bp.get("/projects/<int:project_id>/dashboard")
def project_dashboard(project_id: int):
    project = db.get_or_404(Project, project_id)
    return render_template("registrations/admin/project_dashboard.html", project=project,
                           stats=stats.project_stats(project, current_user))

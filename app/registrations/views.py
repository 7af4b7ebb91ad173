"""Public registration views: the form and the attendee's private page."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import Markup

from app.errors import DomainError
from app.events.models import Event
from app.events.panels import event_panel
from app.events.services import public_event_or_404
from app.extensions import db, limiter
from app.files import services as files
from app.files.responses import blob_response
from app.forms import show_error
from app.i18n import current_language
from app.registrations import bp, capacity, checkin, forms, online, services
from app.registrations.forms import ConfirmForm, build_form
from app.registrations.models import Question


def _rate_limit() -> str:
    return current_app.config["REGISTRATION_RATE_LIMIT"]


def event_questions(event: Event) -> list[Question]:
    return list(
        db.session.scalars(
            sa.select(Question).where(Question.event_id == event.id).order_by(Question.position, Question.id)
        )
    )


def _private(response):
    """The attendee's pages are reached by a secret URL: never cache, never leak it onwards."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.errorhandler(CSRFError)
def csrf_error(error):
    return render_template("registrations/message.html", title=_("The form has expired"),
                           text=_("For your safety the form works only for a limited time. Go back, reload the page and send it again.")), 400


@bp.route("/events/<slug>/register", methods=["GET", "POST"])
@limiter.limit(_rate_limit, methods=["POST"])
def register(slug: str):
    event = public_event_or_404(slug)
    avail = capacity.availability(event)
    if event.is_cancelled or not avail.accepts:
        state = "cancelled" if event.is_cancelled else avail.state
        return render_template("registrations/closed.html", event=event, state=state,
                               message=services.CLOSED_MESSAGES.get(state, services.CLOSED_MESSAGES["closed"]))
    questions = event_questions(event)
    form = build_form(event, questions, availability=avail)
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            if form.website.data:
                # A bot filled the hidden field: answer as for a real person, keep nothing.
                return _check_inbox(event.slug, form.email.data)
            try:
                outcome = services.register_attendee(event, form.details(current_language()),
                                                     availability=avail)
            except DomainError as exc:
                db.session.rollback()
                show_error(form, exc)
            else:
                # Read before the commit, which expires them: no reload afterwards.
                email, slug = outcome.registration.email, event.slug
                db.session.commit()
                # The private page is reached only through the e-mailed link: it shows the
                # personal calendar feed of every registration made with this address, so
                # whoever opens it must prove they own the mailbox. The answer is the same
                # for a new registration and an address already registered.
                return _check_inbox(slug, email)
    return render_template("registrations/register.html", event=event, form=form,
                           availability=avail, questions=questions), status


def _check_inbox(slug: str, email: str):
    # Post/redirect/get: reloading the answer must not send the form again.
    session["registration_sent_to"] = email
    return redirect(url_for("registrations.sent", slug=slug), code=303)


@bp.get("/events/<slug>/register/sent")
def sent(slug: str):
    event = public_event_or_404(slug)
    email = session.pop("registration_sent_to", "")
    return render_template("registrations/link_sent.html", event=event, email=email)


@bp.get("/registrations/<token>/")
def attendee(token: str):
    reg = services.find_by_token_or_404(token)
    event = reg.event
    private_materials = []
    join_url = ""
    qr_svg = None
    if reg.is_confirmed:
        private_materials = _private_materials(reg)
        # Until the part ends plus the grace minutes; then the recording takes its place.
        join_url = online.join_link(reg)
        if not reg.is_online:
            qr_svg = _qr(services.checkin_url(reg))
    response = current_app.make_response(render_template(
        "registrations/attendee.html",
        registration=reg,
        event=event,
        join_url=join_url,
        private_materials=private_materials,
        private_files=files.material_files([m.id for m in private_materials]),
        qr_svg=qr_svg,
        form=ConfirmForm(),
        given=services.answers_as_given(reg, event_questions(event)) if reg.answers else [],
        waitlist_places=services.waitlist_places(reg) if reg.is_waitlisted else [],
        recording_url=online.recording_link(reg) if not join_url else "",
    ))
    return _private(response)


def _qr(url: str) -> Markup:
    import segno

    # The title names the code and no more: the page's source and screen readers
    # never spell out the door code's URL.
    svg = segno.make_qr(url, error="m").svg_inline(scale=4, dark="#000", light="#fff",
                                                   title=_("Your check-in code"))
    return Markup(svg)


@bp.route("/registrations/<token>/cancel", methods=["GET", "POST"])
def cancel(token: str):
    reg = services.find_by_token_or_404(token)
    form = ConfirmForm()
    if reg.is_cancelled:
        flash(_("This registration is already cancelled."), "info")
        return redirect(url_for("registrations.attendee", token=token))
    if form.validate_on_submit():
        try:
            services.cancel_registration(reg)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "warning")
        else:
            db.session.commit()
            flash(_("Your registration is cancelled. We have sent you a confirmation."), "success")
        return redirect(url_for("registrations.attendee", token=token))
    return _private(current_app.make_response(
        render_template("registrations/confirm_cancel.html", registration=reg, event=reg.event, form=form)
    ))


def _private_materials(reg) -> list:
    """The registrants-only materials a confirmed registration may see (else none)."""
    if not reg.is_confirmed:
        return []
    return [m for m in reg.event.materials if not m.is_public]


@bp.get("/registrations/<token>/materials/<int:material_id>")
def material_file(token: str, material_id: int):
    """A registrants-only file, behind the same check as the links beside it on the
    attendee page; a public material's file is served here too."""
    reg = services.find_by_token_or_404(token)
    allowed = _private_materials(reg) + [m for m in reg.event.materials if m.is_public]
    stored = files.material_file(material_id) if any(m.id == material_id for m in allowed) else None
    if stored is None:
        abort(404)
    return blob_response(stored.blob, filename=stored.filename,
                         content_type=stored.content_type, private=True)


@bp.route("/registrations/<token>/erase", methods=["GET", "POST"])
def erase(token: str):
    reg = services.find_by_token_or_404(token)
    form = ConfirmForm()
    if form.validate_on_submit():
        slug = reg.event.slug
        services.erase_personal_data(reg)
        db.session.commit()
        flash(_("Your personal data have been erased from this registration."), "success")
        return redirect(url_for("events.detail", slug=slug))
    return _private(current_app.make_response(
        render_template("registrations/confirm_erase.html", registration=reg, event=reg.event, form=form)
    ))


@event_panel("page", "registrations/_event_box.html")
def registration_box(event: Event) -> dict:
    """The event page's registration box: open, full, waiting list, closed."""
    return {"avail": capacity.availability(event)}


@bp.app_template_global("checkin_slot_label")
def checkin_slot_label(event: Event, slot) -> str:
    return checkin.slot_label(event, slot)


@bp.app_template_global("registration_modes")
def registration_modes(event: Event) -> list:
    return capacity.modes_offered(event)


@bp.app_template_global("attendance_label")
def attendance_label(mode) -> str:
    return str(forms.MODES.get(mode, mode))


@bp.app_template_global("registration_status_label")
def registration_status_label(status) -> str:
    return str(forms.STATUSES.get(status, status))


@bp.app_template_global("part_label")
def part_label(part) -> str:
    return forms.part_label(part)


@event_panel("admin", "registrations/admin/_event_panel.html")
def registration_panel(event: Event) -> dict:
    """The back-office event page's registration counts."""
    return {"rc": services.event_counts(event)}

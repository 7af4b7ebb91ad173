"""Back-office pages for events, their programme and materials, and the shared records
(venues, projects, speakers): validate the form, run the operation, commit, flash, redirect."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.admin import admin_required, check_post, dashboard_panel, run_service
from app.auth.models import User
from app.db import utcnow
from app.events import admin_bp
from app.events import operations as ops
from app.events.forms import (
    CancelEventForm,
    EventForm,
    MaterialForm,
    PictureForm,
    ProjectForm,
    SessionForm,
    SpeakerForm,
    VenueForm,
)
from app.events.models import Event, EventStatus, Material, Project, Session, Speaker, Venue
from app.events.panels import panels_for
from app.events.permissions import manageable_events, require_manage
from app.extensions import db
from app.files import accepts_upload
from app.files import services as files
from app.files.responses import blob_response
from app.files.services import Upload
from app.files.templating import picture_sources
from app.forms import to_local

PER_PAGE = 25


def _event_or_404(event_id: int) -> Event:
    return require_manage(db.get_or_404(Event, event_id))


# ---------------------------------------------------------------- dashboard panel and events


@dashboard_panel("events/admin/_dashboard.html")
def dashboard_events() -> dict[str, Any]:
    """The dashboard's counts by status, upcoming events and drafts to finish."""
    mine = manageable_events(current_user).subquery()
    counts = dict(db.session.execute(
        sa.select(mine.c.status, sa.func.count()).group_by(mine.c.status)
    ).all())
    now = utcnow()
    upcoming = db.session.scalars(
        manageable_events(current_user).where(Event.ends_at >= now)
        .order_by(Event.starts_at).limit(8)
    ).unique().all()
    drafts = db.session.scalars(
        manageable_events(current_user).where(Event.status == EventStatus.DRAFT)
        .order_by(Event.updated_at.desc()).limit(5)
    ).unique().all()
    return {
        "counts": {EventStatus(k) if not isinstance(k, EventStatus) else k: v
                   for k, v in counts.items()},
        "upcoming": upcoming, "drafts": drafts,
    }


@admin_bp.get("/events/")
def events():
    status = request.args.get("status", "")
    when = request.args.get("when", "")
    q = request.args.get("q", "").strip()[:200]
    stmt = manageable_events(current_user).options(so.selectinload(Event.organisers))
    if status in {s.value for s in EventStatus}:
        stmt = stmt.where(Event.status == EventStatus(status))
    else:
        status = ""
    now = utcnow()
    if when == "upcoming":
        stmt = stmt.where(Event.ends_at >= now).order_by(Event.starts_at, Event.id)
    elif when == "past":
        stmt = stmt.where(Event.ends_at < now).order_by(Event.starts_at.desc(), Event.id.desc())
    else:
        when = ""
        stmt = stmt.order_by(Event.starts_at.desc(), Event.id.desc())
    if q:
        stmt = stmt.where(sa.func.lower(Event.title).like(f"%{q.lower()}%"))
    page = db.paginate(stmt, per_page=PER_PAGE, error_out=False)
    return render_template("events/admin/events.html", page=page,
                           filters={"status": status, "when": when, "q": q})


def _event_form(event: Event | None = None) -> EventForm:
    venues = db.session.scalars(sa.select(Venue).order_by(Venue.name)).all()
    projects = db.session.scalars(sa.select(Project).order_by(Project.name)).all()
    users = None
    if current_user.is_admin:
        users = db.session.scalars(
            sa.select(User).where(User.active.is_(True)).order_by(User.name, User.email)
        ).all()
    kwargs = {"venues": venues, "projects": projects, "users": users}
    return EventForm.for_event(event, **kwargs) if event else EventForm(**kwargs)


def _warn_if_past(event: Event) -> None:
    # Past events are allowed (the archive of recordings), but a typo in the year is likely.
    if event.is_past():
        flash(_("This event has already ended: it will be listed among past events. "
                "Check the dates if that is not intended."), "warning")


def _chosen_organisers(form: EventForm) -> list[User] | None:
    if "organisers" not in form:
        return None
    ids = form.organisers.data or []
    return list(db.session.scalars(sa.select(User).where(User.id.in_(ids)))) if ids else []


@admin_bp.route("/events/new", methods=["GET", "POST"])
def event_create():
    form = _event_form()
    if form.validate_on_submit():
        done = run_service(lambda: ops.create_event(
            form.values(), user=current_user, organisers=_chosen_organisers(form)), form)
        if done.ok:
            event = done.value
            flash(_("Event created as a draft: add the programme, then publish it."), "success")
            _warn_if_past(event)
            return redirect(url_for("events_admin.event_detail", event_id=event.id))
    return render_template("events/admin/event_form.html", form=form, event=None)


@admin_bp.get("/events/<int:event_id>/")
def event_detail(event_id: int):
    event = db.session.scalars(
        sa.select(Event).where(Event.id == event_id).options(
            so.selectinload(Event.sessions).selectinload(Session.speakers),
            so.selectinload(Event.materials),
            so.selectinload(Event.organisers),
        )
    ).unique().one_or_none() or abort(404)
    require_manage(event)
    return _event_page(event, CancelEventForm())


def _event_page(event: Event, cancel_form: CancelEventForm, status: int = 200):
    return render_template("events/admin/event_detail.html", event=event, cancel_form=cancel_form,
                           panels=panels_for("admin", event),
                           material_files=files.material_files([m.id for m in event.materials]),
                           cover=picture_sources(files.picture_of("event", event.id), "card")), status


@admin_bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
def event_edit(event_id: int):
    event = _event_or_404(event_id)
    form = _event_form(event)
    if form.validate_on_submit():
        done = run_service(lambda: ops.update_event(
            event, form.values(), user=current_user, organisers=_chosen_organisers(form)), form)
        if done.ok:
            changes = done.value
            flash(_("Changes saved.") if changes else _("Nothing to change."), "success")
            _warn_if_past(event)
            return redirect(url_for("events_admin.event_detail", event_id=event.id))
    return render_template("events/admin/event_form.html", form=form, event=event)


EVENT_ACTIONS = {
    "publish": (ops.publish_event, _l("The event is published.")),
    "unpublish": (ops.unpublish_event, _l("The event is withdrawn: it is a draft again.")),
}


@admin_bp.post("/events/<int:event_id>/cancel")
def event_cancel(event_id: int):
    event = _event_or_404(event_id)
    form = CancelEventForm()
    if form.validate_on_submit():
        done = run_service(lambda: ops.cancel_event(
            event, user=current_user, reason=form.reason.data), form)
        if done.ok:
            flash(_("The event is cancelled: its page stays online with a notice."), "success")
            return redirect(url_for("events_admin.event_detail", event_id=event_id))
    # The reason is missing or refused: the page again, the error beside the field.
    return _event_page(event, form, 400)


@admin_bp.post("/events/<int:event_id>/<any(publish, unpublish):action>")
def event_action(event_id: int, action: str):
    event = _event_or_404(event_id)
    check_post()
    operation, message = EVENT_ACTIONS[action]
    if run_service(lambda: operation(event, user=current_user)).ok:
        flash(str(message), "success")
    return redirect(url_for("events_admin.event_detail", event_id=event_id))


@admin_bp.post("/events/<int:event_id>/duplicate")
def event_duplicate(event_id: int):
    event = _event_or_404(event_id)
    check_post()
    copy = run_service(lambda: ops.duplicate_event(event, user=current_user)).value
    if copy is None:
        return redirect(url_for("events_admin.event_detail", event_id=event_id))
    flash(_("This is a draft copy: check its dates and web address."), "success")
    return redirect(url_for("events_admin.event_edit", event_id=copy.id))


# ---------------------------------------------------------------- programme


def _speakers() -> list[Speaker]:
    return list(db.session.scalars(sa.select(Speaker).order_by(Speaker.name)))


def _chosen_speakers(form: SessionForm) -> list[Speaker]:
    ids = form.speakers.data or []
    if not ids:
        return []
    found = {s.id: s for s in db.session.scalars(sa.select(Speaker).where(Speaker.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def _event_and(model: type[Session] | type[Material], event_id: int, obj_id: int):
    """The event the user may manage, and one of its sessions or materials (404 when the
    session or material belongs to another event)."""
    event = _event_or_404(event_id)
    obj = db.get_or_404(model, obj_id)
    if obj.event_id != event.id:
        abort(404)
    return event, obj


def _to_event(event: Event, section: str):
    """Back to the event's back-office page, at its programme or materials."""
    return redirect(url_for("events_admin.event_detail", event_id=event.id) + f"#{section}")


def _saved(form, call, message: str, event: Event, section: str):
    """A valid form runs `call`; when it succeeds, say `message` and go back to the
    event's `section`. None otherwise: the caller shows the form with its errors."""
    if form.validate_on_submit() and run_service(call, form).ok:
        flash(message, "success")
        return _to_event(event, section)
    return None


def _done(call, message: str, event: Event, section: str):
    """A button (a bare CSRF form): run `call`, say `message` when it succeeds, and go
    back to the event's `section` either way."""
    check_post()
    if run_service(call).ok:
        flash(message, "success")
    return _to_event(event, section)


@admin_bp.route("/events/<int:event_id>/sessions/new", methods=["GET", "POST"])
def session_create(event_id: int):
    event = _event_or_404(event_id)
    form = SessionForm(event=event, speakers=_speakers())
    if request.method == "GET" and not form.starts_at.data:
        form.starts_at.data = to_local(event.starts_at, event.timezone)
    return _saved(form, lambda: ops.add_session(
        event, form.values(), user=current_user, speakers=_chosen_speakers(form)),
        _("Session added to the programme."), event, "programme") or render_template(
        "events/admin/session_form.html", form=form, event=event, session=None)


@admin_bp.route("/events/<int:event_id>/sessions/<int:session_id>/edit", methods=["GET", "POST"])
def session_edit(event_id: int, session_id: int):
    event, session = _event_and(Session, event_id, session_id)
    form = SessionForm.for_session(session, speakers=_speakers())
    return _saved(form, lambda: ops.update_session(
        session, form.values(), user=current_user, speakers=_chosen_speakers(form)),
        _("Session saved."), event, "programme") or render_template(
        "events/admin/session_form.html", form=form, event=event, session=session)


@admin_bp.post("/events/<int:event_id>/sessions/<int:session_id>/delete")
def session_delete(event_id: int, session_id: int):
    event, session = _event_and(Session, event_id, session_id)
    return _done(lambda: ops.delete_session(session, user=current_user),
                 _("Session removed from the programme."), event, "programme")


@admin_bp.post("/events/<int:event_id>/sessions/<int:session_id>/move")
def session_move(event_id: int, session_id: int):
    event, session = _event_and(Session, event_id, session_id)
    check_post()
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        abort(400)
    step = -1 if direction == "up" else 1
    if run_service(lambda: ops.move_session(session, step, user=current_user)).ok:
        flash(_("Programme order changed."), "success")
    return _to_event(event, "programme")


# ---------------------------------------------------------------- materials


def _upload(form_field) -> Upload | None:
    data = form_field.data
    return Upload.from_storage(data) if data and getattr(data, "filename", "") else None


@admin_bp.route("/events/<int:event_id>/materials/new", methods=["GET", "POST"])
def material_create(event_id: int):
    event = _event_or_404(event_id)
    form = MaterialForm(event=event)
    if request.method == "GET":
        form.kind.data = request.args.get("kind", form.kind.data)
    return _saved(form, lambda: ops.add_material(event, form.values(), user=current_user,
                                                 upload=_upload(form.file)),
                  _("Material published."), event, "materials") or render_template(
        "events/admin/material_form.html", form=form, event=event, material=None,
        current_file=None)


@admin_bp.route("/events/<int:event_id>/materials/<int:material_id>/edit", methods=["GET", "POST"])
def material_edit(event_id: int, material_id: int):
    event, material = _event_and(Material, event_id, material_id)
    current_file = files.material_file(material.id)
    form = MaterialForm(obj=material, event=event)
    if not form.is_submitted():
        form.kind.data = material.kind.value
        form.visibility.data = material.visibility.value
        form.session_id.data = material.session_id or 0
        if current_file is not None:
            form.url.data = ""
    return _saved(form, lambda: ops.update_material(material, form.values(), user=current_user,
                                                    upload=_upload(form.file)),
                  _("Material saved."), event, "materials") or render_template(
        "events/admin/material_form.html", form=form, event=event, material=material,
        current_file=current_file)


for _endpoint in ("material_create", "material_edit", "picture_edit"):
    accepts_upload(f"events_admin.{_endpoint}")


@admin_bp.post("/events/<int:event_id>/materials/<int:material_id>/delete")
def material_delete(event_id: int, material_id: int):
    event, material = _event_and(Material, event_id, material_id)
    return _done(lambda: ops.delete_material(material, user=current_user),
                 _("Material removed."), event, "materials")


@admin_bp.get("/events/<int:event_id>/materials/<int:material_id>/file")
def material_file(event_id: int, material_id: int):
    """The file as organisers see it, drafts and registrants-only files included."""
    event, material = _event_and(Material, event_id, material_id)
    stored = files.material_file(material.id) or abort(404)
    return blob_response(stored.blob, filename=stored.filename,
                         content_type=stored.content_type, private=True)


@admin_bp.post("/events/<int:event_id>/materials/<int:material_id>/move")
def material_move(event_id: int, material_id: int):
    event, material = _event_and(Material, event_id, material_id)
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        abort(400)
    return _done(lambda: ops.move_material(material, -1 if direction == "up" else 1,
                                           user=current_user),
                 _("Order of the materials changed."), event, "materials")


# ---------------------------------------------------------------- pictures


def _picture_owner(owner: str, obj_id: int):
    if owner == "events":
        return _event_or_404(obj_id)
    if owner not in ("projects", "speakers", "venues"):
        abort(404)
    return db.get_or_404(RECORDS[owner].model, obj_id)


def _picture_back(owner: str, obj):
    if owner == "events":
        return url_for("events_admin.event_detail", event_id=obj.id)
    return url_for("events_admin.record_edit", kind=owner, obj_id=obj.id)


@admin_bp.route("/<owner>/<int:obj_id>/picture", methods=["GET", "POST"])
def picture_edit(owner: str, obj_id: int):
    """An event's cover, a project's logo, a speaker's or a venue's photo."""
    obj = _picture_owner(owner, obj_id)
    kind = owner.rstrip("s")
    picture = files.picture_of(kind, obj.id)
    form = PictureForm(alt=picture.alt if picture else "")
    if form.validate_on_submit() and run_service(
            lambda: ops.set_picture(obj, _upload(form.picture), form.alt.data or "",
                                    user=current_user), form).ok:
        flash(_("Picture saved."), "success")
        return redirect(_picture_back(owner, obj))
    return render_template("events/admin/picture_form.html", form=form, obj=obj, owner=owner,
                           picture=picture, back=_picture_back(owner, obj))


@admin_bp.post("/<owner>/<int:obj_id>/picture/delete")
def picture_delete(owner: str, obj_id: int):
    obj = _picture_owner(owner, obj_id)
    check_post()
    if run_service(lambda: ops.remove_picture(obj, user=current_user)).ok:
        flash(_("Picture removed."), "success")
    return redirect(_picture_back(owner, obj))


# ---------------------------------------------------------------- venues, projects, speakers


class _Kind:
    """How one shared record type is listed, edited and deleted."""

    def __init__(self, name, model, form, create, update, delete, order, title, titles,
                 columns, prepare=None):
        self.name, self.model, self.form = name, model, form
        self.create, self.update, self.delete = create, update, delete
        self.order, self.title, self.titles, self.columns = order, title, titles, columns
        self.prepare = prepare


def _prepare_project(form: ProjectForm, project: Project) -> None:
    form.status.data = project.status.value


RECORDS = {
    "venues": _Kind("venues", Venue, VenueForm, ops.create_venue, ops.update_venue,
                    ops.delete_venue, Venue.name, _l("Venue"), _l("Venues"),
                    [("name", _l("Name")), ("city", _l("City")), ("country", _l("Country code"))]),
    "projects": _Kind("projects", Project, ProjectForm, ops.create_project, ops.update_project,
                      ops.delete_project, Project.name, _l("Project"), _l("Projects"),
                      [("name", _l("Name")), ("acronym", _l("Acronym")),
                       ("programme", _l("Cooperation programme"))], _prepare_project),
    "speakers": _Kind("speakers", Speaker, SpeakerForm, ops.create_speaker, ops.update_speaker,
                      ops.delete_speaker, Speaker.name, _l("Speaker"), _l("Speakers"),
                      [("name", _l("Name")), ("affiliation", _l("Organisation")),
                       ("role", _l("Role"))]),
}
RECORD_KINDS = "any(venues, projects, speakers)"


@admin_bp.get(f"/<{RECORD_KINDS}:kind>/")
def records(kind: str):
    spec = RECORDS[kind]
    q = request.args.get("q", "").strip()[:200]
    stmt = sa.select(spec.model).order_by(spec.order, spec.model.id)
    if q:
        stmt = stmt.where(sa.func.lower(spec.model.name).like(f"%{q.lower()}%"))
    page = db.paginate(stmt, per_page=PER_PAGE, error_out=False)
    return render_template("events/admin/records.html", spec=spec, page=page, q=q)


@admin_bp.route(f"/<{RECORD_KINDS}:kind>/new", methods=["GET", "POST"])
def record_create(kind: str):
    spec = RECORDS[kind]
    form = spec.form()
    if form.validate_on_submit():
        done = run_service(lambda: spec.create(form.values(), user=current_user), form)
        if done.ok:
            flash(_("Saved."), "success")
            return redirect(url_for("events_admin.records", kind=kind))
    return render_template("events/admin/record_form.html", spec=spec, form=form, obj=None)


@admin_bp.route(f"/<{RECORD_KINDS}:kind>/<int:obj_id>/edit", methods=["GET", "POST"])
def record_edit(kind: str, obj_id: int):
    spec = RECORDS[kind]
    obj = db.get_or_404(spec.model, obj_id)
    form = spec.form(obj=obj)
    if spec.prepare and not form.is_submitted():
        spec.prepare(form, obj)
    if form.validate_on_submit():
        done = run_service(lambda: spec.update(obj, form.values(), user=current_user), form)
        if done.ok:
            flash(_("Saved."), "success")
            return redirect(url_for("events_admin.records", kind=kind))
    return render_template("events/admin/record_form.html", spec=spec, form=form, obj=obj)


@admin_bp.post(f"/<{RECORD_KINDS}:kind>/<int:obj_id>/delete")
@admin_required
def record_delete(kind: str, obj_id: int):
    spec = RECORDS[kind]
    obj = db.get_or_404(spec.model, obj_id)
    check_post()
    if run_service(lambda: spec.delete(obj, user=current_user)).ok:
        flash(_("Deleted."), "success")
    return redirect(url_for("events_admin.records", kind=kind))

"""Back-office views: validate the form, call the operation, commit, flash, redirect."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm

from app.admin import bp
from app.admin.models import AuditEntry
from app.admin.permissions import admin_required, can_manage, manageable_events, require_manage
from app.auth import services as accounts
from app.auth.models import Role, User
from app.db import utcnow
from app.events import operations as ops
from app.events.forms import (
    EventForm,
    MaterialForm,
    ProjectForm,
    SessionForm,
    SpeakerForm,
    UserCreateForm,
    UserEditForm,
    VenueForm,
    to_local,
)
from app.events.models import Event, EventStatus, Material, Project, Session, Speaker, Venue
from app.extensions import db, login_manager

PER_PAGE = 25


@bp.before_request
def require_active_account():
    """Every back-office page needs a signed-in, still active account."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_active:
        logout_user()
        return login_manager.unauthorized()
    return None


@bp.context_processor
def admin_helpers() -> dict[str, Any]:
    return {"can_manage": lambda event: can_manage(current_user, event),
            "action_form": FlaskForm()}


def _show_error(form: FlaskForm, exc: ops.OperationError) -> None:
    """Put a refused operation's message beside its field (or above the form)."""
    if exc.field and exc.field in form:
        form[exc.field].errors = [*form[exc.field].errors, exc.message]
    else:
        form.form_errors.append(exc.message)


@contextmanager
def _operation(form: FlaskForm) -> Iterator[SimpleNamespace]:
    """Run a back-office operation: commit when it succeeds (`done.ok`); when it is
    refused, roll back and show the reason beside its field."""
    done = SimpleNamespace(ok=False)
    try:
        yield done
    except ops.OperationError as exc:
        db.session.rollback()
        _show_error(form, exc)
    else:
        db.session.commit()
        done.ok = True


def _check_post() -> None:
    """State-changing buttons post a bare CSRF-protected form."""
    FlaskForm().validate_on_submit() or abort(400)


def _event_or_404(event_id: int) -> Event:
    return require_manage(db.get_or_404(Event, event_id))


# ---------------------------------------------------------------- dashboard and events


@bp.get("/")
def dashboard():
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
    return render_template(
        "admin/dashboard.html",
        counts={EventStatus(k) if not isinstance(k, EventStatus) else k: v
                for k, v in counts.items()},
        upcoming=upcoming, drafts=drafts,
    )


@bp.get("/events/")
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
    return render_template("admin/events.html", page=page,
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


@bp.route("/events/new", methods=["GET", "POST"])
def event_create():
    form = _event_form()
    if form.validate_on_submit():
        with _operation(form) as done:
            event = ops.create_event(form.values(), user=current_user,
                                     organisers=_chosen_organisers(form))
        if done.ok:
            flash(_("Event created as a draft: add the programme, then publish it."), "success")
            _warn_if_past(event)
            return redirect(url_for("admin.event_detail", event_id=event.id))
    return render_template("admin/event_form.html", form=form, event=None)


@bp.get("/events/<int:event_id>/")
def event_detail(event_id: int):
    event = db.session.scalars(
        sa.select(Event).where(Event.id == event_id).options(
            so.selectinload(Event.sessions).selectinload(Session.speakers),
            so.selectinload(Event.materials),
            so.selectinload(Event.organisers),
        )
    ).unique().one_or_none() or abort(404)
    require_manage(event)
    return render_template("admin/event_detail.html", event=event)


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
def event_edit(event_id: int):
    event = _event_or_404(event_id)
    form = _event_form(event)
    if form.validate_on_submit():
        with _operation(form) as done:
            changes = ops.update_event(event, form.values(), user=current_user,
                                       organisers=_chosen_organisers(form))
        if done.ok:
            flash(_("Changes saved.") if changes else _("Nothing to change."), "success")
            _warn_if_past(event)
            return redirect(url_for("admin.event_detail", event_id=event.id))
    return render_template("admin/event_form.html", form=form, event=event)


EVENT_ACTIONS = {
    "publish": (ops.publish_event, _l("The event is published.")),
    "unpublish": (ops.unpublish_event, _l("The event is withdrawn: it is a draft again.")),
    "cancel": (ops.cancel_event,
               _l("The event is cancelled: its page stays online with a notice.")),
}


@bp.post("/events/<int:event_id>/<any(publish, unpublish, cancel):action>")
def event_action(event_id: int, action: str):
    event = _event_or_404(event_id)
    _check_post()
    operation, message = EVENT_ACTIONS[action]
    try:
        operation(event, user=current_user)
    except ops.OperationError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(str(message), "success")
    return redirect(url_for("admin.event_detail", event_id=event_id))


@bp.post("/events/<int:event_id>/duplicate")
def event_duplicate(event_id: int):
    event = _event_or_404(event_id)
    _check_post()
    copy = ops.duplicate_event(event, user=current_user)
    db.session.commit()
    flash(_("This is a draft copy: check its dates and web address."), "success")
    return redirect(url_for("admin.event_edit", event_id=copy.id))


# ---------------------------------------------------------------- programme


def _speakers() -> list[Speaker]:
    return list(db.session.scalars(sa.select(Speaker).order_by(Speaker.name)))


def _chosen_speakers(form: SessionForm) -> list[Speaker]:
    ids = form.speakers.data or []
    if not ids:
        return []
    found = {s.id: s for s in db.session.scalars(sa.select(Speaker).where(Speaker.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def _session_or_404(event: Event, session_id: int) -> Session:
    session = db.get_or_404(Session, session_id)
    if session.event_id != event.id:
        abort(404)
    return session


@bp.route("/events/<int:event_id>/sessions/new", methods=["GET", "POST"])
def session_create(event_id: int):
    event = _event_or_404(event_id)
    form = SessionForm(event=event, speakers=_speakers())
    if request.method == "GET" and not form.starts_at.data:
        form.starts_at.data = to_local(event.starts_at, event.timezone)
    if form.validate_on_submit():
        with _operation(form) as done:
            ops.add_session(event, form.values(), user=current_user,
                            speakers=_chosen_speakers(form))
        if done.ok:
            flash(_("Session added to the programme."), "success")
            return redirect(url_for("admin.event_detail", event_id=event.id) + "#programme")
    return render_template("admin/session_form.html", form=form, event=event, session=None)


@bp.route("/events/<int:event_id>/sessions/<int:session_id>/edit", methods=["GET", "POST"])
def session_edit(event_id: int, session_id: int):
    event = _event_or_404(event_id)
    session = _session_or_404(event, session_id)
    form = SessionForm.for_session(session, speakers=_speakers())
    if form.validate_on_submit():
        with _operation(form) as done:
            ops.update_session(session, form.values(), user=current_user,
                               speakers=_chosen_speakers(form))
        if done.ok:
            flash(_("Session saved."), "success")
            return redirect(url_for("admin.event_detail", event_id=event.id) + "#programme")
    return render_template("admin/session_form.html", form=form, event=event, session=session)


@bp.post("/events/<int:event_id>/sessions/<int:session_id>/delete")
def session_delete(event_id: int, session_id: int):
    event = _event_or_404(event_id)
    session = _session_or_404(event, session_id)
    _check_post()
    ops.delete_session(session, user=current_user)
    db.session.commit()
    flash(_("Session removed from the programme."), "success")
    return redirect(url_for("admin.event_detail", event_id=event.id) + "#programme")


@bp.post("/events/<int:event_id>/sessions/<int:session_id>/move")
def session_move(event_id: int, session_id: int):
    event = _event_or_404(event_id)
    session = _session_or_404(event, session_id)
    _check_post()
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        abort(400)
    try:
        ops.move_session(session, -1 if direction == "up" else 1, user=current_user)
    except ops.OperationError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("Programme order changed."), "success")
    return redirect(url_for("admin.event_detail", event_id=event.id) + "#programme")


# ---------------------------------------------------------------- materials


def _material_or_404(event: Event, material_id: int) -> Material:
    material = db.get_or_404(Material, material_id)
    if material.event_id != event.id:
        abort(404)
    return material


@bp.route("/events/<int:event_id>/materials/new", methods=["GET", "POST"])
def material_create(event_id: int):
    event = _event_or_404(event_id)
    form = MaterialForm(event=event)
    if form.validate_on_submit():
        with _operation(form) as done:
            ops.add_material(event, form.values(), user=current_user)
        if done.ok:
            flash(_("Material published."), "success")
            return redirect(url_for("admin.event_detail", event_id=event.id) + "#materials")
    return render_template("admin/material_form.html", form=form, event=event, material=None)


@bp.route("/events/<int:event_id>/materials/<int:material_id>/edit", methods=["GET", "POST"])
def material_edit(event_id: int, material_id: int):
    event = _event_or_404(event_id)
    material = _material_or_404(event, material_id)
    form = MaterialForm(obj=material, event=event)
    if not form.is_submitted():
        form.kind.data = material.kind.value
        form.visibility.data = material.visibility.value
        form.session_id.data = material.session_id or 0
    if form.validate_on_submit():
        with _operation(form) as done:
            ops.update_material(material, form.values(), user=current_user)
        if done.ok:
            flash(_("Material saved."), "success")
            return redirect(url_for("admin.event_detail", event_id=event.id) + "#materials")
    return render_template("admin/material_form.html", form=form, event=event, material=material)


@bp.post("/events/<int:event_id>/materials/<int:material_id>/delete")
def material_delete(event_id: int, material_id: int):
    event = _event_or_404(event_id)
    material = _material_or_404(event, material_id)
    _check_post()
    ops.delete_material(material, user=current_user)
    db.session.commit()
    flash(_("Material removed."), "success")
    return redirect(url_for("admin.event_detail", event_id=event.id) + "#materials")


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


@bp.get(f"/<{RECORD_KINDS}:kind>/")
def records(kind: str):
    spec = RECORDS[kind]
    q = request.args.get("q", "").strip()[:200]
    stmt = sa.select(spec.model).order_by(spec.order, spec.model.id)
    if q:
        stmt = stmt.where(sa.func.lower(spec.model.name).like(f"%{q.lower()}%"))
    page = db.paginate(stmt, per_page=PER_PAGE, error_out=False)
    return render_template("admin/records.html", spec=spec, page=page, q=q)


@bp.route(f"/<{RECORD_KINDS}:kind>/new", methods=["GET", "POST"])
def record_create(kind: str):
    spec = RECORDS[kind]
    form = spec.form()
    if form.validate_on_submit():
        with _operation(form) as done:
            spec.create(form.values(), user=current_user)
        if done.ok:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.records", kind=kind))
    return render_template("admin/record_form.html", spec=spec, form=form, obj=None)


@bp.route(f"/<{RECORD_KINDS}:kind>/<int:obj_id>/edit", methods=["GET", "POST"])
def record_edit(kind: str, obj_id: int):
    spec = RECORDS[kind]
    obj = db.get_or_404(spec.model, obj_id)
    form = spec.form(obj=obj)
    if spec.prepare and not form.is_submitted():
        spec.prepare(form, obj)
    if form.validate_on_submit():
        with _operation(form) as done:
            spec.update(obj, form.values(), user=current_user)
        if done.ok:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.records", kind=kind))
    return render_template("admin/record_form.html", spec=spec, form=form, obj=obj)


@bp.post(f"/<{RECORD_KINDS}:kind>/<int:obj_id>/delete")
@admin_required
def record_delete(kind: str, obj_id: int):
    spec = RECORDS[kind]
    obj = db.get_or_404(spec.model, obj_id)
    _check_post()
    try:
        spec.delete(obj, user=current_user)
    except ops.OperationError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("Deleted."), "success")
    return redirect(url_for("admin.records", kind=kind))


# ---------------------------------------------------------------- users and audit log


@bp.get("/users/")
@admin_required
def users():
    page = db.paginate(sa.select(User).order_by(User.active.desc(), User.email),
                       per_page=PER_PAGE, error_out=False)
    return render_template("admin/users.html", page=page)


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def user_create():
    form = UserCreateForm()
    if form.validate_on_submit():
        with _operation(form) as done:
            user, password = accounts.create_user(
                form.email.data, role=Role(form.role.data), name=form.name.data or "",
                password=form.password.data or None, by=current_user,
            )
        if done.ok:
            flash(_("Account created for %(email)s.", email=user.email), "success")
            if not form.password.data:
                # Shown once on this response, never stored in the session cookie.
                return render_template("admin/user_password.html", user=user, password=password)
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@admin_required
def user_edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserEditForm.for_user(user)
    if form.validate_on_submit():
        with _operation(form) as done:
            accounts.update_user(user, name=form.name.data or "", role=Role(form.role.data),
                                 active=bool(form.active.data), by=current_user)
        if done.ok:
            flash(_("Account saved."), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user)


@bp.post("/users/<int:user_id>/reset-password")
@admin_required
def user_reset_password(user_id: int):
    user = db.get_or_404(User, user_id)
    _check_post()
    password = accounts.reset_password(user, by=current_user)
    db.session.commit()
    return render_template("admin/user_password.html", user=user, password=password)


@bp.get("/audit")
@admin_required
def audit():
    object_type = request.args.get("object_type", "").strip()[:40]
    object_id = request.args.get("object_id", type=int)
    stmt = sa.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if object_type:
        condition = AuditEntry.object_type == object_type
        if object_id is not None:
            condition = sa.and_(condition, AuditEntry.object_id == object_id)
            if object_type == "event":
                # An event's history includes the changes to its sessions and materials.
                condition = sa.or_(
                    condition, AuditEntry.details["event_id"].as_integer() == object_id
                )
        stmt = stmt.where(condition)
    page = db.paginate(stmt, per_page=50, error_out=False)
    types = db.session.scalars(
        sa.select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type)
    ).all()
    return render_template("admin/audit.html", page=page, types=[t for t in types if t],
                           filters={"object_type": object_type, "object_id": object_id})

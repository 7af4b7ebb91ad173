"""Back-office: an organiser's API keys (list, create, revoke)."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from app.admin.shell import run_service
from app.api import admin_bp, keys
from app.api.models import ApiKey
from app.events.models import Event
from app.events.permissions import manageable_events
from app.extensions import db


class ApiKeyForm(FlaskForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=120)],
        description=_l("What uses the key, e.g. “Door scanner, entrance A”."),
    )
    scope = SelectField(_l("Reaches"), choices=[], validate_choice=True)

    def fill_choices(self, events: list[Event]) -> None:
        self.scope.choices = [("", _l("All the events I organise"))] + [
            (str(e.id), f"{e.title} ({e.starts_at:%d/%m/%Y})") for e in events
        ]


def _events() -> list[Event]:
    stmt = manageable_events(current_user).order_by(Event.starts_at.desc(), Event.id.desc())
    return list(db.session.scalars(stmt).unique())


@admin_bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    events = _events()
    form = ApiKeyForm()
    form.fill_choices(events)
    created = None
    if form.validate_on_submit():
        event = db.session.get(Event, int(form.scope.data)) if form.scope.data else None
        done = run_service(lambda: keys.create_key(current_user, form.name.data, event), form)
        if done.ok:
            created = done.value[1]
            form = ApiKeyForm(formdata=None)
            form.fill_choices(events)
    html = render_template("api/admin/keys.html", form=form, keys=keys.keys_of(current_user),
                           created=created)
    resp = Response(html)
    # The page may show a new secret once: no cache may keep it.
    resp.headers["Cache-Control"] = "no-store"
    return resp


@admin_bp.post("/<int:key_id>/revoke")
@login_required
def revoke(key_id: int):
    key = db.get_or_404(ApiKey, key_id)
    if key.user_id != current_user.id and not current_user.is_admin:
        abort(403)
    if FlaskForm().validate_on_submit():
        keys.revoke_key(key, by=current_user)
        db.session.commit()
        flash(_("The key “%(name)s” is revoked: it no longer works.", name=key.name), "success")
    return redirect(url_for(".index"))

"""Back-office outbox: every e-mail the site wrote, its delivery status, retrying failures."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.validators import DataRequired, Length

from app.admin import run_service
from app.events.models import Event, event_organisers
from app.extensions import db
from app.mail import admin_bp
from app.mail.delivery import retry_message, retry_messages
from app.mail.labels import STATUS_LABELS, kind_label
from app.mail.models import OutboxMessage, OutboxStatus

PER_PAGE = 50


class RetryForm(FlaskForm):
    """No fields: the CSRF token is the whole form."""


class IdsField(SelectMultipleField):
    """Message ids ticked in the list: which of them the user may touch is decided by
    the query (visible_messages), not by a list of choices."""

    def pre_validate(self, form) -> None:
        pass


class BulkRetryForm(FlaskForm):
    messages = IdsField(coerce=int, validators=[DataRequired(), Length(max=500)])


def visible_messages() -> sa.Select:
    """Administrators see every message; organisers the messages of their own events."""
    query = sa.select(OutboxMessage)
    if not current_user.is_admin:
        own_events = sa.select(event_organisers.c.event_id).where(
            event_organisers.c.user_id == current_user.id
        )
        query = query.where(OutboxMessage.event_id.in_(own_events))
    return query


def _get_visible(message_id: int) -> OutboxMessage:
    message = db.session.scalar(visible_messages().where(OutboxMessage.id == message_id))
    if message is None:
        abort(404)
    return message


def _filters() -> dict:
    status = request.args.get("status", "")
    if status not in {s.value for s in OutboxStatus}:
        status = ""
    return {
        "status": status,
        "category": request.args.get("category", "")[:60],
        "q": request.args.get("q", "").strip()[:254],
        "event_id": request.args.get("event_id", type=int) or "",
    }


@admin_bp.get("/outbox")
def outbox():
    filters = _filters()
    query = visible_messages()
    if filters["status"]:
        query = query.where(OutboxMessage.status == OutboxStatus(filters["status"]))
    if filters["category"]:
        query = query.where(OutboxMessage.category == filters["category"])
    if filters["q"]:
        query = query.where(OutboxMessage.recipient.ilike(f"%{filters['q']}%"))
    if filters["event_id"]:
        query = query.where(OutboxMessage.event_id == filters["event_id"])
    page = db.paginate(query.order_by(OutboxMessage.id.desc()), per_page=PER_PAGE, error_out=False)
    categories = db.session.scalars(
        visible_messages().with_only_columns(OutboxMessage.category).distinct()
    ).all()
    # Every event the user's messages belong to, for the filter and the table's titles.
    event_ids = visible_messages().with_only_columns(OutboxMessage.event_id).distinct()
    events = {e.id: e for e in db.session.scalars(
        sa.select(Event).where(Event.id.in_(event_ids)).order_by(Event.starts_at.desc()))}
    return render_template(
        "mail/admin/outbox.html",
        page=page,
        events=events,
        statuses=[(s.value, str(STATUS_LABELS[s])) for s in OutboxStatus],
        kinds=sorted(((c, kind_label(c)) for c in categories), key=lambda kind: kind[1]),
        kind_label=kind_label,
        filters=filters,
        retry_form=BulkRetryForm(),
        mail_server=current_app.config["MAIL_SERVER"],
    )


@admin_bp.post("/outbox/retry")
def retry_many():
    """Queue again the ticked messages that failed; only the user's own are found."""
    form = BulkRetryForm()
    target = request.form.get("next", "")
    back = redirect(target if _is_outbox(target) else url_for(".outbox"))
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        flash(_("Tick the messages to send again."), "warning")
        return back
    chosen = list(db.session.scalars(
        visible_messages().where(OutboxMessage.id.in_(form.messages.data))))
    done = run_service(lambda: retry_messages(chosen, by=current_user), category="warning")
    if done.ok:
        queued = done.value
        skipped = len(chosen) - queued
        flash(ngettext("%(num)d message will be sent again shortly.",
                       "%(num)d messages will be sent again shortly.", queued), "success")
        if skipped:
            flash(ngettext("%(num)d message was not retried: only failed messages are sent again.",
                           "%(num)d messages were not retried: only failed messages are sent again.",
                           skipped), "info")
    return back


def _is_outbox(target: str | None) -> bool:
    return bool(target) and target.startswith("/admin/outbox") and "//" not in target


@admin_bp.get("/outbox/<int:message_id>")
def message(message_id: int):
    msg = _get_visible(message_id)
    event = db.session.get(Event, msg.event_id) if msg.event_id else None
    return render_template(
        "mail/admin/message.html", message=msg, event=event, form=RetryForm(), kind_label=kind_label,
        mail_server=current_app.config["MAIL_SERVER"],
    )


@admin_bp.post("/outbox/<int:message_id>/retry")
def retry(message_id: int):
    msg = _get_visible(message_id)
    form = RetryForm()
    if not form.validate_on_submit():
        abort(400)
    if run_service(lambda: retry_message(msg, by=current_user), category="warning").ok:
        flash(_("The message to %(recipient)s will be sent again shortly.",
                recipient=msg.recipient), "success")
    return redirect(url_for("mail_admin.message", message_id=msg.id))

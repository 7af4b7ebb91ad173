"""Back-office outbox: every e-mail the site wrote, its delivery status, retrying failures."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from app.admin import run_service
from app.events.models import Event, event_organisers
from app.extensions import db
from app.mail import admin_bp
from app.mail.delivery import retry_message
from app.mail.models import OutboxMessage, OutboxStatus

PER_PAGE = 50


class RetryForm(FlaskForm):
    """No fields: the CSRF token is the whole form."""


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


@admin_bp.get("/outbox")
def outbox():
    query = visible_messages()
    status = request.args.get("status", "")
    if status in {s.value for s in OutboxStatus}:
        query = query.where(OutboxMessage.status == OutboxStatus(status))
    else:
        status = ""
    category = request.args.get("category", "")[:60]
    if category:
        query = query.where(OutboxMessage.category == category)
    q = request.args.get("q", "").strip()[:254]
    if q:
        query = query.where(OutboxMessage.recipient.ilike(f"%{q}%"))
    event_id = request.args.get("event_id", type=int)
    if event_id:
        query = query.where(OutboxMessage.event_id == event_id)
    page = db.paginate(query.order_by(OutboxMessage.id.desc()), per_page=PER_PAGE, error_out=False)
    categories = db.session.scalars(
        visible_messages().with_only_columns(OutboxMessage.category).distinct()
        .order_by(OutboxMessage.category)
    ).all()
    events = {}
    ids = {m.event_id for m in page.items if m.event_id}
    if ids:
        events = {e.id: e for e in db.session.scalars(sa.select(Event).where(Event.id.in_(ids)))}
    return render_template(
        "mail/admin/outbox.html",
        page=page,
        events=events,
        statuses=list(OutboxStatus),
        categories=categories,
        filters={"status": status, "category": category, "q": q, "event_id": event_id or ""},
        mail_server=current_app.config["MAIL_SERVER"],
    )


@admin_bp.get("/outbox/<int:message_id>")
def message(message_id: int):
    msg = _get_visible(message_id)
    event = db.session.get(Event, msg.event_id) if msg.event_id else None
    return render_template(
        "mail/admin/message.html", message=msg, event=event, form=RetryForm(),
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

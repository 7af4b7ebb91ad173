"""Queueing e-mail: render templates in the recipient's language and add an outbox row."""
from __future__ import annotations

import secrets
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale

from app.extensions import db
from app.mail.models import OutboxMessage


def new_message_id() -> str:
    domain = current_app.config["UID_DOMAIN"]
    return f"<{secrets.token_hex(16)}@{domain}>"


def _with_request_id(headers: dict[str, str] | None) -> dict[str, str]:
    """The request that caused an e-mail is named in its X-Request-ID header, as in the logs."""
    from app.ops.logs import current_request_id

    headers = dict(headers or {})
    if request_id := current_request_id():
        headers.setdefault("X-Request-ID", request_id)
    return headers


def render_email(
    recipient: str,
    template: str,
    *,
    category: str,
    language: str = "it",
    context: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[dict[str, Any]] | None = None,
    event_id: int | None = None,
    registration_id: int | None = None,
) -> OutboxMessage:
    """Render templates/email/<template>.{subject.txt,txt,html} into an outbox row
    that is not yet in the session: a caller holding a lock renders before taking
    it and adds the row (with `add_email`) once it knows the outcome."""
    ctx = dict(context or {})
    ctx.setdefault("base_url", current_app.config["BASE_URL"])
    ctx.setdefault("site_name", current_app.config["SITE_NAME"])
    with force_locale(language):
        ctx["language"] = language
        subject = render_template(f"email/{template}.subject.txt", **ctx).strip()
        text = render_template(f"email/{template}.txt", **ctx)
        html = render_template(f"email/{template}.html", **ctx)
    message = OutboxMessage(
        category=category,
        recipient=recipient,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        subject=" ".join(subject.split())[:300],
        body_text=text,
        body_html=html,
        language=language,
        headers=_with_request_id(headers),
        attachments=list(attachments or []),
        message_id=new_message_id(),
        event_id=event_id,
        registration_id=registration_id,
    )
    return message


def add_email(message: OutboxMessage) -> OutboxMessage:
    """Add a rendered row to the session; it is flushed with the caller's next flush."""
    db.session.add(message)
    return message


def queue_email(recipient: str, template: str, **options: Any) -> OutboxMessage:
    """Render templates/email/<template>.{subject.txt,txt,html} and add the row
    (`options` as for `render_email`).

    The row is only flushed: it is committed, or rolled back, with the change that
    caused it. The scheduler's delivery job sends it after the commit.
    """
    message = add_email(render_email(recipient, template, **options))
    db.session.flush()
    return message

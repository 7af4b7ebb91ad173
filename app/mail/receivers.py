"""E-mails other capabilities ask for through signals (they do not import the mail capability)."""
from __future__ import annotations

from typing import Any

from app.auth.signals import password_reset_requested
from app.mail.cooldown import may_send
from app.mail.outbox import queue_email


@password_reset_requested.connect
def _send_password_reset(user: Any, url: str = "", minutes: int = 30, language: str = "it",
                         **_: Any) -> None:
    # One link per address per cool-down: a stranger typing the address again and again
    # sends nothing more; the page they see is the same either way.
    if may_send(user.email, "auth.password_reset"):
        queue_email(user.email, "auth/password_reset", category="auth.password_reset",
                    language=language, context={"user": user, "reset_url": url, "minutes": minutes})

"""Calendar invites attached to e-mails (text/calendar REQUEST and CANCEL)."""
from __future__ import annotations

from typing import Any


def invite_attachments(registration: Any, method: str = "REQUEST") -> list[dict[str, Any]]:
    """Outbox attachments carrying the event as an iTIP invite for this registrant.

    Returns [] until the calendars capability builds the invite.
    """
    return []

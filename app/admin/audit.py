"""Writing audit entries from services; the caller's transaction commits them."""
from __future__ import annotations

from typing import Any

from app.admin.models import AuditEntry
from app.extensions import db


def record(action: str, obj: Any = None, *, user: Any = None, summary: str = "",
           **details: Any) -> AuditEntry:
    """Add an audit entry for `action` on `obj` by `user` (None for the system)."""
    entry = AuditEntry(
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "",
        object_id=getattr(obj, "id", None),
        user_id=getattr(user, "id", None),
        summary=summary[:500],
        details={k: v for k, v in details.items() if v is not None},
    )
    db.session.add(entry)
    return entry

"""The audit log: who changed what, and when. Services write it; the caller commits.

Imported by capabilities; imports none of them.
"""
from __future__ import annotations

from typing import Any

from app.audit.models import AuditEntry
from app.extensions import db

__all__ = ["AuditEntry", "record"]


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

"""The audit log: who changed what, and when. Services write it; the caller commits.

Imported by capabilities; imports none of them.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.extensions import db

__all__ = ["AuditEntry", "record", "record_many"]


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


def record_many(action: str, objs: Iterable[Any], *, user: Any = None,
                summary: Callable[[Any], str] = lambda obj: "") -> int:
    """One entry per object, written in a single INSERT (bulk actions on hundreds of rows)."""
    rows = [
        {"action": action, "object_type": type(obj).__name__.lower(), "object_id": obj.id,
         "user_id": getattr(user, "id", None), "summary": summary(obj)[:500], "details": {}}
        for obj in objs
    ]
    if rows:
        db.session.execute(sa.insert(AuditEntry), rows)
    return len(rows)

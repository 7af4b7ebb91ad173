"""The audit log: who changed what, and when. Services write it; the caller commits.

Imported by capabilities; imports none of them.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.extensions import db

__all__ = ["AuditEntry", "record", "record_many", "scrub"]


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


def scrub(needles: list[str], *, object_type: str = "", object_id: int | None = None) -> int:
    """Strip every text copy of a person from the log; returns how many entries changed.

    Entries about the record (`object_type`, `object_id`) and entries whose summary or
    details quote one of `needles` (an address, a name) keep their ids and numbers (what
    happened to which record) and lose every text.
    """
    quoting = [sa.func.lower(column).contains(n.lower(), autoescape=True)
               for n in needles if n and n.strip()
               for column in (AuditEntry.summary, sa.cast(AuditEntry.details, sa.Text))]
    if object_type and object_id is not None:
        quoting.append(sa.and_(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id))
    if not quoting:
        return 0
    entries = db.session.scalars(sa.select(AuditEntry).where(sa.or_(*quoting))).all()
    for entry in entries:
        entry.summary = f"#{entry.object_id}" if entry.object_id else ""
        entry.details = {k: v for k, v in (entry.details or {}).items()
                         if isinstance(v, (int, float, bool)) and not isinstance(v, str)}
    return len(entries)

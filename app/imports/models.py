"""An uploaded list waiting for the organiser's confirmation."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.db import utcnow
from app.extensions import db


class StagedImport(db.Model):
    """The rows of one uploaded file, kept server-side until confirmed, cancelled or expired.

    Nothing is imported from it until the organiser confirms; the row (with the names and
    addresses it holds) is deleted then, on cancel, or by the purge job at `expires_at`.
    """

    __tablename__ = "staged_imports"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # What the rows are for: "registrations" (with event_id) or "subscribers".
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))
    event_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    # Only the person who uploaded it may see or confirm it.
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    filename: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    header: so.Mapped[list[str]] = so.mapped_column(sa.JSON, default=list)
    rows: so.Mapped[list[list[str]]] = so.mapped_column(sa.JSON, default=list)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    expires_at: so.Mapped[datetime] = so.mapped_column(index=True)

    def __repr__(self) -> str:
        return f"<StagedImport {self.id} {self.kind} {len(self.rows or [])} rows>"

    def as_records(self) -> list[tuple[int, dict[str, Any]]]:
        """(line number in the file, {header: value}) of every data row."""
        return [(number, dict(zip(self.header, row, strict=False)))
                for number, row in enumerate(self.rows or [], start=2)]

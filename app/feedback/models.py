"""Page ratings: a page, yes or no, an optional reason from a fixed list, a day. Nothing
about who rated: no address, no time of day, no session, no free text."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db


class PageRating(db.Model):
    __tablename__ = "page_ratings"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    path: so.Mapped[str] = so.mapped_column(sa.String(300), index=True)
    useful: so.Mapped[bool]
    reason: so.Mapped[str] = so.mapped_column(sa.String(40), default="")  # a key of REASONS
    rated_on: so.Mapped[date]

    def __repr__(self) -> str:
        return f"<PageRating {self.path} {self.useful}>"

"""Recording and counting page ratings.

Rule: only public pages anyone can open are rated, so a stored path names a page and
never a person (no private links, no back-office, no query strings). The path is
matched against the site's routes and kept only when its endpoint is one of
RATED_ENDPOINTS.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from app.db import utcnow
from app.errors import DomainError
from app.extensions import db
from app.feedback.models import PageRating

RATED_ENDPOINTS = frozenset({
    "main.home", "main.privacy", "events.index", "events.detail", "projects.index",
    "projects.detail", "newsletter.index", "newsletter.archive", "newsletter.archive_detail",
    "directory.speaker", "directory.venue",
})

# Why a page was useful, or not: a fixed list, so nothing personal can be typed in.
REASONS_YES = {
    "clear": _l("The information was clear"),
    "complete": _l("I found everything I needed"),
    "easy": _l("It was easy to find"),
}
REASONS_NO = {
    "unclear": _l("The information was not clear"),
    "incomplete": _l("Something I needed was missing"),
    "hard_to_find": _l("It was hard to find"),
    "technical": _l("The page did not work properly"),
}
REASONS = {**REASONS_YES, **REASONS_NO}


class RatingRefused(DomainError):
    """Not a page we rate, or a reason that is not on the list."""


def is_rated_page(path: str) -> bool:
    if not path.startswith("/") or len(path) > 300 or "?" in path or "//" in path:
        return False
    adapter = current_app.url_map.bind("localhost")
    try:
        endpoint, _args = adapter.match(path, method="GET")
    except HTTPException:
        return False
    return endpoint in RATED_ENDPOINTS


def rate_page(path: str, useful: bool, reason: str = "", today: date | None = None) -> PageRating:
    """Store one rating (flushes, never commits)."""
    if not is_rated_page(path):
        raise RatingRefused(_l("This page cannot be rated."))
    if reason and reason not in (REASONS_YES if useful else REASONS_NO):
        raise RatingRefused(_l("Choose a reason from the list."), field="reason")
    rating = PageRating(path=path, useful=useful, reason=reason,
                        rated_on=today or utcnow().date())
    db.session.add(rating)
    db.session.flush()
    return rating


@dataclass
class PageResult:
    path: str
    yes: int = 0
    no: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.yes + self.no

    @property
    def useful_percent(self) -> int:
        return round(100 * self.yes / self.total) if self.total else 0


def results(since: date | None = None) -> list[PageResult]:
    """Per page: yes, no and each reason's count, most rated first (one query)."""
    stmt = sa.select(PageRating.path, PageRating.useful, PageRating.reason,
                     sa.func.count()).group_by(PageRating.path, PageRating.useful, PageRating.reason)
    if since is not None:
        stmt = stmt.where(PageRating.rated_on >= since)
    pages: dict[str, PageResult] = {}
    for path, useful, reason, count in db.session.execute(stmt):
        page = pages.setdefault(path, PageResult(path))
        if useful:
            page.yes += count
        else:
            page.no += count
        if reason:
            page.reasons[reason] = page.reasons.get(reason, 0) + count
    return sorted(pages.values(), key=lambda p: (-p.total, p.path))

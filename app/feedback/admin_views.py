"""Back-office: how useful visitors found each page."""
from __future__ import annotations

from datetime import timedelta

from flask import render_template, request

from app.db import utcnow
from app.feedback import admin_bp, services

PERIODS = (30, 90, 365)


@admin_bp.get("/feedback")
def results():
    days = request.args.get("days", type=int)
    if days not in PERIODS:
        days = None
    since = (utcnow() - timedelta(days=days)).date() if days else None
    return render_template("feedback/admin/results.html", pages=services.results(since),
                           days=days, periods=PERIODS, reasons=services.REASONS)

"""The shell's own pages: the dashboard (panels contributed by capabilities) and the audit log."""
from __future__ import annotations

import sqlalchemy as sa
from flask import render_template, request

from app.admin import bp
from app.admin.shell import DASHBOARD_PANELS, admin_required
from app.audit import AuditEntry
from app.audit.labels import action_label, field_label, object_type_label
from app.extensions import db


@bp.get("/")
def dashboard():
    panels = [(panel.template, panel.context()) for panel in DASHBOARD_PANELS]
    return render_template("admin/dashboard.html", panels=panels)


@bp.get("/audit")
@admin_required
def audit():
    object_type = request.args.get("object_type", "").strip()[:40]
    object_id = request.args.get("object_id", type=int)
    stmt = sa.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if object_type:
        condition = AuditEntry.object_type == object_type
        if object_id is not None:
            condition = sa.and_(condition, AuditEntry.object_id == object_id)
            if object_type == "event":
                # An event's history includes the changes to its sessions and materials.
                condition = sa.or_(
                    condition, AuditEntry.details["event_id"].as_integer() == object_id
                )
        stmt = stmt.where(condition)
    page = db.paginate(stmt, per_page=50, error_out=False)
    types = db.session.scalars(
        sa.select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type)
    ).all()
    return render_template(
        "admin/audit.html", page=page,
        types=sorted(((t, object_type_label(t)) for t in types if t), key=lambda t: t[1]),
        action_label=action_label, field_label=field_label, filters={"object_type": object_type, "object_id": object_id})

"""/readyz and /metrics."""
from __future__ import annotations

from flask import current_app, jsonify

from app.extensions import limiter
from app.ops import bp
from app.ops.metrics import render_metrics
from app.ops.readiness import run_checks


@bp.get("/readyz")
@limiter.exempt
def readyz():
    checks = run_checks()
    failing = sorted(name for name, value in checks.items() if value != "ok")
    body = {"status": "error" if failing else "ok", "checks": checks, "failing": failing}
    headers = {"Cache-Control": "no-store"}
    if failing:
        headers["Retry-After"] = str(current_app.config.get("DB_UNAVAILABLE_RETRY_AFTER") or 5)
    return jsonify(body), (503 if failing else 200), headers


@bp.get("/metrics")
@limiter.exempt
def metrics():
    return render_metrics()

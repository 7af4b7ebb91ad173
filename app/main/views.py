"""Site-wide pages."""
from __future__ import annotations

from flask import (
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from sqlalchemy import text

from app.events import services as event_services
from app.extensions import csrf, db
from app.files import services as files
from app.i18n import SUPPORTED
from app.main import bp
from app.security.urls import safe_next


@bp.get("/")
def home():
    upcoming = event_services.upcoming_events(limit=6)
    recordings = event_services.latest_recordings(limit=4)
    return render_template("main/home.html", upcoming=upcoming, recordings=recordings,
                           covers=files.pictures_of("event", [e.id for e in upcoming]))


@bp.get("/favicon.ico")
def favicon():
    """Browsers and feed readers ask for /favicon.ico whatever the page links to."""
    return send_from_directory(current_app.static_folder, "favicon.ico",
                               mimetype="image/vnd.microsoft.icon", max_age=7 * 86400)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means the database is not usable
        db.session.rollback()
        current_app.logger.warning("health check failed: %s", exc)
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.post("/language")
@csrf.exempt  # only sets a display preference; pages carry no per-visitor token so they cache
def set_language():
    lang = request.form.get("lang", "")
    if lang in SUPPORTED:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next")) or url_for("main.home"))


@bp.get("/privacy")
def privacy():
    return render_template(
        "main/privacy.html",
        retention_days=current_app.config["REGISTRATION_RETENTION_DAYS"],
        outbox_days=current_app.config.get("OUTBOX_RETENTION_DAYS", 90),
        version=current_app.config["PRIVACY_TEXT_VERSION"],
    )

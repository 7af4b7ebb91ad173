"""The newsletter "La Camera Informa": double opt-in, campaigns, exactly-once delivery."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from app.admin import admin_blueprint

bp = Blueprint("newsletter", __name__, url_prefix="/newsletter")
admin_bp = admin_blueprint("newsletter_admin", __name__, url_prefix="/admin/newsletter")

DEFAULTS = {
    # (code, label): codes are stored, labels shown; drawn from the seed pages.
    "NEWSLETTER_TOPICS": [
        ("events", _l("Events and webinars")),
        ("funding", _l("Funding calls")),
        ("eu-projects", _l("EU projects")),
        ("social-innovation", _l("Social innovation")),
    ],
    "NEWSLETTER_CONFIRM_DAYS": 7,
    # Messages per second for campaigns; 0 = as fast as the SMTP server takes them.
    "NEWSLETTER_RATE_PER_SECOND": 20.0,
    "NEWSLETTER_BATCH_SIZE": 50,
    # A claimed batch is given back to the queue when its sender vanished for this long.
    "NEWSLETTER_CLAIM_SECONDS": 300,
    "NEWSLETTER_MAX_ATTEMPTS": 8,
    "NEWSLETTER_RETRY_BASE_SECONDS": 60,
    # Consecutive permanent refusals after which a subscriber is marked bouncing.
    "NEWSLETTER_BOUNCE_THRESHOLD": 3,
    # How long one run of the sending job may go on before handing back to the scheduler.
    "NEWSLETTER_SEND_BUDGET_SECONDS": 50,
    # PostgreSQL: commit the "sent" marks without waiting for the WAL flush (faster on
    # slow disks; a database-server crash could then forget the last ~0.6 s of marks).
    "NEWSLETTER_ASYNC_COMMIT": False,
    # APScheduler CronTrigger fields for the upcoming-events digest.
    "NEWSLETTER_DIGEST_CRON": {"day_of_week": "mon", "hour": 9, "minute": 0,
                               "timezone": "Europe/Rome"},
    "NEWSLETTER_DIGEST_WEEKS": 4,
    # False: the digest waits as a draft for an organiser to approve it.
    "NEWSLETTER_DIGEST_AUTO_SEND": False,
    "NEWSLETTER_NAME": "La Camera Informa",
}


@bp.record_once
def _defaults(state) -> None:
    for key, value in DEFAULTS.items():
        state.app.config.setdefault(key, value)


from app.newsletter import admin_views, receivers, views  # noqa: E402,F401

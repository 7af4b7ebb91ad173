"""Event reminders and follow-ups: rows with a due time and a sent mark."""
from flask import Blueprint

bp = Blueprint("reminders", __name__)


@bp.app_template_global("reminder_counts")
def reminder_counts(event):
    """{(kind, status): n} for the organiser's event panel."""
    from app.reminders.services import counts_by_status

    return counts_by_status(event)


from app.reminders import receivers  # noqa: E402,F401  (connects the signal receivers)

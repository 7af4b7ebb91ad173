"""The calendars capability."""
from flask import Blueprint

bp = Blueprint("calendars", __name__)
admin_bp = Blueprint("calendars_admin", __name__, url_prefix="/admin")

from app.calendars import views  # noqa: E402,F401

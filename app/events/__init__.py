"""Events: the public catalogue and event page, and their back-office pages."""
from flask import Blueprint

from app.admin import admin_blueprint

bp = Blueprint("events", __name__)
admin_bp = admin_blueprint("events_admin", __name__)


from app.events import admin_views, views  # noqa: E402,F401

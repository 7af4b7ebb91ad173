"""The registrations capability."""
from flask import Blueprint

bp = Blueprint("registrations", __name__)
admin_bp = Blueprint("registrations_admin", __name__, url_prefix="/admin")

from app.registrations import admin_views, receivers, views  # noqa: E402,F401

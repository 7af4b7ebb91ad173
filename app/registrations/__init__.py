"""The registrations capability."""
from flask import Blueprint

from app.admin import admin_blueprint

bp = Blueprint("registrations", __name__)
admin_bp = admin_blueprint("registrations_admin", __name__)

from app.registrations import admin_views, import_views, receivers, views  # noqa: E402,F401

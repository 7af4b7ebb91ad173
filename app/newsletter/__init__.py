"""The newsletter "La Camera Informa": double opt-in, campaigns, exactly-once delivery."""
from flask import Blueprint

from app.admin import admin_blueprint

bp = Blueprint("newsletter", __name__, url_prefix="/newsletter")
admin_bp = admin_blueprint("newsletter_admin", __name__, url_prefix="/admin/newsletter")

from app.newsletter import admin_views, import_views, receivers, views  # noqa: E402,F401

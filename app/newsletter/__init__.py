"""The newsletter "La Camera Informa"."""
from flask import Blueprint

bp = Blueprint("newsletter", __name__, url_prefix="/newsletter")
admin_bp = Blueprint("newsletter_admin", __name__, url_prefix="/admin/newsletter")

from app.newsletter import views  # noqa: E402,F401

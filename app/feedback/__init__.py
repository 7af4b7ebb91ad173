"""“Was this page useful?”: visitors rate public pages; organisers read the results per page."""
from flask import Blueprint

from app.admin import admin_blueprint

bp = Blueprint("feedback", __name__)
admin_bp = admin_blueprint("feedback_admin", __name__)

from app.feedback import admin_views, views  # noqa: E402,F401

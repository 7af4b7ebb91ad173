"""The public read-only API (/api/v1/), its OpenAPI document and documentation page,
and organisers' API keys."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")
admin_bp = Blueprint("api_admin", __name__, url_prefix="/admin/api-keys")

from app.api import admin_views, organiser, views  # noqa: E402,F401

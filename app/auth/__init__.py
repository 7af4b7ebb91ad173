"""Accounts: back-office login and logout, and the accounts' back-office pages."""
from flask import Blueprint

from app.admin import admin_blueprint

bp = Blueprint("auth", __name__, url_prefix="/admin")
admin_bp = admin_blueprint("auth_admin", __name__)

from app.auth import admin_views, views  # noqa: E402,F401

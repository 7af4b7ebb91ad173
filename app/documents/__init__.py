"""The documents capability."""
from flask import Blueprint

from app.admin import admin_blueprint

bp = Blueprint("documents", __name__)
admin_bp = admin_blueprint("documents_admin", __name__)

from app.documents import views  # noqa: E402,F401


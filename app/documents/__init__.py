"""The documents capability."""
from flask import Blueprint

bp = Blueprint("documents", __name__)
admin_bp = Blueprint("documents_admin", __name__, url_prefix="/admin")

from app.documents import views  # noqa: E402,F401

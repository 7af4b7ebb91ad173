"""Back-office login and logout."""
from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/admin")

from app.auth import reset_views, views  # noqa: E402,F401

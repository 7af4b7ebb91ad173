"""Home page, language switch, privacy notice, health check, error pages."""
from flask import Blueprint

bp = Blueprint("main", __name__)

from app.main import views  # noqa: E402,F401

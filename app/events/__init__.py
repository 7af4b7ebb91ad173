"""The public event catalogue: list, event page."""
from flask import Blueprint

bp = Blueprint("events", __name__)

from app.events import views  # noqa: E402,F401

"""Event reminders and follow-ups: rows with a due time and a sent mark."""
from flask import Blueprint

bp = Blueprint("reminders", __name__)

from app.reminders import panels, receivers  # noqa: E402,F401  (the event panel, the signal receivers)

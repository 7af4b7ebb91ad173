"""Projects (e.g. +RESILIENT) and their events."""
from flask import Blueprint

bp = Blueprint("projects", __name__)

from app.projects import views  # noqa: E402,F401

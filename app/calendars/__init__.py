"""The calendars capability: iCalendar feeds, personal feeds and e-mail invites."""
from flask import Blueprint

bp = Blueprint("calendars", __name__)

from app.calendars import receivers, views  # noqa: E402,F401

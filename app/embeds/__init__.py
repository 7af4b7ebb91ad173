"""Pages made for partner sites' iframes: /embed/events and /embed/events/<slug>."""
from flask import Blueprint

bp = Blueprint("embeds", __name__)

from app.embeds import panels, views  # noqa: E402,F401

"""Pages for people and places: /speakers/<slug>/ and /venues/<slug>/."""
from flask import Blueprint

bp = Blueprint("directory", __name__)

from app.directory import views  # noqa: E402,F401

"""Newsletter views."""
from flask import render_template

from app.newsletter import bp


@bp.get("/")
def index():
    return render_template("newsletter/index.html")

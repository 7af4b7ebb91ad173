"""Back-office views."""
from flask import render_template
from flask_login import login_required

from app.admin import bp


@bp.get("/")
@login_required
def dashboard():
    return render_template("admin/dashboard.html")

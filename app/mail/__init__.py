"""The mail capability."""
from flask import Blueprint

from app.admin import admin_blueprint

bp = Blueprint("mail", __name__)
admin_bp = admin_blueprint("mail_admin", __name__)

from app.mail import views  # noqa: E402,F401

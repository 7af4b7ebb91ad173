"""The mail capability."""
from flask import Blueprint

bp = Blueprint("mail", __name__)
admin_bp = Blueprint("mail_admin", __name__, url_prefix="/admin")

from app.mail import views  # noqa: E402,F401

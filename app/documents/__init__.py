"""The documents capability."""
from flask import Blueprint

bp = Blueprint("documents", __name__)
admin_bp = Blueprint("documents_admin", __name__, url_prefix="/admin")

from app.documents import views  # noqa: E402,F401


@admin_bp.app_template_global("certificate_batches")
def _certificate_batches(event):
    from app.documents.pdf import certificate_batches

    return certificate_batches(event)

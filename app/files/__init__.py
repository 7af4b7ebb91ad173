"""Files: uploaded materials and pictures, stored once, checked, and served safely."""
from __future__ import annotations

from flask import Blueprint, current_app, request

bp = Blueprint("files", __name__)

# Endpoints that take an upload: their body may reach the largest UPLOAD_MAX_MB plus a
# margin for the form fields; every other route keeps MAX_CONTENT_LENGTH.
UPLOAD_ENDPOINTS: set[str] = set()


def accepts_upload(endpoint: str) -> None:
    UPLOAD_ENDPOINTS.add(endpoint)


def _upload_body_limit() -> None:
    if request.endpoint in UPLOAD_ENDPOINTS:
        largest = max(float(v) for v in current_app.config["UPLOAD_MAX_MB"].values())
        request.max_content_length = int((largest + 1) * 1024 * 1024)


@bp.record_once
def _install(state) -> None:
    # First of all before-request functions: CSRF protection reads the body before any view.
    state.app.before_request_funcs.setdefault(None, []).insert(0, _upload_body_limit)
    templating.register(state.app)


from app.files import templating, views  # noqa: E402,F401

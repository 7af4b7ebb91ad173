"""Error pages in the visitor's language; the 500 handler rolls the session back."""
from __future__ import annotations

import json
from http import HTTPStatus

from flask import Flask, render_template, request

from app.extensions import db


def _wants_json() -> bool:
    return request.path.endswith((".ics", ".json", ".pdf")) or request.path == "/healthz"


def register(app: Flask) -> None:
    def render(code: int):
        if request.path.startswith("/api/v1/"):
            # The API answers in its own problem shape (RFC 9457), whatever failed.
            body = {"status": code, "title": HTTPStatus(code).phrase}
            return app.response_class(json.dumps(body), status=code,
                                      mimetype="application/problem+json")
        if _wants_json():
            return {"error": code}, code
        return render_template("errors/error.html", code=code), code

    for code in (400, 403, 404, 405, 429):
        app.register_error_handler(code, lambda e, code=code: render(code))

    @app.errorhandler(500)
    def internal_error(error):
        db.session.rollback()
        return render(500)

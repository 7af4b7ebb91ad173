"""Cross-cutting defences: response headers and CSP, input guards, redaction of private links."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.extensions import db
    from app.security import headers, input, single_line
    from app.security.redact import redact_private_urls

    single_line.install(db.Model.registry)
    app.jinja_env.filters["redact"] = redact_private_urls
    input.init_app(app)
    headers.init_app(app)

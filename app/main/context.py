"""Values every template can use."""
from __future__ import annotations

import json

from flask import Flask, current_app, request
from markupsafe import Markup

from app.events.labels import TEMPLATE_HELPERS
from app.i18n import SUPPORTED, current_language
from app.text import render_markdown


def register(app: Flask) -> None:
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["json_ld"] = lambda data: Markup(
        json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    )

    app.jinja_env.globals.update(TEMPLATE_HELPERS)

    @app.context_processor
    def inject():
        return {
            "site_name": current_app.config["SITE_NAME"],
            "organisation_name": current_app.config["ORGANISATION_NAME"],
            "languages": SUPPORTED,
            "current_language": current_language(),
            "current_path": request.full_path.rstrip("?") if request else "/",
        }

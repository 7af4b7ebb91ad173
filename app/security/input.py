"""Bad input never gives a 500: the door refuses what no browser form sends.

- A POST, PUT, PATCH or DELETE to a page whose body is not a form (JSON, XML, plain
  text, no content type) is 415: Flask-WTF would otherwise read a JSON body as form
  data, and a JSON string can carry a lone surrogate no database accepts. The API
  (/api/) speaks JSON and is left to its own views.
- A NUL or a lone surrogate anywhere (path, query, form, headers, JSON) is 400.
- A body over MAX_CONTENT_LENGTH is 413, with the site's error page.
"""
from __future__ import annotations

import re
from typing import Any

from flask import Flask, abort, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType

FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
JSON_PREFIXES = ("/api/",)

_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")


def has_bad_chars(value: Any) -> bool:
    """A NUL or a lone surrogate anywhere in a string, or in a JSON structure's keys/values."""
    if isinstance(value, str):
        return _BAD_CHARS.search(value) is not None
    if isinstance(value, dict):
        return any(has_bad_chars(k) or has_bad_chars(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_bad_chars(v) for v in value)
    return False


def _has_body() -> bool:
    return bool(request.content_length) or request.headers.get("Transfer-Encoding", "").lower() == "chunked"


def refuse_bad_input():
    if has_bad_chars(request.path) or any(has_bad_chars(v) for _, v in request.headers.items()):
        abort(400)
    if any(has_bad_chars(k) or has_bad_chars(v) for k, v in request.args.items(multi=True)):
        abort(400)
    if request.method not in BODY_METHODS or not _has_body():
        return None
    if request.path.startswith(JSON_PREFIXES):
        if request.is_json:
            data = request.get_json(silent=True)
            if data is None or has_bad_chars(data):
                abort(400)
        return None
    if request.mimetype not in FORM_TYPES:
        abort(415)
    if any(has_bad_chars(k) or has_bad_chars(v) for k, v in request.form.items(multi=True)):
        abort(400)
    return None


def init_app(app: Flask) -> None:
    app.before_request(refuse_bad_input)

    def page(code: int):
        def handler(error):
            if request.path.endswith((".ics", ".json", ".pdf")) or request.path.startswith(JSON_PREFIXES):
                return {"error": code}, code
            return render_template("errors/error.html", code=code), code

        return handler

    app.register_error_handler(RequestEntityTooLarge, page(413))
    app.register_error_handler(UnsupportedMediaType, page(415))

"""Input the database cannot store is refused at the door with a clear 400, never a 500."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, abort, request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

# Ids and page numbers live in 32-bit signed columns on every backend.
MAX_INT = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` that matches only numbers a column can hold: larger ones are a 404."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)


def _has_nul() -> bool:
    if "\x00" in request.path or b"%00" in request.query_string.lower():
        return True
    if any("\x00" in value for values in request.args.listvalues() for value in values):
        return True
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
        "application/x-www-form-urlencoded", "multipart/form-data",
    ):
        return any("\x00" in value for values in request.form.listvalues() for value in values)
    return False


def register(app: Flask) -> None:
    """Install the converter (before any route is added) and the guards."""
    app.url_map.converters["int"] = BoundedIntConverter

    @app.before_request
    def refuse_nul_bytes():
        # PostgreSQL refuses text containing NUL; no person types one.
        if _has_nul():
            abort(400)

    def bad_value(error):
        from app.extensions import db

        db.session.rollback()
        return app.handle_http_exception(BadRequest())

    # A value the database refuses (out of range, invalid text): the request was bad.
    app.register_error_handler(sa.exc.DataError, bad_value)
    app.register_error_handler(OverflowError, bad_value)

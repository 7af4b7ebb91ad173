"""When the database cannot be reached, every route answers 503 with Retry-After.

Connections refused, connections cut under a running query (a restarted or failed-over
server, an administrator terminating backends), a database that refuses connections and
a pool with no free connection all end here instead of in a 500. The page itself touches
neither the database nor the session's user, so it renders while the database is down;
the next request tries again (pool_pre_ping replaces dead connections), so service comes
back without restarting any process.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Flask, render_template, request

from app.extensions import db

log = logging.getLogger(__name__)
DEFAULT_RETRY_AFTER = 5


def database_unavailable(error: Exception):
    from flask import current_app

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone: drop it with the session
        pass
    db.session.remove()
    log.warning("database unavailable: %s", str(error).splitlines()[0] if str(error) else error)
    retry_after = str(current_app.config.get("DB_UNAVAILABLE_RETRY_AFTER") or DEFAULT_RETRY_AFTER)
    headers = {"Retry-After": retry_after, "Cache-Control": "no-store"}
    if request.path.endswith((".ics", ".json", ".pdf")) or request.path in ("/healthz", "/readyz"):
        return {"error": 503, "database": "unreachable"}, 503, headers
    return render_template("errors/unavailable.html", retry_after=retry_after), 503, headers


def is_connection_error(error: BaseException) -> bool:
    if isinstance(error, sa.exc.OperationalError | sa.exc.InterfaceError | sa.exc.TimeoutError):
        return True
    return isinstance(error, sa.exc.DBAPIError) and bool(error.connection_invalidated)


def install(app: Flask) -> None:
    for exc in (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError):
        app.register_error_handler(exc, database_unavailable)

    # Registered after Flask-SQLAlchemy's, so it runs before it (teardowns run in reverse).
    @app.teardown_appcontext
    def close_session_even_if_the_connection_died(exc):
        """A connection cut after the answer was built makes the closing ROLLBACK fail;
        the answer is already right, so drop the dead connection instead of turning the
        answer into a 500."""
        try:
            db.session.remove()
        except Exception as error:  # noqa: BLE001 - the driver's error, whatever it is
            log.warning("closing the session failed: %s", str(error).splitlines()[0] if str(error) else error)
            try:
                db.session.remove()  # the failed connection has been invalidated by now
            except Exception:  # noqa: BLE001
                pass

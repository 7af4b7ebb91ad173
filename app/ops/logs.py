"""Request ids and one log line per request, as text or as JSON (LOG_FORMAT=json).

The id comes from the proxy's X-Request-ID header when it looks like one (nginx
sets `$request_id`), else it is made here. It is sent back in the response's
X-Request-ID header, written on every log record of the request, shown on error
pages and carried by the e-mails the request queues (X-Request-ID header).
"""
from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request

REQUEST_LOG = logging.getLogger("eventi.request")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_id() -> str | None:
    """The id of the request being served, or None outside a request."""
    if has_request_context():
        return getattr(g, "request_id", None) or request.environ.get("eventi.request_id")
    return None


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id and extras."""

    EXTRA = ("request_id", "method", "path", "route", "status", "duration_ms", "remote_addr",
             "user_agent", "bytes")

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in self.EXTRA:
            if hasattr(record, key):
                data[key] = getattr(record, key)
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def configure_logging(fmt: str = "text", level: str = "INFO", stream=None) -> logging.Handler:
    """Send every record of the process to one handler on stderr (journald reads it)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_eventi", False):
            root.removeHandler(old)
    handler._eventi = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    return handler


class RequestMiddleware:
    """The outermost layer inside ProxyFix: every request, including those answered
    before Flask runs (the event page fast path), gets an id, a log line and metrics."""

    def __init__(self, app: Flask, wsgi_app) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def _route(self, environ) -> str:
        route = environ.get("eventi.route")
        if route:
            return route
        try:  # answered without Flask's dispatch: find the rule the URL belongs to
            rule, _ = self.app.url_map.bind_to_environ(environ).match(return_rule=True)
            return rule.rule
        except Exception:  # noqa: BLE001 - 404, 405, redirects
            return "unmatched"

    def __call__(self, environ, start_response):
        from app.ops import metrics

        started = time.perf_counter()
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _VALID_ID.match(incoming) else secrets.token_hex(16)
        environ["eventi.request_id"] = request_id
        seen: dict = {}

        def start(status, headers, exc_info=None):
            seen["status"] = int(status.split(" ", 1)[0])
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            headers.append(("X-Request-ID", request_id))
            seen["length"] = next((v for k, v in headers if k.lower() == "content-length"), None)
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, start)
        duration = time.perf_counter() - started
        status = seen.get("status", 0)
        route = self._route(environ)
        method = environ.get("REQUEST_METHOD", "-")
        metrics.observe(route, method, status, duration)
        if self.app.config["LOG_REQUESTS"]:
            path = environ.get("PATH_INFO", "")
            query = environ.get("QUERY_STRING", "")
            duration_ms = round(duration * 1000, 1)
            REQUEST_LOG.info(
                "%s %s %s %sms", method, path + ("?" + query if query else ""), status, duration_ms,
                extra={"request_id": request_id, "method": method, "path": path, "route": route,
                       "status": status, "duration_ms": duration_ms,
                       "remote_addr": environ.get("REMOTE_ADDR", "-"),
                       "user_agent": environ.get("HTTP_USER_AGENT", "")[:200],
                       "bytes": seen.get("length")},
            )
        return body


def install(app: Flask) -> None:
    import os

    fmt = (app.config.get("LOG_FORMAT") or os.environ.get("LOG_FORMAT") or "text").lower()
    app.config["LOG_FORMAT"] = fmt
    if not app.config.get("TESTING") and not app.config.get("LOG_KEEP_HANDLERS"):
        configure_logging(fmt, app.config.get("LOG_LEVEL") or os.environ.get("LOG_LEVEL", "INFO"))
        # Flask's own handler would print every error twice.
        from flask.logging import default_handler

        app.logger.removeHandler(default_handler)
    log_requests = app.config.get("LOG_REQUESTS")
    if log_requests is None:
        log_requests = os.environ.get("LOG_REQUESTS", "1") not in ("0", "false", "no", "off")
    app.config["LOG_REQUESTS"] = bool(log_requests)
    # Alembic's logging set-up (fileConfig) disables loggers that exist when it runs, e.g.
    # after an in-process `flask db upgrade`: the request log must survive it.
    REQUEST_LOG.disabled = False
    register_context(app)

    @app.before_request
    def take_request_id():
        environ = request.environ
        g.request_id = environ.get("eventi.request_id") or secrets.token_hex(16)
        environ["eventi.route"] = request.url_rule.rule if request.url_rule else "unmatched"



def wrap(app: Flask) -> None:
    """Wrap the whole WSGI app, the event page fast path included (create_app calls it last)."""
    app.wsgi_app = RequestMiddleware(app, app.wsgi_app)


def register_context(app: Flask) -> None:
    @app.context_processor
    def inject_request_id():
        return {"request_id": current_request_id()}

"""Running in production: request ids and logs, readiness, metrics, proxy headers,
the 503 page when the database is unreachable, fingerprinted static files, and the
database copy/backup helpers of docs/operations.md.

Everything here hooks into the application when the blueprint is registered, so
the factory needs only to list `app.ops` among its capability packages.
"""
from flask import Blueprint

bp = Blueprint("ops", __name__)


@bp.record_once
def _install(state) -> None:
    from app.ops import assets, cli, logs, metrics, unavailable

    app = state.app
    logs.install(app)
    metrics.install(app)
    unavailable.install(app)
    assets.install(app)
    cli.install(app)


def wrap_wsgi(app) -> None:
    """The outermost WSGI layers, added after every other one (the event page fast path):
    request ids, log lines and request metrics, then ProxyFix around everything."""
    from app.ops import logs, proxy

    logs.wrap(app)
    proxy.install(app)


from app.ops import views  # noqa: E402,F401

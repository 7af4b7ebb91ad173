"""The back-office shell: the login guard, the dashboard, the audit page, and the one way a
back-office view runs a service (its refusal shown beside the field, one commit).

Capabilities build their back-office pages on `admin_blueprint(...)` and `run_service`;
the shell imports no capability.
"""
from app.admin.shell import (
    Outcome,
    admin_blueprint,
    admin_required,
    check_post,
    dashboard_panel,
    run_service,
    show_error,
)

bp = admin_blueprint("admin", __name__)

__all__ = ["Outcome", "admin_blueprint", "admin_required", "bp", "check_post",
           "dashboard_panel", "run_service", "show_error"]

from app.admin import views  # noqa: E402,F401

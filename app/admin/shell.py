"""The back-office rules every capability's pages share.

- Every back-office page needs a signed-in, still active account (`admin_blueprint`).
- A view runs a service through `run_service`: when the service refuses with a
  `DomainError`, the transaction is rolled back and the reason is shown beside the form
  field it names (or flashed, for a bare button); otherwise the view's work is committed
  once. Services flush and never commit.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Generic, TypeVar

from flask import Blueprint, abort, flash
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm

from app.errors import DomainError
from app.extensions import db, login_manager
from app.forms import show_error

T = TypeVar("T")


def require_active_account():
    """Every back-office page needs a signed-in, still active account."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_active:
        logout_user()
        return login_manager.unauthorized()
    return None


def _action_form() -> dict[str, Any]:
    # Bare buttons (publish, delete, ...) post this form for its CSRF token. It never
    # reads the request's body: on a 413 page that body is what was refused.
    return {"action_form": FlaskForm(formdata=None)}


def admin_blueprint(name: str, import_name: str, url_prefix: str = "/admin") -> Blueprint:
    """A back-office blueprint: behind the login guard, with `action_form` in templates."""
    bp = Blueprint(name, import_name, url_prefix=url_prefix)
    bp.before_request(require_active_account)
    bp.context_processor(_action_form)
    return bp


def admin_required(view):
    """Only administrators may open this page."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def check_post() -> None:
    """State-changing buttons post a bare CSRF-protected form; anything else is a 400."""
    FlaskForm().validate_on_submit() or abort(400)


@dataclass
class Outcome(Generic[T]):
    ok: bool
    value: T | None = None
    error: DomainError | None = None


def run_service(call: Callable[[], T], form: FlaskForm | None = None, *,
                category: str = "danger") -> Outcome[T]:
    """Run `call` (a service call) and commit once; when it raises a `DomainError`, roll
    back and show the reason beside its field in `form` (flashed as `category` when
    there is no form)."""
    try:
        value = call()
    except DomainError as exc:
        db.session.rollback()
        if form is not None:
            show_error(form, exc)
        else:
            flash(exc.message, category)
        return Outcome(False, error=exc)
    db.session.commit()
    return Outcome(True, value)


@dataclass(frozen=True)
class Panel:
    template: str
    context: Callable[[], dict[str, Any]]


DASHBOARD_PANELS: list[Panel] = []


def dashboard_panel(template: str):
    """Decorate a function returning a template context: the dashboard includes
    `template` with it. Capabilities add their panels; the shell knows none of them."""
    def decorator(func: Callable[[], dict[str, Any]]):
        if all(p.template != template for p in DASHBOARD_PANELS):
            DASHBOARD_PANELS.append(Panel(template, func))
        return func

    return decorator

"""Application factory: wiring only."""
from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

from flask import Flask

from app.config import Config, runtime_defaults, settings_from_environment

ROOT = Path(__file__).resolve().parent.parent

# Every capability, in the order its pages are registered. Each is a package app/<name>
# that may have `bp` (public pages), `admin_bp` (back-office pages, built on the
# app.admin shell), a `models` module (its tables) and a `jobs` module (its periodic
# jobs): adding a capability is one line here.
CAPABILITIES = (
    "main",
    "audit",
    "admin",
    "auth",
    "events",
    "files",
    "imports",
    "projects",
    "registrations",
    "calendars",
    "documents",
    "newsletter",
    "mail",
    "reminders",
    "scheduler",
    "api",
    "embeds",
    "directory",
    "seo",
    "ops",
    "feedback",
)


def capability_modules(kind: str) -> list[ModuleType]:
    """`app.<capability>.<kind>` (e.g. "models", "jobs") of every capability that has one."""
    found = []
    for name in CAPABILITIES:
        module = f"app.{name}.{kind}"
        if importlib.util.find_spec(module) is not None:
            found.append(importlib.import_module(module))
    return found


def create_app(config: type[Config] | dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    # No configuration given (gunicorn wsgi:app, flask ...): production settings, unless
    # EVENTI_SETTINGS=local asks for the local ones (`make run` does).
    if isinstance(config, dict):
        app.config.from_object(settings_from_environment())
        app.config.update(config)
    else:
        app.config.from_object(config or settings_from_environment())
    if not app.config.get("TESTING"):
        # Any setting can come from the environment as EVENTI_<NAME> (values parsed as
        # JSON when they are JSON: EVENTI_SCHEDULER_LEASE_SECONDS=30, EVENTI_NEWSLETTER_DIGEST_AUTO_SEND=true).
        app.config.from_prefixed_env("EVENTI")
    runtime_defaults(app)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_directories())

    register_extensions(app)
    register_guards(app)
    register_blueprints(app)
    # Anonymous event pages are answered from the shared page cache in front of
    # Flask's request machinery (app/events/fastpath.py).
    register_event_page_fast_path(app)
    # After the fast path: the security headers' WSGI wrapper wraps its answers too.
    register_security(app)
    # Request ids, request logs, metrics and proxy headers wrap everything, fast path too.
    register_outer_layers(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def translation_directories() -> list[str]:
    """Each capability keeps its own catalogue in app/<package>/translations."""
    here = Path(__file__).resolve().parent
    dirs = [here / "translations"] + sorted(here.glob("*/translations"))
    return [str(d) for d in dirs if d.is_dir()]


def register_extensions(app: Flask) -> None:
    from app.extensions import babel, csrf, db, limiter, login_manager, migrate
    from app.i18n import select_locale

    capability_modules("models")  # every table known to SQLAlchemy and Alembic
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"

    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to open this page.")

    from app.auth import sessions

    login_manager.user_loader(sessions.load_user)
    sessions.init_app(app)


def register_guards(app: Flask) -> None:
    from app.main.guards import register

    register(app)


def register_security(app: Flask) -> None:
    from app import security

    security.init_app(app)


def register_blueprints(app: Flask) -> None:
    for name in CAPABILITIES:
        module = importlib.import_module(f"app.{name}")
        for attr in ("bp", "admin_bp"):
            if hasattr(module, attr):
                app.register_blueprint(getattr(module, attr))


def register_outer_layers(app: Flask) -> None:
    from app.ops import wrap_wsgi

    wrap_wsgi(app)


def register_event_page_fast_path(app: Flask) -> None:
    from app.events.fastpath import install

    install(app)


def register_errorhandlers(app: Flask) -> None:
    from app.main.errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from app.i18n import register_filters
    from app.main.context import register

    register_filters(app)
    register(app)


def register_commands(app: Flask) -> None:
    from app.cli import register

    register(app)

"""Back-office sessions end when they should: on logout, on an account change, after idleness.

The rule: a session cookie is worth exactly as much as the account's current
`session_version`. The version is part of the id flask-login keeps in the cookie
(`User.get_id()` = "<id>:<version>") and is checked on every request when the user
is loaded; logging out, a password change or reset, a role change and a
deactivation bump it, so every copy of every earlier cookie stops working at once,
on every worker and host (the version lives in the database, not in memory).

On top of that a back-office session lapses after ADMIN_SESSION_HOURS without a
request: the time of the last request is kept in the (signed) session and refreshed
at most once a minute, so a copied cookie left unused dies on its own.
"""
from __future__ import annotations

from flask import Flask, current_app, session
from flask_login import current_user, logout_user

from app.auth.models import User
from app.db import utcnow
from app.extensions import db

SEEN_KEY = "_seen"
REFRESH_SECONDS = 60


def end_sessions(user: User) -> None:
    """Invalidate every session of `user`, including the one making this request."""
    user.session_version = (user.session_version or 0) + 1
    db.session.flush()


def load_user(user_id: str) -> User | None:
    """flask-login's loader: the account, if the cookie's version is still its version."""
    ident, _, version = (user_id or "").partition(":")
    if not ident.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(ident))
    if user is None or user.session_version != int(version):
        return None
    return user


def clear_keeping_language() -> None:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def start(user: User) -> None:
    """Mark a fresh session's first activity (called right after login_user)."""
    session[SEEN_KEY] = int(utcnow().timestamp())


def _expire_idle_sessions() -> None:
    if not current_user.is_authenticated:
        return
    now = int(utcnow().timestamp())
    seen = session.get(SEEN_KEY)
    limit = float(current_app.config.get("ADMIN_SESSION_HOURS", 12)) * 3600
    if isinstance(seen, int) and now - seen > limit:
        logout_user()
        clear_keeping_language()
        return
    if not isinstance(seen, int) or now - seen >= REFRESH_SECONDS:
        session[SEEN_KEY] = now


def init_app(app: Flask) -> None:
    app.config.setdefault("ADMIN_SESSION_HOURS", 12)
    app.before_request(_expire_idle_sessions)



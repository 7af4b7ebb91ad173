"""Accounts: signing in, and the administrators' changes to organiser accounts."""
from __future__ import annotations

import secrets
from functools import lru_cache

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from app.audit import record
from app.auth.models import Role, User
from app.db import utcnow
from app.errors import DomainError
from app.extensions import db

MIN_PASSWORD_LENGTH = 10


class AccountError(DomainError):
    """An account change refused for a reason the administrator can fix."""


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Same algorithm as real accounts, so an unknown e-mail costs as much as a wrong password.
    return generate_password_hash(secrets.token_urlsafe(16), method="scrypt")


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise AccountError(_l("Enter a valid e-mail address."), "email") from exc


def find_user(email: str) -> User | None:
    email = (email or "").strip().lower()
    return db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email))


def authenticate(email: str, password: str) -> User | None:
    """The active account with this e-mail and password, else None (same work either way)."""
    user = find_user(email)
    if user is None or not user.password_hash:
        check_password_hash(_dummy_hash(), password or "")
        return None
    if not user.check_password(password or "") or not user.active:
        return None
    user.last_login_at = utcnow()
    db.session.flush()
    return user


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            _l("The password must be at least %(n)d characters long.", n=MIN_PASSWORD_LENGTH),
            "password",
        )


def create_user(email: str, *, role: Role, name: str = "", password: str | None = None,
                by: User | None = None) -> tuple[User, str]:
    """A new account; returns it with its password (generated when none is given)."""
    email = normalise_email(email)
    if find_user(email) is not None:
        raise AccountError(_l("An account with this e-mail address already exists."), "email")
    if password is None:
        password = secrets.token_urlsafe(12)
    _check_password(password)
    user = User(email=email, name=(name or email.split("@")[0])[:200], role=Role(role))
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record("user.create", user, user=by, summary=email, role=user.role.value)
    return user, password


def update_user(user: User, *, name: str | None = None, role: Role | None = None,
                active: bool | None = None, by: User) -> dict[str, list]:
    """Change name, role or active flag; an administrator cannot lock themselves out."""
    if user.id == by.id and (active is False or (role is not None and role != Role.ADMIN)):
        raise AccountError(_l("You cannot remove your own administrator access."))
    changes: dict[str, list] = {}
    if name is not None and name != user.name:
        changes["name"] = [user.name, name[:200]]
        user.name = name[:200]
    if role is not None and role != user.role:
        changes["role"] = [user.role.value, Role(role).value]
        user.role = Role(role)
    if active is not None and active != user.active:
        changes["active"] = [user.active, active]
        user.active = active
    if changes:
        db.session.flush()
        record("user.update", user, user=by, summary=user.email, changes=changes)
    return changes


def reset_password(user: User, *, by: User, password: str | None = None) -> str:
    """Set a new password (generated when none is given) and return it."""
    if password is None:
        password = secrets.token_urlsafe(12)
    _check_password(password)
    user.set_password(password)
    db.session.flush()
    record("user.reset_password", user, user=by, summary=user.email)
    return password

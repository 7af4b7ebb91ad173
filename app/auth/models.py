"""Back-office accounts: administrators and organisers."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from app.db import StrEnum, TimestampMixin, enum_column, holds, reference, utcnow
from app.extensions import db


class Role(StrEnum):
    ADMIN = "admin"
    ORGANISER = "organiser"


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(256), default="")
    role: so.Mapped[Role] = so.mapped_column(enum_column(Role), default=Role.ORGANISER)
    active: so.Mapped[bool] = so.mapped_column(default=True)
    last_login_at: so.Mapped[datetime | None]
    # Part of every session cookie (see app/auth/sessions.py): bumping it ends every
    # session of the account at once, on every device and every copy of the cookie.
    session_version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive accounts
        return self.active

    is_admin = holds("role", Role.ADMIN)

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class PasswordReset(db.Model):
    """One forgotten-password link: only its hash is stored; single use, short-lived."""

    __tablename__ = "password_resets"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = reference("users.id", index=True)
    # sha256 of the secret in the link: a copy of the database opens no account.
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    expires_at: so.Mapped[datetime]
    used_at: so.Mapped[datetime | None]


class LoginThrottle(db.Model):
    """Failed log-ins counted per account and per client address, for the back-off.

    `key` is a keyed hash ("account:" or "address:" + value), so the table holds no
    e-mail address or IP address in the clear.
    """

    __tablename__ = "login_throttle"

    key: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    failures: so.Mapped[int] = so.mapped_column(default=0)
    last_failure_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    locked_until: so.Mapped[datetime | None]

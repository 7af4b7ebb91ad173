"""Back-office accounts: administrators and organisers."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from app.db import StrEnum, TimestampMixin, enum_column
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

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive accounts
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def __repr__(self) -> str:
        return f"<User {self.email}>"

"""The login form and the back-office account forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from app.auth.models import Role
from app.forms import BaseForm, enum_choices

ROLES = {Role.ADMIN: _l("Administrator"), Role.ORGANISER: _l("Organiser")}


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class UserCreateForm(BaseForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Length(max=200)])
    role = SelectField(_l("Role"), choices=enum_choices(ROLES), default=Role.ORGANISER.value)
    password = PasswordField(
        _l("Password"), validators=[Optional(), Length(min=10, max=200)],
        description=_l("At least 10 characters. Empty: one is generated and shown once."),
        render_kw={"autocomplete": "new-password"},
    )


class UserEditForm(BaseForm):
    name = StringField(_l("Name"), validators=[Length(max=200)])
    role = SelectField(_l("Role"), choices=enum_choices(ROLES))
    active = BooleanField(_l("Active (may log in)"))

    @classmethod
    def for_user(cls, user, **kwargs) -> UserEditForm:
        form = cls(obj=user, **kwargs)
        if not form.is_submitted():
            form.role.data = user.role.value
        return form

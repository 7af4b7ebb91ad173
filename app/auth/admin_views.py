"""Back-office accounts: list, create, edit, reset a password (administrators only)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin import admin_required, check_post, run_service
from app.auth import admin_bp
from app.auth import services as accounts
from app.auth.forms import UserCreateForm, UserEditForm
from app.auth.models import Role, User
from app.extensions import db

PER_PAGE = 25


@admin_bp.get("/users/")
@admin_required
def users():
    page = db.paginate(sa.select(User).order_by(User.active.desc(), User.email),
                       per_page=PER_PAGE, error_out=False)
    return render_template("auth/admin/users.html", page=page)


@admin_bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def user_create():
    form = UserCreateForm()
    if form.validate_on_submit():
        done = run_service(lambda: accounts.create_user(
            form.email.data, role=Role(form.role.data), name=form.name.data or "",
            password=form.password.data or None, by=current_user,
        ), form)
        if done.ok:
            user, password = done.value
            flash(_("Account created for %(email)s.", email=user.email), "success")
            if not form.password.data:
                # Shown once on this response, never stored in the session cookie.
                return render_template("auth/admin/user_password.html", user=user,
                                       password=password)
            return redirect(url_for("auth_admin.users"))
    return render_template("auth/admin/user_form.html", form=form, user=None)


@admin_bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@admin_required
def user_edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserEditForm.for_user(user)
    if form.validate_on_submit():
        done = run_service(lambda: accounts.update_user(
            user, name=form.name.data or "", role=Role(form.role.data),
            active=bool(form.active.data), by=current_user,
        ), form)
        if done.ok:
            flash(_("Account saved."), "success")
            return redirect(url_for("auth_admin.users"))
    return render_template("auth/admin/user_form.html", form=form, user=user)


@admin_bp.post("/users/<int:user_id>/reset-password")
@admin_required
def user_reset_password(user_id: int):
    user = db.get_or_404(User, user_id)
    check_post()
    done = run_service(lambda: accounts.reset_password(user, by=current_user))
    return render_template("auth/admin/user_password.html", user=user, password=done.value)

"""Forgotten-password pages: ask for a link, then set a new password from it."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app.auth import bp, passwords
from app.auth.forms import ForgotPasswordForm, ResetPasswordForm
from app.errors import DomainError
from app.extensions import db, limiter
from app.i18n import current_language
from app.security.headers import token_page


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        # The same answer whether or not the address has an account (no enumeration).
        passwords.request_reset(form.email.data or "", language=current_language())
        db.session.commit()
        return redirect(url_for("auth.forgot_password_sent"), code=303)
    return render_template("auth/forgot.html", form=form)


@bp.get("/forgot-password/sent")
def forgot_password_sent():
    return render_template("auth/forgot_sent.html")


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@token_page
def reset_password(token: str):
    reset = passwords.find_reset(token)
    if reset is None:
        abort(404)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            passwords.complete_reset(reset, form.password.data or "")
        except DomainError as exc:
            db.session.rollback()
            form.password.errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("Your password is changed: log in with it."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form)

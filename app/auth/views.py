"""Back-office login and logout."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import bp, sessions, throttle
from app.auth.forms import LoginForm
from app.auth.services import authenticate
from app.extensions import db, limiter
from app.security.urls import safe_next


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("admin.dashboard"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        email = form.email.data or ""
        if throttle.wait_remaining(email, request.remote_addr):
            # Refused before the password is even checked, right or wrong.
            form.password.errors.append(
                _("Too many failed attempts: wait a few minutes before trying again."))
            return render_template("auth/login.html", form=form)
        user = authenticate(email, form.password.data or "")
        if user is None:
            db.session.rollback()
            throttle.record_failure(email, request.remote_addr)
            db.session.commit()
            form.password.errors.append(_("Wrong e-mail or password."))
        else:
            throttle.record_success(email)
            sessions.clear_keeping_language()  # nothing from before the login survives it
            login_user(user)
            sessions.start(user)
            db.session.commit()
            flash(_("Welcome, %(name)s.", name=user.name or user.email), "success")
            return redirect(safe_next(form.next.data) or url_for("admin.dashboard"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    # Every copy of this account's session cookies stops working, not just this one.
    sessions.end_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
    sessions.clear_keeping_language()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))

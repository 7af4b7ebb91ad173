"""Back-office login and logout."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import bp
from app.auth.forms import LoginForm
from app.auth.services import authenticate
from app.extensions import db, limiter


def safe_next(target: str | None) -> str | None:
    """`target` when it is a path on this site, else None (no open redirects)."""
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if (
        parts.scheme or parts.netloc or not target.startswith("/")
        or target.startswith("//") or "\\" in target
    ):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("admin.dashboard"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = authenticate(form.email.data or "", form.password.data or "")
        if user is None:
            db.session.rollback()
            form.password.errors.append(_("Wrong e-mail or password."))
        else:
            lang = session.get("lang")
            session.clear()  # nothing from before the login survives it
            if lang:
                session["lang"] = lang
            login_user(user)
            db.session.commit()
            flash(_("Welcome, %(name)s.", name=user.name or user.email), "success")
            return redirect(safe_next(form.next.data) or url_for("admin.dashboard"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))

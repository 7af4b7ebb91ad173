"""The rating form's target, and the component's place on every rated public page.

The form posts without a CSRF token, like the language switch: rated pages are cached
whole and carry no per-visitor token. A forged post can only add one anonymous yes or
no about a public page; the rate limit and the same-site check keep that small.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, flash, has_request_context, redirect, request
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField
from wtforms.validators import DataRequired, Length, Optional

from app.extensions import csrf, db, limiter
from app.feedback import bp, services
from app.feedback.services import REASONS_NO, REASONS_YES
from app.forms import choice


class RatingForm(FlaskForm):
    class Meta:
        csrf = False  # see the module's first lines

    path = HiddenField(validators=[DataRequired(), Length(max=300)])
    useful = RadioField(choices=[choice("yes", "yes"), choice("no", "no")], validators=[DataRequired()])
    reason = SelectField(choices=[choice("", "")] + [choice(k, k) for k in (*REASONS_YES, *REASONS_NO)],
                         validators=[Optional()])


def _rate_limit() -> str:
    return current_app.config["FEEDBACK_RATE_LIMIT"]


def _same_site() -> bool:
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    return not origin or urlsplit(origin).netloc == request.host


@bp.post("/feedback/rate")
@csrf.exempt
@limiter.limit(_rate_limit)
def rate():
    form = RatingForm()
    if not _same_site() or not form.validate():
        abort(400)
    path = form.path.data
    try:
        services.rate_page(path, form.useful.data == "yes", form.reason.data or "")
    except services.RatingRefused:
        db.session.rollback()
        abort(400)
    db.session.commit()
    flash(_("Thank you: your answer helps us improve the site."), "success")
    return redirect(path + "#page-rating")


@bp.app_context_processor
def page_rating() -> dict:
    """`rated_path` on the pages that show the component, else None."""
    wanted = (has_request_context() and request.endpoint in services.RATED_ENDPOINTS
              and request.method == "GET")
    return {
        "rated_path": request.path if wanted else None,
        "rating_reasons_yes": REASONS_YES,
        "rating_reasons_no": REASONS_NO,
    }

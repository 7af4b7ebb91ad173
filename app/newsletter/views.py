"""Public newsletter pages: sign-up, confirmation, preferences, one-click unsubscribe, archive."""
from __future__ import annotations

import json

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.downloads import attachment
from app.extensions import csrf, db, limiter
from app.i18n import current_language
from app.newsletter import bp, services
from app.newsletter.erasure import erase_subscriber, subscriber_data
from app.newsletter.feed import archive_feed
from app.newsletter.forms import ConfirmForm, PreferencesForm, SubscribeForm
from app.newsletter.models import Campaign, CampaignStatus, SubscriberStatus


def _subscribe_form() -> SubscribeForm:
    form = SubscribeForm()
    if request.method == "GET":
        form.email.data = request.args.get("email", "")[:254]
        form.topics.data = [code for code, _label in form.topics.choices]
        form.language.data = current_language()
    return form


# The sign-up posts with a CSRF token like every other form. The home page block (a
# page cached whole, with no per-visitor token) is a GET form that opens this page with
# the address filled in; the visitor gives consent and sends it from here.
@bp.route("/", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def index():
    form = _subscribe_form()
    if request.method == "POST":
        if not form.topics.data and form.source.data == "home":
            form.topics.data = [code for code, _label in form.topics.choices]
        if not form.language.data:
            form.language.data = current_language()
        if form.validate_on_submit():
            services.request_subscription(
                form.email.data,
                name=form.name.data or "",
                topics=form.topics.data,
                language=form.language.data,
                consent_version=current_app.config["PRIVACY_TEXT_VERSION"],
                ip=request.remote_addr or "",
                user_agent=request.user_agent.string or "",
                source="home" if form.source.data == "home" else "form",
            )
            db.session.commit()
            # The same answer whether or not the address was already on the list.
            return redirect(url_for("newsletter.check_inbox"))
    latest = db.session.scalars(services.archived_campaigns(limit=3)).all()
    return render_template("newsletter/index.html", form=form, latest=latest), (
        400 if form.errors else 200
    )


@bp.get("/check-your-inbox")
def check_inbox():
    return render_template("newsletter/check_inbox.html",
                           days=current_app.config["NEWSLETTER_CONFIRM_DAYS"])


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    form = ConfirmForm()
    try:
        subscriber = services.subscriber_for_confirmation(token)
    except services.ExpiredToken:
        return render_template("newsletter/confirm.html", state="expired"), 410
    except services.InvalidToken:
        return render_template("newsletter/confirm.html", state="invalid"), 404
    if form.validate_on_submit():
        services.confirm_subscription(token)
        db.session.commit()
        flash(_("Thank you: your subscription is confirmed."), "success")
        return redirect(url_for("newsletter.preferences", token=subscriber.token))
    return render_template("newsletter/confirm.html", state="ready", form=form,
                           subscriber=subscriber)


def _subscriber_or_404(token: str):
    try:
        return services.subscriber_by_token(token)
    except services.InvalidToken:
        abort(404)


@bp.route("/preferences/<token>", methods=["GET", "POST"])
def preferences(token: str):
    subscriber = _subscriber_or_404(token)
    form = PreferencesForm()
    if request.method == "GET":
        form.topics.data = subscriber.topics
        form.language.data = subscriber.language
    if subscriber.status == SubscriberStatus.ACTIVE and form.validate_on_submit():
        services.update_preferences(subscriber, topics=form.topics.data or [],
                                    language=form.language.data)
        db.session.commit()
        flash(_("Your preferences are saved."), "success")
        return redirect(url_for("newsletter.preferences", token=token))
    return render_template("newsletter/preferences.html", form=form, subscriber=subscriber,
                           leave_form=ConfirmForm())


# The token in the URL authenticates. RFC 8058: mail providers POST
# "List-Unsubscribe=One-Click" with no cookies, so there is no CSRF token to check.
@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):
    subscriber = _subscriber_or_404(token)
    if request.method == "POST":
        services.unsubscribe(subscriber)
        db.session.commit()
        if request.form.get("List-Unsubscribe") == "One-Click":
            return Response(_("You have been unsubscribed."), 200,
                            {"Content-Type": "text/plain; charset=utf-8",
                             "Cache-Control": "no-store"})
        return render_template("newsletter/unsubscribed.html", subscriber=subscriber)
    return render_template("newsletter/unsubscribe.html", subscriber=subscriber,
                           form=ConfirmForm())


@bp.get("/data/<token>.json")
def data_export(token: str):
    """The subscriber's own copy of everything stored about them."""
    subscriber = _subscriber_or_404(token)
    return data_response(subscriber_data(subscriber), f"newsletter-{subscriber.id}.json")


def data_response(data: dict, filename: str) -> Response:
    return Response(json.dumps(data, ensure_ascii=False, indent=2), 200, attachment(filename),
                    content_type="application/json; charset=utf-8")


@bp.route("/erase/<token>", methods=["GET", "POST"])
def erase(token: str):
    subscriber = _subscriber_or_404(token)
    form = ConfirmForm()
    if form.validate_on_submit():
        erase_subscriber(subscriber, reason="subscriber")
        db.session.commit()
        return redirect(url_for("newsletter.erased"))
    return render_template("newsletter/confirm_erase.html", subscriber=subscriber, form=form)


@bp.get("/erased")
def erased():
    return render_template("newsletter/erased.html")


@bp.get("/archive/")
def archive():
    page = db.paginate(services.archived_campaigns(), per_page=20, error_out=False)
    return render_template("newsletter/archive.html", page=page)


@bp.get("/archive/<int:campaign_id>/")
def archive_detail(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    if campaign.status != CampaignStatus.SENT:
        abort(404)
    return render_template("newsletter/archive_detail.html", campaign=campaign,
                           events=services.featured_events(campaign))


@bp.get("/archive/feed.atom")
def archive_feed_view():
    body = archive_feed(db.session.scalars(services.archived_campaigns(limit=30)).all())
    return Response(body, 200, {"Content-Type": "application/atom+xml; charset=utf-8"})

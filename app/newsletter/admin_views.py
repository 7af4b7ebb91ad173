"""Back-office for the newsletter: compose, preview, test, schedule, pause, resume, cancel."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.admin import admin_required, run_service
from app.auth.services import is_back_office_address
from app.extensions import db
from app.mail.outbox import queue_email
from app.newsletter import admin_bp, labels, services
from app.newsletter.erasure import erase_subscriber, record_export, subscriber_data
from app.newsletter.forms import CampaignForm, ConfirmForm, ScheduleForm, SendNowForm, TestSendForm
from app.newsletter.models import Campaign, Subscriber, SubscriberStatus
from app.newsletter.sending import campaign_context, render_campaign, smtp_transport
from app.newsletter.views import data_response
from app.security.headers import allow_framing


def _campaign(campaign_id: int) -> Campaign:
    return db.get_or_404(Campaign, campaign_id)


@admin_bp.get("/")
def campaigns():
    page = db.paginate(
        db.select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc()),
        per_page=20, error_out=False,
    )
    ids = [c.id for c in page.items]
    counters = services.counters_for(ids)
    return render_template("newsletter/admin/campaigns.html", page=page, counters=counters,
                           unsubscribed=services.unsubscribed_after(ids),
                           subscribers=services.subscriber_counts())


def _campaign_data(form: CampaignForm) -> services.CampaignData:
    return services.CampaignData(
        subject=form.subject.data,
        body_markdown=form.body_markdown.data,
        featured_event_ids=form.featured_event_ids.data or [],
        target_topics=form.target_topics.data or [],
        target_language=form.target_language.data or "",
        language=form.language.data,
        subject_en=form.subject_en.data or "",
        body_markdown_en=form.body_markdown_en.data or "",
    )


@admin_bp.route("/new", methods=["GET", "POST"])
def new():
    form = CampaignForm(events=services.upcoming_event_choices())
    if form.validate_on_submit():
        done = run_service(lambda: services.save_campaign(_campaign_data(form), user=current_user),
                           form)
        if done.ok:
            flash(_("Draft saved."), "success")
            return redirect(url_for("newsletter_admin.detail", campaign_id=done.value.id))
    return render_template("newsletter/admin/edit.html", form=form, campaign=None)


@admin_bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
def edit(campaign_id: int):
    campaign = _campaign(campaign_id)
    if not campaign.is_editable:
        flash(_("This issue can no longer be edited."), "warning")
        return redirect(url_for("newsletter_admin.detail", campaign_id=campaign.id))
    form = CampaignForm(obj=campaign, events=services.upcoming_event_choices())
    if form.validate_on_submit():
        if run_service(lambda: services.save_campaign(
                _campaign_data(form), campaign=campaign, user=current_user), form).ok:
            flash(_("Changes saved."), "success")
            return redirect(url_for("newsletter_admin.detail", campaign_id=campaign.id))
    return render_template("newsletter/admin/edit.html", form=form, campaign=campaign)


@admin_bp.get("/<int:campaign_id>/")
def detail(campaign_id: int):
    campaign = _campaign(campaign_id)
    return render_template(
        "newsletter/admin/detail.html",
        campaign=campaign,
        counters=services.campaign_counters(campaign.id),
        unsubscribed=services.unsubscribed_after([campaign.id])[campaign.id],
        events=services.featured_events(campaign),
        schedule_form=ScheduleForm(),
        test_form=TestSendForm(data={"email": current_user.email}),
        action_form=ConfirmForm(),
        send_form=SendNowForm(),
        recipients=services.recipients_count(campaign) if campaign.status.value == "draft" else None,
        smtp_configured=smtp_transport() is not None,
    )


@admin_bp.get("/<int:campaign_id>/preview.<kind>")
@allow_framing("'self'")  # shown in an iframe on the issue's own back-office page
def preview(campaign_id: int, kind: str):
    campaign = _campaign(campaign_id)
    if kind not in ("html", "txt"):
        abort(404)
    language = request.args.get("lang", campaign.language)
    language = language if language in ("it", "en") else campaign.language
    content = render_campaign(campaign, language, token="preview")
    if kind == "txt":
        return Response(content["text"], 200, {"Content-Type": "text/plain; charset=utf-8"})
    # Shown in a sandboxed frame; the preview's links lead nowhere personal.
    return Response(content["html"], 200, {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": "default-src 'none'; img-src https: data:; style-src 'unsafe-inline'",
    })


@admin_bp.post("/<int:campaign_id>/test")
def send_test(campaign_id: int):
    campaign = _campaign(campaign_id)
    form = TestSendForm()
    valid = form.validate_on_submit()
    if valid and not is_back_office_address(form.email.data):
        # A test copy goes to the back-office's own mailboxes, never to anyone else:
        # otherwise the form would mail arbitrary text to arbitrary people in our name.
        form.email.errors = [_("Test copies go only to the address of a back-office user.")]
        valid = False
    if valid:
        run_service(lambda: queue_email(
            form.email.data, "newsletter/campaign", category="newsletter-test",
            language=campaign.language,
            context=campaign_context(campaign, campaign.language, token="test"),
        ))
        flash(_("A test copy is on its way to %(email)s.", email=form.email.data), "success")
    else:
        flash(" ".join(map(str, form.email.errors)) or _("Enter a valid e-mail address."), "danger")
    return redirect(url_for("newsletter_admin.detail", campaign_id=campaign.id))


def _transition(campaign_id: int, action, message: str, **kwargs):
    campaign = _campaign(campaign_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if run_service(lambda: action(campaign, user=current_user, **kwargs), category="warning").ok:
        flash(message, "success")
    return redirect(url_for("newsletter_admin.detail", campaign_id=campaign_id))


@admin_bp.post("/<int:campaign_id>/schedule")
def schedule(campaign_id: int):
    campaign = _campaign(campaign_id)
    form = ScheduleForm()
    if not form.validate_on_submit():
        flash(" ".join(map(str, form.when.errors)) or _("Choose a date and time in the future."), "danger")
        return redirect(url_for("newsletter_admin.detail", campaign_id=campaign.id))
    return _transition(campaign_id, lambda c, user: services.schedule_campaign(
        c, form.aware(), user=user), _("The issue is scheduled."))


@admin_bp.post("/<int:campaign_id>/send-now")
def send_now(campaign_id: int):
    form = SendNowForm()
    if not form.validate_on_submit():
        flash(" ".join(map(str, form.confirm.errors)) or _("The request has expired. Please try again."),
              "danger")
        return redirect(url_for("newsletter_admin.detail", campaign_id=campaign_id))
    return _transition(campaign_id, lambda c, user: services.schedule_campaign(c, None, user=user),
                       _("Sending starts within a minute."))


# The steps of an issue's life that need nothing but a click: the service, and what the
# organiser is told once it is done.
STEPS = {
    "unschedule": (services.unschedule_campaign, _l("The issue is a draft again.")),
    "pause": (services.pause_campaign, _l("Sending is paused.")),
    "resume": (services.resume_campaign, _l("Sending resumes.")),
    "cancel": (services.cancel_campaign, _l("The issue is cancelled.")),
}


@admin_bp.post(f"/<int:campaign_id>/<any({', '.join(STEPS)}):step>")
def step(campaign_id: int, step: str):
    action, message = STEPS[step]
    return _transition(campaign_id, action, str(message))


@admin_bp.get("/subscribers")
@admin_required  # addresses of every subscriber: personal data, administrators only
def subscribers():
    q = request.args.get("q", "").strip().lower()[:254]
    stmt = db.select(Subscriber).order_by(Subscriber.created_at.desc(), Subscriber.id.desc())
    if q:
        stmt = stmt.where(Subscriber.email.contains(q, autoescape=True))
    page = db.paginate(stmt, per_page=50, error_out=False)
    counts = services.subscriber_counts()
    return render_template("newsletter/admin/subscribers.html", page=page, q=q,
                           count_lines=[labels.count_line(s.value, counts[s.value])
                                        for s in SubscriberStatus if counts.get(s.value)],
                           status_label=labels.status_label, source_label=labels.source_label)




def _live_subscriber(subscriber_id: int) -> Subscriber:
    subscriber = db.get_or_404(Subscriber, subscriber_id)
    if subscriber.is_erased:
        abort(404)
    return subscriber


@admin_bp.get("/subscribers/<int:subscriber_id>/data.json")
@admin_required
def subscriber_export(subscriber_id: int):
    subscriber = _live_subscriber(subscriber_id)
    data = subscriber_data(subscriber)
    run_service(lambda: record_export(subscriber, by=current_user))
    return data_response(data, f"newsletter-{subscriber.id}.json")


@admin_bp.route("/subscribers/<int:subscriber_id>/erase", methods=["GET", "POST"])
@admin_required
def subscriber_erase(subscriber_id: int):
    subscriber = _live_subscriber(subscriber_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        if run_service(lambda: erase_subscriber(subscriber, by=current_user, reason="administrator")).ok:
            flash(_("The subscriber's data are erased."), "success")
        return redirect(url_for("newsletter_admin.subscribers"))
    return render_template("newsletter/admin/subscriber_erase.html", subscriber=subscriber, form=form)

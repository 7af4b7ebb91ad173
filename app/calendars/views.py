"""Calendar feeds over HTTP: conditional GETs answered before anything is built."""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from app.cache import conditional_response
from app.calendars import bp, ical, invites, services
from app.calendars.models import feed_token_for, reset_feed_token
from app.db import utcnow
from app.events.labels import EVENT_KINDS, label
from app.events.models import Event, Project
from app.events.services import public_event_or_404
from app.extensions import db
from app.i18n import current_language, tr
from app.registrations import services as registration_services
from app.registrations.models import Registration

CONTENT_TYPE = "text/calendar; charset=utf-8"


class FeedResetForm(FlaskForm):
    """No fields: the CSRF token is the whole form."""


def _calendar_response(
    fp: services.Fingerprint,
    build: Callable[[], bytes],
    *,
    private: bool,
    filename: str,
    cache_body: bool = True,
    download: bool = False,
) -> Response:
    disposition = "attachment" if download else "inline"
    response = conditional_response(
        fp.etag, build, content_type=CONTENT_TYPE, last_modified=fp.last_modified,
        cache_key="ics:" + hashlib.sha256(fp.key.encode()).hexdigest() if cache_body else None,
        cache_control="private, no-cache" if private else "public, max-age=300",
        vary=["Accept-Language"],
        headers={"Content-Disposition": f'{disposition}; filename="{filename}"'},
    )
    if private:
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/events/<slug>/calendar.ics")
def event_ics(slug: str):
    event = public_event_or_404(slug, programme=True)
    programme = request.args.get("programme") == "1"
    language = current_language()
    fp = services.event_fingerprint(event, programme, language)
    return _calendar_response(
        fp, lambda: ical.render_event_ics(event, programme=programme), private=False,
        filename=f"{event.slug}{'-programme' if programme else ''}.ics", download=True,
    )


def _feed_title(filters) -> tuple[str, str]:
    site = current_app.config["SITE_NAME"]
    bits = []
    if filters.project:
        project = db.session.scalars(sa.select(Project).where(Project.slug == filters.project)).first()
        if project is not None:
            bits.append(project.acronym or project.name)
    if filters.kind:
        bits.append(label(EVENT_KINDS, filters.kind))
    if filters.q:
        bits.append(f"“{filters.q}”")
    name = f"{site} – {', '.join(bits)}" if bits else site
    return name, _("Events of %(organisation)s", organisation=current_app.config["ORGANISATION_NAME"])


@bp.get("/calendar.ics")
def feed():
    filters = services.feed_filters(request.args)
    language = current_language()
    fp = services.public_feed_fingerprint(filters, language)

    def build() -> bytes:
        name, description = _feed_title(filters)
        return services.render_public_feed(filters, name=name, description=description,
                                           language=language)

    # Free-text searches are endless; only the finite filter combinations are kept.
    return _calendar_response(fp, build, private=False, filename="calendar.ics",
                              cache_body=not filters.q)


def _with_time_bucket(fp: services.Fingerprint) -> services.Fingerprint:
    """Personal calendars change with time too: the join link goes when a part is over
    (plus the grace minutes) and the recording takes its place. A quarter-hour in the
    key lets cached copies and ETags follow within 15 minutes."""
    bucket = int(utcnow().timestamp() // 900)
    return services.Fingerprint(f"{fp.key}|t{bucket}", fp.last_modified)


@bp.get("/calendar/<token>.ics")
def personal_feed(token: str):
    owner = services.personal_feed_owner(token)
    if owner is None:
        abort(404)
    fp = _with_time_bucket(services.personal_feed_fingerprint(owner))

    def build() -> bytes:
        registrations = services.personal_registrations(owner)
        with force_locale(services.feed_language(registrations)):
            mine = _("My registrations")
            name = f"{current_app.config['SITE_NAME']} – {mine}"
            last = invites.last_sent_by_event(owner.email, [r.event_id for r in registrations])
            sequences = {r.id: invites.entry_sequence(r, last.get(r.event_id)) for r in registrations}
            return ical.render_personal_feed(registrations, name=name, sequences=sequences)

    return _calendar_response(fp, build, private=True, filename="my-events.ics")


@bp.get("/registrations/<token>/calendar.ics")
def registration_ics(token: str):
    """The attendee's own event (their parts), for download from their private page."""
    registration = registration_services.find_by_token_or_404(token)
    event = registration.event
    if not event.is_public:
        abort(404)
    fp = services.Fingerprint(
        "|".join(str(v) for v in ("registration", services._config_key(), registration.id,
                                  registration.updated_at.isoformat(), event.version, current_language())),
        max(registration.updated_at, event.updated_at),
    )
    fp = _with_time_bucket(fp)

    def build() -> bytes:
        sequence = invites.entry_sequence(
            registration, invites.last_sent(registration.event_id, registration.email))
        entries = ical.registration_entries(registration, sequence=sequence)
        return ical.build_calendar(entries, method="PUBLISH", name=tr(event, "title"), feed=False)

    return _calendar_response(fp, build, private=True, filename=f"{event.slug}.ics",
                              cache_body=False, download=True)


@bp.post("/registrations/<token>/calendar/reset")
def reset_feed(token: str):
    registration = registration_services.find_by_token_or_404(token)
    form = FeedResetForm()
    if form.validate_on_submit():
        reset_feed_token(registration.email)
        db.session.commit()
        flash(_("Your calendar feed has a new address: the old one no longer works. "
                "Subscribe again with the new address."), "success")
    else:
        flash(_("The request has expired. Please try again."), "danger")
    return redirect(url_for("registrations.attendee", token=token) + "#calendar", code=303)


# --- helpers for the fragments other pages include ----------------------------------------

def _webcal(url: str) -> str:
    return "webcal://" + url.split("://", 1)[1]


def _utc(dt) -> str:
    return dt.astimezone(ical.UTC).strftime("%Y%m%dT%H%M%SZ")


def _language_args() -> dict[str, str]:
    """`lang=en` on English pages, so a feed subscribed from them stays in English (the
    calendar client sends no cookie); Italian, the default, needs none."""
    lang = current_language()
    return {} if lang == current_app.config["BABEL_DEFAULT_LOCALE"] else {"lang": lang}


def _links(entry: ical.Entry) -> dict[str, str]:
    details = "\n\n".join(p for p in (tr(entry.event, "summary"), ical.event_url(entry.event)) if p)
    google = "https://calendar.google.com/calendar/render?" + urlencode({
        "action": "TEMPLATE", "text": entry.summary,
        "dates": f"{_utc(entry.start)}/{_utc(entry.end)}", "details": details,
        "location": entry.location, "ctz": entry.event.timezone,
    })
    outlook = "https://outlook.live.com/calendar/0/deeplink/compose?" + urlencode({
        "path": "/calendar/action/compose", "rru": "addevent", "subject": entry.summary,
        "startdt": entry.start.astimezone(ical.UTC).isoformat().replace("+00:00", "Z"),
        "enddt": entry.end.astimezone(ical.UTC).isoformat().replace("+00:00", "Z"),
        "location": entry.location, "body": details,
    })
    return {"title": entry.summary, "start": entry.start, "end": entry.end,
            "google": google, "outlook": outlook}


def event_calendar_links(event: Event) -> dict:
    """Download, subscribe, Google and Outlook links for the event page (one per part)."""
    lang = _language_args()
    ics = ical.base_url() + f"/events/{event.slug}/calendar.ics" + (("?" + urlencode(lang)) if lang else "")
    programme = ical.base_url() + f"/events/{event.slug}/calendar.ics?" + urlencode({"programme": 1, **lang})
    entries = ical.event_entries(event, event.registrable_parts)
    return {"ics": ics, "webcal": _webcal(ics), "programme": programme if event.sessions else "",
            "entries": [_links(e) for e in entries]}


def list_subscribe_links(filters) -> dict:
    args = {k: v for k, v in (("kind", getattr(filters, "kind", "")),
                              ("project", getattr(filters, "project", "")),
                              ("q", getattr(filters, "q", ""))) if v}
    args.update(_language_args())
    url = ical.base_url() + "/calendar.ics" + (("?" + urlencode(args)) if args else "")
    return {"https": url, "webcal": _webcal(url), "google": "https://calendar.google.com/calendar/r?"
            + urlencode({"cid": _webcal(url)}), "narrowed": bool(set(args) - {"lang"})}


def personal_feed_links(registration: Registration) -> dict | None:
    """The address's personal feed (made when the address registered), or None."""
    row = feed_token_for(registration.email)
    if row is None:
        return None
    url = ical.base_url() + f"/calendar/{row.token}.ics"
    return {"https": url, "webcal": _webcal(url)}


def registration_calendar_links(registration: Registration) -> dict:
    ics = ical.base_url() + f"/registrations/{registration.token}/calendar.ics"
    entries = ical.registration_entries(registration)
    reset = url_for("calendars.reset_feed", token=registration.token)
    return {"ics": ics, "entries": [_links(e) for e in entries], "reset": reset,
            "feed": personal_feed_links(registration), "form": FeedResetForm()}




@bp.app_context_processor
def _calendar_helpers():
    return {
        "event_calendar_links": event_calendar_links,
        "list_subscribe_links": list_subscribe_links,
        "personal_feed_links": personal_feed_links,
        "registration_calendar_links": registration_calendar_links,
    }

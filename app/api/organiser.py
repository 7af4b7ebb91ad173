"""Organisers' endpoints, behind an API key: registrations as JSON and check-in at the door.

Each call authenticates the key, checks it reaches the event, is rate-limited per
key, and leaves an audit entry, like the CSV export and the check-in page do.
Answers are never cached (`no-store`) and carry no CORS header: they are for the
organiser's own tools, not for web pages on other sites.
"""
from __future__ import annotations

from flask import Response, current_app, request
from pydantic import ValidationError

from app.api import bp, keys, schemas
from app.api import serialize as out
from app.api.spec import api_route as route
from app.api.views import ApiError
from app.audit import record
from app.db import utcnow
from app.events.models import Event
from app.extensions import db, limiter
from app.registrations import checkin
from app.registrations import services as registrations
from app.registrations.models import Registration
from app.registrations.views import event_questions


def _key_id() -> str:
    header = request.headers.get("Authorization", "")
    match = keys.KEY_RE.match(header.removeprefix("Bearer ").strip())
    # Requests without a well-formed key share one bucket per client address.
    return "api-key:" + (match.group(1) if match else request.remote_addr or "-")


def _limit() -> str:
    return current_app.config["API_KEY_RATE_LIMIT"]


def _authorised_event(event_id: int):
    key = keys.authenticate(request.headers.get("Authorization"))
    if key is None:
        raise ApiError(401, "API key missing, unknown or revoked",
                       headers={"WWW-Authenticate": 'Bearer realm="eventi"'})
    event = db.session.get(Event, event_id)
    if event is None or not keys.reaches(key, event):
        # The same answer whether the event exists or not: a key learns nothing beyond its reach.
        raise ApiError(403, "This key does not reach this event")
    key.last_used_at = utcnow()
    return key, event


def _registration(reg: Registration, labels: dict[str, str]) -> schemas.Registration:
    answers = reg.answers or {}
    return schemas.Registration(
        id=reg.id, first_name=reg.first_name, last_name=reg.last_name, email=reg.email,
        organisation=reg.organisation, category=reg.category, country=reg.country,
        attendance_mode=str(reg.attendance_mode), status=str(reg.status),
        waitlist_position=reg.waitlist_position, parts=[p.id for p in reg.parts],
        needs=reg.needs, newsletter_opt_in=reg.newsletter_opt_in, registered_at=reg.created_at,
        checked_in_at=reg.checked_in_at, cancelled_at=reg.cancelled_at,
        answers={label: answers.get(qid) for qid, label in labels.items()},
    )


def _json(model, status: int = 200) -> Response:
    resp = Response(model.model_dump_json(), status=status, mimetype="application/json")
    resp.headers["Cache-Control"] = "no-store"
    return resp


@route(bp, "/v1/organiser/events/<int:event_id>/registrations",
       summary="Registrations of an event", tags=("Organisers",),
       response=schemas.RegistrationList, secured=True, conditional=False,
       errors=(401, 403, 429),
       description="The data of the back-office CSV export, as JSON. Needs an organiser's "
                   "API key that reaches the event.")
@limiter.limit(_limit, key_func=_key_id)
def organiser_registrations(event_id: int):
    key, event = _authorised_event(event_id)
    regs = list(db.session.scalars(registrations.registrations_query(event)))
    labels = {str(q.id): q.label for q in event_questions(event)}
    body = schemas.RegistrationList(
        event=out.event_summary(event), items=[_registration(r, labels) for r in regs],
    )
    record("registration.export", event, user=key.user, summary=f"api {key.prefix}",
           rows=len(regs))
    db.session.commit()
    return _json(body)


@route(bp, "/v1/organiser/events/<int:event_id>/checkin", method="POST",
       summary="Check a person in", tags=("Organisers",),
       response=schemas.CheckIn, body=schemas.CheckInRequest, secured=True, conditional=False,
       errors=(401, 403, 404, 409, 429),
       description="For door-scanning apps: the token read from the person's QR code. "
                   "Checking in twice is harmless and says so.")
@limiter.limit(_limit, key_func=_key_id)
def organiser_checkin(event_id: int):
    key, event = _authorised_event(event_id)
    try:
        data = schemas.CheckInRequest.model_validate(request.get_json(silent=True) or {})
    except ValidationError:
        raise ApiError(400, "Send a JSON body with the token", errors={"token": ["required"]}) \
            from None
    reg = keys.registration_for_checkin(data.token)
    if reg is None or reg.event_id != event.id:
        raise ApiError(404, "No registration of this event has this token")
    already = reg.checked_in_at is not None
    try:
        # Presence at the part open now (check-in window per part).
        checkin.check_in(reg, by=key.user)
    except registrations.RegistrationError as exc:
        db.session.rollback()
        raise ApiError(409, "Not checked in", detail=str(exc.message)) from None
    record("registration.checkin", reg, user=key.user, summary=f"api {key.prefix}")
    labels = {str(q.id): q.label for q in event_questions(event)}
    body = schemas.CheckIn(registration=_registration(reg, labels), already_checked_in=already)
    db.session.commit()
    return _json(body)

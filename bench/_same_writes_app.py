"""The floor of the registration benchmark: a bare Flask view making the same locked writes.

No forms, no templates, no ORM: one transaction that locks the event row and its seat
counters as Eventi does, checks the address is not registered yet, and writes what one
registration writes (the feed token, the registration, the counters, its invite record,
its reminder and its outbox e-mail, a body of the same size), then commits. Eventi's
POST /events/<slug>/register is measured against it in the same run.
"""
from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask, redirect, request

from app.calendars.models import CalendarFeedToken, CalendarInvite
from app.events.models import Event
from app.mail.models import OutboxMessage
from app.registrations.models import CapacityCounter, Registration
from app.reminders.models import Reminder

engine = sa.create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)
app = Flask(__name__)
BODY = "x" * 6000  # about the size of a confirmation's text + HTML
SLUG = os.environ.get("FLOOR_SLUG", "bench-floor")
events, counters = Event.__table__, CapacityCounter.__table__
registrations, outbox = Registration.__table__, OutboxMessage.__table__
invites, reminders, feeds = CalendarInvite.__table__, Reminder.__table__, CalendarFeedToken.__table__


@app.get("/healthz")
def healthz():
    return "ok"


@app.post("/register")
def register():
    email = request.form["email"]
    now = datetime.now(UTC)
    with engine.begin() as conn:
        event_id = conn.execute(sa.select(events.c.id).where(events.c.slug == SLUG)).scalar_one()
        conn.execute(sa.insert(feeds).values(email=email, token=secrets.token_urlsafe(24),
                                             created_at=now, updated_at=now))
        conn.execute(sa.select(events.c.id).where(events.c.id == event_id).with_for_update(key_share=True))
        conn.execute(sa.select(counters.c.key, counters.c.used).where(counters.c.event_id == event_id)
                     .order_by(counters.c.key).with_for_update()).all()
        conn.execute(sa.select(registrations.c.id).where(registrations.c.event_id == event_id,
                                                         registrations.c.email == email)).first()
        conn.execute(sa.update(counters).where(counters.c.event_id == event_id,
                                               counters.c.key.in_(["event", "mode:in_person"]))
                     .values(used=counters.c.used + 1))
        reg_id = conn.execute(sa.insert(registrations).values(
            event_id=event_id, token=secrets.token_urlsafe(32), checkin_token=secrets.token_urlsafe(32),
            email=email, first_name="Persona", last_name="Di Prova", attendance_mode="in_person",
            status="confirmed", created_at=now, updated_at=now,
        ).returning(registrations.c.id)).scalar_one()
        conn.execute(sa.insert(invites).values(registration_id=reg_id, method="REQUEST", sequence=0,
                                               snapshot={}, sent_at=now))
        conn.execute(sa.insert(reminders).values(registration_id=reg_id, event_id=event_id,
                                                 kind="day_before", due_at=now + timedelta(days=19),
                                                 created_at=now, updated_at=now))
        conn.execute(sa.insert(outbox).values(
            category="registration.confirmed", recipient=email, sender="eventi@example.org",
            subject="Iscrizione confermata", body_text=BODY, body_html=BODY, message_id="<x@y>",
            event_id=event_id, registration_id=reg_id, created_at=now, updated_at=now,
        ))
    return redirect("/register/sent", code=303)

"""Erasure erases: after it the address and the names are in no table and no back-office page."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.auth.models import Role
from app.calendars.models import CalendarFeedToken
from app.db import utcnow
from app.events.models import EventFormat
from app.extensions import db
from app.mail.models import OutboxMessage, OutboxStatus
from app.registrations.models import Registration
from app.reminders.models import Reminder
from tests.factories import EventFactory, UserFactory, in_days, registration_form

EMAIL = "ermenegilda.zanzottera@example.org"
NAMES = ("Ermenegilda", "Zanzottera")


def form(**overrides) -> dict:
    return registration_form(**{"first_name": NAMES[0], "last_name": NAMES[1], "email": EMAIL,
                                "attendance_mode": "online", **overrides})


def where_found(*needles: str) -> list[str]:
    """Every table.column whose text holds one of the needles (case-insensitive)."""
    found = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                if not isinstance(column.type, (sa.String, sa.Text, sa.JSON)):
                    continue
                text = sa.cast(column, sa.Text)
                for needle in needles:
                    hit = conn.execute(sa.select(sa.func.count()).select_from(table)
                                       .where(sa.func.lower(text).contains(needle.lower()))).scalar()
                    if hit:
                        found.append(f"{table.name}.{column.name}~{needle}")
    return found


def lived_a_little(client, auth, *, start_days: float = 10):
    """A registration that has been through the places personal data go."""
    organiser = UserFactory()
    admin = UserFactory(role=Role.ADMIN)
    event = EventFactory(slug="hybrid", format=EventFormat.HYBRID, organisers=[organiser],
                         online_join_url="https://meet.example.org/x",
                         starts_at=in_days(start_days, 8), capacity=0)
    db.session.commit()
    client.post("/events/hybrid/register", data=form())       # waiting list
    client.post("/events/hybrid/register", data=form())       # "already registered"
    reg = db.session.scalar(sa.select(Registration))
    auth.login(admin)
    client.post(f"/admin/registrations/{reg.id}/promote", data={"override": "1"})
    client.post(f"/admin/events/{event.id}/registrations/message",
                data={"subject": "Info", "body": "Ciao", "status": "confirmed"})
    from app.reminders.services import schedule_registration

    schedule_registration(reg)
    db.session.commit()
    assert reg.is_confirmed
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reminder)) > 0
    assert set(where_found(EMAIL, *NAMES)) >= {"outbox.recipient~" + EMAIL,
                                                "calendar_feed_tokens.email~" + EMAIL,
                                                "audit_log.summary~" + NAMES[0]}
    auth.logout()
    return event, reg, admin


@pytest.mark.parametrize("how", ["attendee", "retention"])
def test_after_erasure_the_person_is_in_no_table_and_no_back_office_page(app, client, auth, how):
    event, reg, admin = lived_a_little(client, auth)
    if how == "attendee":
        assert client.post(f"/registrations/{reg.token}/erase").status_code == 302
    else:
        from app.registrations.services import anonymise_expired

        event.starts_at, event.ends_at = in_days(-400), in_days(-400) + timedelta(hours=2)
        db.session.commit()
        assert anonymise_expired() == 1
        db.session.commit()

    assert where_found(EMAIL, *NAMES) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reminder)) == 0
    auth.login(admin)
    for path in ("/admin/outbox", "/admin/audit", f"/admin/events/{event.id}/registrations",
                 f"/admin/registrations/{reg.id}/", f"/admin/events/{event.id}"):
        resp = client.get(path, follow_redirects=True)
        assert resp.status_code == 200, path
        text = resp.get_data(as_text=True)
        assert EMAIL not in text and NAMES[0] not in text and NAMES[1] not in text, path
    erased = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "registration.erase")).all()
    assert [(e.object_type, e.object_id) for e in erased] == [("registration", reg.id)]


def test_the_feed_token_stays_while_another_live_registration_of_the_address_remains(app, client):
    EventFactory(slug="one")
    EventFactory(slug="two")
    db.session.commit()
    client.post("/events/one/register", data=form(attendance_mode="in_person"))
    client.post("/events/two/register", data=form(attendance_mode="in_person"))
    first, second = db.session.scalars(sa.select(Registration).order_by(Registration.id)).all()
    feed = db.session.scalar(sa.select(CalendarFeedToken.token))
    client.post(f"/registrations/{first.token}/erase")
    assert client.get(f"/calendar/{feed}.ics").status_code == 200
    client.post(f"/registrations/{second.token}/erase")
    assert client.get(f"/calendar/{feed}.ics").status_code == 404
    assert where_found(EMAIL, *NAMES) == []


def test_sent_message_bodies_are_purged_after_the_outbox_retention(app):
    from app.mail.retention import purge_old_messages

    app.config["OUTBOX_RETENTION_DAYS"] = 90
    now = utcnow()

    def message(status, sent_days_ago):
        row = OutboxMessage(category="x", recipient="a@example.org", subject="s", body_text="secret",
                            status=status,
                            sent_at=now - timedelta(days=sent_days_ago) if sent_days_ago is not None else None)
        row.created_at = row.updated_at = now - timedelta(days=sent_days_ago or 0)
        db.session.add(row)
        return row

    message(OutboxStatus.SENT, 91)
    recent = message(OutboxStatus.SENT, 10)
    queued = message(OutboxStatus.QUEUED, None)
    old_failed = message(OutboxStatus.FAILED, None)
    old_failed.updated_at = now - timedelta(days=100)
    db.session.commit()
    keep = {recent.id, queued.id}
    assert purge_old_messages(now) == 2
    db.session.commit()
    assert set(db.session.scalars(sa.select(OutboxMessage.id))) == keep
    assert purge_old_messages(now) == 0


def test_the_privacy_page_says_what_erasure_removes(client):
    page = client.get("/privacy").get_data(as_text=True)
    assert "90 giorni" in page
    assert "posta in uscita" in page

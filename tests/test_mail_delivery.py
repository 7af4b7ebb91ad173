"""The outbox is delivered over SMTP by the scheduler's job: exactly once, with retries."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.db import utcnow
from app.extensions import db
from app.mail.delivery import backoff, deliver_due_messages
from app.mail.jobs import deliver_outbox
from app.mail.models import OutboxMessage, OutboxStatus
from app.mail.outbox import new_message_id
from tests.conftest import BACKEND
from tests.factories import EventFactory, UserFactory
from tests.threads import run_together


def queue(recipient="maria.rossi@example.org", subject="Promemoria: Event", **kwargs):
    message = OutboxMessage(
        category=kwargs.pop("category", "test"),
        recipient=recipient,
        sender="Eventi <eventi@example.org>",
        subject=subject,
        body_text=kwargs.pop("body_text", "Ciao Maria,\nci vediamo domani.\n"),
        body_html=kwargs.pop("body_html", "<p>Ciao Maria, ci vediamo <b>domani</b>.</p>"),
        language="it",
        message_id=new_message_id(),
        **kwargs,
    )
    db.session.add(message)
    db.session.commit()
    return message


def reload(message):
    db.session.expire_all()
    return db.session.get(OutboxMessage, message.id)


def a_minute_passes(message):
    """Make the next attempt due, as if its backoff had elapsed."""
    db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.id == message.id)
                       .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def test_a_queued_message_arrives_multipart_with_date_and_message_id(app, smtp_server):
    message = queue(headers={"List-Unsubscribe": "<https://example.org/newsletter/unsubscribe/"
                                                 + "x" * 80 + ">"})

    report = deliver_due_messages()

    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    [received] = smtp_server.to("maria.rossi@example.org")
    assert received["Subject"] == "Promemoria: Event"
    assert received["Message-ID"] == message.message_id
    assert received["Date"]
    assert received.get_content_type() == "multipart/alternative"
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    assert "ci vediamo domani" in text and "<b>domani</b>" in html
    # One long header line, not RFC 2047 words mail clients no longer read as a URL.
    assert received["List-Unsubscribe"].startswith("<https://example.org/newsletter/unsubscribe/")
    sent = reload(message)
    assert sent.status == OutboxStatus.SENT and sent.sent_at and sent.attempts == 1


def test_calendar_invites_travel_as_alternative_and_as_a_file(app, smtp_server):
    ics = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
    queue(attachments=[{"filename": "invite.ics", "content_type": "text/calendar",
                        "content": ics, "method": "REQUEST", "alternative": True}])

    deliver_due_messages()

    [received] = smtp_server.messages
    assert received.get_content_type() == "multipart/mixed"
    alternative = received.get_payload()[0]
    kinds = [p.get_content_type() for p in alternative.get_payload()]
    assert kinds == ["text/plain", "text/html", "text/calendar"]
    assert alternative.get_payload()[2].get_param("method") == "REQUEST"
    [attachment] = list(received.iter_attachments())
    assert attachment.get_filename() == "invite.ics"
    assert "METHOD:REQUEST" in attachment.get_content()


def test_without_a_mail_server_nothing_leaves_and_the_message_waits(app, smtp_server):
    app.config["MAIL_SERVER"] = ""
    message = queue()

    report = deliver_outbox()

    assert report.disabled
    assert smtp_server.messages == []
    assert reload(message).status == OutboxStatus.QUEUED


def test_server_down_means_a_later_retry_with_growing_waits(app, smtp_server):
    from tests.smtpd import free_port

    message = queue()
    app.config["MAIL_PORT"] = free_port()  # nobody listens there: connection refused

    report = deliver_due_messages()

    assert (report.sent, report.retried) == (0, 1)
    waiting = reload(message)
    assert waiting.status == OutboxStatus.QUEUED
    assert waiting.attempts == 1
    assert "Connection" in waiting.last_error
    assert waiting.next_attempt_at > utcnow() + timedelta(seconds=50)
    # Not due yet: a run now leaves it alone.
    assert deliver_due_messages().claimed == 0
    assert [backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [1, 2, 4, 8]


def test_451_then_success_delivers_once(app, smtp_server):
    message = queue()
    smtp_server.fail_next("451 4.3.0 Mailbox busy, try later")

    first = deliver_due_messages()
    assert first.retried == 1
    assert reload(message).last_error == "451 4.3.0 Mailbox busy, try later"

    a_minute_passes(message)
    second = deliver_due_messages()

    assert second.sent == 1
    assert len(smtp_server.to("maria.rossi@example.org")) == 1
    delivered = reload(message)
    assert delivered.status == OutboxStatus.SENT and delivered.attempts == 2


def test_550_fails_for_good_with_the_server_answer(app, smtp_server):
    bad = queue(recipient="nobody@example.org")
    good = queue(recipient="anna@example.org")
    smtp_server.fail_next("550 5.1.1 No such user")

    report = deliver_due_messages()

    assert (report.sent, report.failed) == (1, 1)
    failed = reload(bad)
    assert failed.status == OutboxStatus.FAILED
    assert failed.last_error == "550 5.1.1 No such user"
    assert reload(good).status == OutboxStatus.SENT


def test_temporary_failures_stop_after_the_attempt_limit(app, smtp_server):
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    message = queue()
    smtp_server.fail_next("421 4.7.0 Too many connections", times=3)

    for _ in range(3):
        deliver_due_messages()
        a_minute_passes(message)

    given_up = reload(message)
    assert given_up.status == OutboxStatus.FAILED and given_up.attempts == 3
    assert given_up.last_error.startswith("421")
    assert smtp_server.messages == []


def test_a_row_left_sending_by_a_crashed_run_is_picked_up_again(app, smtp_server):
    message = queue()
    message.status = OutboxStatus.SENDING
    message.claim_token = "crashed-run"
    message.claimed_until = utcnow() - timedelta(seconds=1)
    db.session.commit()

    assert deliver_due_messages().sent == 1
    assert len(smtp_server.messages) == 1


def test_a_row_claimed_by_a_live_run_is_left_alone(app, smtp_server):
    message = queue()
    message.status = OutboxStatus.SENDING
    message.claim_token = "other-run"
    message.claimed_until = utcnow() + timedelta(minutes=4)
    db.session.commit()

    assert deliver_due_messages().claimed == 0
    assert smtp_server.messages == []


def test_organiser_reads_the_outbox_and_sends_a_failed_message_again(app, client, auth, smtp_server):
    organiser = UserFactory()
    event = EventFactory(title="Resilienza e territorio", organisers=[organiser])
    other_event = EventFactory(title="Someone else's event")
    failed = queue(recipient="nobody@example.org", subject="Conferma iscrizione", event_id=event.id)
    queue(recipient="secret@example.org", subject="Altro evento", event_id=other_event.id)
    smtp_server.fail_next("550 5.1.1 No such user")
    deliver_due_messages()
    auth.login(organiser)

    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "nobody@example.org" in page and "Conferma iscrizione" in page
    assert "secret@example.org" not in page
    assert "Non consegnato" in page

    detail = client.get(f"/admin/outbox/{failed.id}").get_data(as_text=True)
    assert "550 5.1.1 No such user" in detail
    assert 'sandbox=""' in detail

    response = client.post(f"/admin/outbox/{failed.id}/retry", follow_redirects=True)
    assert response.status_code == 200
    assert reload(failed).status == OutboxStatus.QUEUED

    deliver_due_messages()
    assert len(smtp_server.to("nobody@example.org")) == 1
    assert reload(failed).status == OutboxStatus.SENT


def test_outbox_needs_a_login_and_hides_other_events_messages(app, client, auth):
    organiser = UserFactory()
    message = queue(event_id=EventFactory().id)
    assert client.get("/admin/outbox").status_code == 302
    auth.login(organiser)
    assert client.get(f"/admin/outbox/{message.id}").status_code == 404
    assert client.post(f"/admin/outbox/{message.id}/retry").status_code == 404


def test_retry_needs_the_csrf_token(app, client, auth):
    from app.auth.models import Role

    admin = UserFactory(role=Role.ADMIN)
    message = queue(status=OutboxStatus.FAILED, last_error="550 no")
    auth.login(admin)
    app.config["WTF_CSRF_ENABLED"] = True

    assert client.post(f"/admin/outbox/{message.id}/retry").status_code == 400
    assert reload(message).status == OutboxStatus.FAILED


def test_without_a_mail_server_the_outbox_says_nothing_leaves(app, client, auth):
    from app.auth.models import Role

    auth.login(UserFactory(role=Role.ADMIN))
    queue(subject="Benvenuta")
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "Benvenuta" in page
    assert "nessun messaggio lascia questo computer" in page


def test_listing_the_outbox_takes_a_fixed_number_of_queries(app, client, auth, count_queries):
    from app.auth.models import Role

    auth.login(UserFactory(role=Role.ADMIN))
    events = EventFactory.create_batch(3)
    # More than a page each time, so both listings count the total the same way.
    for i in range(60):
        queue(recipient=f"p{i}@example.org", event_id=events[i % 3].id)
    db.session.expire_all()
    with count_queries() as few:
        client.get("/admin/outbox?status=queued")
    for i in range(50):
        queue(recipient=f"q{i}@example.org", event_id=EventFactory().id)
    db.session.expire_all()
    with count_queries() as more:
        client.get("/admin/outbox?status=queued")
    assert more() == few()


@pytest.mark.skipif(BACKEND != "postgres", reason="row locks need PostgreSQL")
def test_two_concurrent_delivery_runs_never_send_a_message_twice(app, smtp_server):
    from app.mail import smtp as smtp_module

    for i in range(40):
        queue(recipient=f"person{i}@example.org")
    # Both runs hold their claims at the same moment before either sends.
    barrier = threading.Barrier(2, timeout=10)
    original_connect = smtp_module.SMTPConnection.connect

    def connect_together(self):
        barrier.wait()
        original_connect(self)

    smtp_module.SMTPConnection.connect = connect_together
    reports = []

    def run():
        with app.app_context():
            reports.append(deliver_due_messages(limit=20))
            db.session.remove()

    try:
        run_together(run, run, timeout=30)
    finally:
        smtp_module.SMTPConnection.connect = original_connect

    assert sorted(r.sent for r in reports) == [20, 20]
    recipients = [m["X-Envelope-To"] for m in smtp_server.messages]
    assert len(recipients) == 40 and len(set(recipients)) == 40


def test_one_template_to_many_people_arrives_whole_to_each(app, smtp_server):
    """The body is built once for everyone who gets the same text; each message still
    carries its own recipient, subject and Message-ID."""
    messages = [queue(recipient=f"persona{i}@example.org", subject=f"Promemoria {i}: Evento")
                for i in range(3)]
    messages.append(queue(recipient="altra@example.org", body_text="Un altro testo.\n",
                          body_html="<p>Un altro testo.</p>"))

    report = deliver_due_messages()

    assert report.sent == 4
    for i, message in enumerate(messages[:3]):
        [received] = smtp_server.to(f"persona{i}@example.org")
        assert received["Subject"] == f"Promemoria {i}: Evento"
        assert received["Message-ID"] == message.message_id
        assert "ci vediamo domani" in received.get_body(("plain",)).get_content()
        assert "<b>domani</b>" in received.get_body(("html",)).get_content()
    [other] = smtp_server.to("altra@example.org")
    assert "Un altro testo." in other.get_body(("plain",)).get_content()


@pytest.mark.skipif(BACKEND != "postgres", reason="row locks need PostgreSQL")
def test_parallel_senders_deliver_every_message_exactly_once(app, smtp_server):
    app.config["MAIL_SENDERS"] = 3
    for i in range(450):  # more than two batches
        db.session.add(OutboxMessage(category="test", recipient=f"p{i}@example.org",
                                     sender="Eventi <eventi@example.org>", subject=f"N. {i}",
                                     body_text="Ciao\n", body_html="<p>Ciao</p>", language="it",
                                     message_id=new_message_id()))
    db.session.commit()

    report = deliver_outbox()

    assert report.sent == 450
    received = [m["To"] for m in smtp_server.messages]
    assert len(received) == 450 and len(set(received)) == 450
    assert db.session.scalar(sa.select(sa.func.count()).where(
        OutboxMessage.status != OutboxStatus.SENT)) == 0

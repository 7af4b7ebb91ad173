"""Campaign delivery through a real SMTP server: headers, failures, pauses, crashes, two senders.

Every test counts copies per address at the server: the promise is exactly one each.
"""
from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.db import utcnow
from app.extensions import db
from app.mail.smtp import SMTPConnection, SMTPSettings
from app.newsletter import services
from app.newsletter.models import (
    Campaign,
    CampaignStatus,
    Delivery,
    DeliveryStatus,
    Subscriber,
    SubscriberStatus,
)
from app.newsletter.sending import claim_batch, send_due_campaigns, start_due_campaigns
from tests.conftest import BACKEND
from tests.factories import CampaignFactory, EventFactory, SubscriberFactory, in_days
from tests.smtpd import free_port
from tests.threads import run_together


@pytest.fixture
def mail(app, smtp_server):
    app.config.update(
        BASE_URL="https://eventi.example.org",
        NEWSLETTER_RATE_PER_SECOND=0,
        NEWSLETTER_RETRY_BASE_SECONDS=0,
        NEWSLETTER_BATCH_SIZE=5,
    )
    return smtp_server


def copies(server) -> Counter:
    return Counter(m["X-Envelope-To"] for m in server.messages)


def assert_everyone_got_one_copy(mail, emails, campaign) -> None:
    """Counted at the SMTP server: each address exactly once, and the issue done."""
    assert copies(mail) == {e: 1 for e in emails}
    db.session.refresh(campaign)
    assert campaign.status == CampaignStatus.SENT


def scheduled_campaign(**kwargs) -> Campaign:
    campaign = CampaignFactory(**kwargs)
    services.schedule_campaign(campaign, None)
    db.session.commit()
    return campaign


def subscribers(n: int, **kwargs) -> list[str]:
    made = [SubscriberFactory(**kwargs) for _ in range(n)]
    db.session.commit()
    return [s.email for s in made]


def deliveries(campaign: Campaign) -> list[Delivery]:
    db.session.expire_all()
    return list(db.session.scalars(
        sa.select(Delivery).where(Delivery.campaign_id == campaign.id).order_by(Delivery.id)
    ))


def test_each_subscriber_gets_one_message_with_the_list_headers(app, mail):
    event = EventFactory(title="Conferenza finale +RESILIENT", starts_at=in_days(12))
    it_reader = SubscriberFactory(email="lettrice@example.org", language="it")
    en_reader = SubscriberFactory(email="reader@example.org", language="en")
    campaign = scheduled_campaign(featured_event_ids=[event.id])

    report = send_due_campaigns()
    assert report.sent == 2
    assert copies(mail) == {"lettrice@example.org": 1, "reader@example.org": 1}

    [msg] = mail.to("lettrice@example.org")
    unsubscribe = f"https://eventi.example.org/newsletter/unsubscribe/{it_reader.token}"
    assert msg["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["Message-ID"].startswith("<") and msg["Message-ID"].endswith(">")
    assert msg["Date"] is not None and msg["Date"].datetime.tzinfo is not None
    assert msg["Subject"] == campaign.subject
    assert msg.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in msg.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert unsubscribe in text and f'href="{unsubscribe}"' in html
    assert "Annulla l&#39;iscrizione" in html or "Annulla l'iscrizione" in html
    assert "<strong>bandi</strong>" in html and "Conferenza finale +RESILIENT" in html
    assert "https://eventi.example.org/events/" in html

    [en_msg] = mail.to("reader@example.org")
    assert en_reader.token in en_msg["List-Unsubscribe"]
    assert "Unsubscribe" in en_msg.get_body(("html",)).get_content()

    rows = {d.subscriber.email: d for d in deliveries(campaign)}
    assert rows["lettrice@example.org"].message_id == msg["Message-ID"]
    assert all(d.status == DeliveryStatus.SENT and d.sent_at for d in rows.values())
    db.session.refresh(campaign)
    assert campaign.status == CampaignStatus.SENT
    assert campaign.sent_count == 2


def test_the_list_unsubscribe_url_works_one_click_without_cookies(app, mail):
    subscribers(1)
    scheduled_campaign()
    send_due_campaigns()
    url = mail.messages[0]["List-Unsubscribe"].strip("<>")
    path = url.removeprefix("https://eventi.example.org")
    app.config["WTF_CSRF_ENABLED"] = True
    resp = app.test_client(use_cookies=False).post(
        path, data={"List-Unsubscribe": "One-Click"})
    assert resp.status_code == 200
    db.session.expire_all()
    assert db.session.scalar(sa.select(Subscriber.status)) == SubscriberStatus.UNSUBSCRIBED


def test_a_scheduled_issue_waits_for_its_time(app, mail):
    subscribers(2)
    campaign = CampaignFactory()
    services.schedule_campaign(campaign, utcnow() + timedelta(hours=2))
    db.session.commit()
    assert send_due_campaigns().sent == 0
    assert mail.messages == []
    report = send_due_campaigns(now=utcnow() + timedelta(hours=2, seconds=1))
    assert report.started == [campaign.id]
    assert len(copies(mail)) == 2


def test_smtp_server_down_then_back_sends_everyone_once(app, mail):
    emails = subscribers(7)
    campaign = scheduled_campaign()
    real_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = free_port()  # nothing listens there

    report = send_due_campaigns()
    assert report.stopped == "smtp-unavailable" and report.sent == 0
    rows = deliveries(campaign)
    assert [d.status for d in rows] == [DeliveryStatus.QUEUED] * 7
    assert rows[0].attempts == 1 and "refused" in rows[0].last_error.lower()

    app.config["MAIL_PORT"] = real_port
    send_due_campaigns()
    assert_everyone_got_one_copy(mail, emails, campaign)


def test_451_in_the_middle_of_a_campaign_is_retried_and_nobody_gets_two(app, mail):
    emails = subscribers(12)
    campaign = scheduled_campaign()
    send_due_campaigns(max_messages=4)
    mail.fail_next("451 4.3.0 Try again later", times=3)
    report = send_due_campaigns()
    assert report.retried == 3
    assert copies(mail) == {e: 1 for e in emails}
    rows = deliveries(campaign)
    assert all(d.status == DeliveryStatus.SENT for d in rows)
    assert sorted(d.attempts for d in rows) == [1] * 9 + [2] * 3


def test_550_in_the_middle_is_recorded_and_the_rest_go_out_once(app, mail):
    emails = subscribers(10)
    campaign = scheduled_campaign()
    send_due_campaigns(max_messages=3)
    mail.fail_next("550 5.1.1 Mailbox unavailable")
    report = send_due_campaigns()
    assert report.failed == 1
    rows = deliveries(campaign)
    [failed] = [d for d in rows if d.status == DeliveryStatus.FAILED]
    assert "550" in failed.last_error
    assert failed.subscriber.permanent_failures == 1
    assert failed.subscriber.status == SubscriberStatus.ACTIVE  # one refusal is not a pattern
    assert copies(mail) == {e: 1 for e in emails if e != failed.subscriber.email}
    db.session.refresh(campaign)
    assert campaign.status == CampaignStatus.SENT and campaign.failed_count == 1


def test_a_refusal_quoting_the_address_is_recorded_without_it(app, mail):
    [email] = subscribers(1)
    campaign = scheduled_campaign()
    mail.fail_next(f"550 5.1.1 <{email.upper()}>: Recipient address rejected")
    send_due_campaigns()
    [failed] = deliveries(campaign)
    assert failed.status == DeliveryStatus.FAILED
    assert "Recipient address rejected" in failed.last_error
    assert email not in failed.last_error.lower()


def test_repeated_permanent_failures_mark_a_subscriber_bouncing_and_skip_them(app, mail):
    app.config["NEWSLETTER_BOUNCE_THRESHOLD"] = 2
    [email] = subscribers(1)
    for _ in range(2):
        scheduled_campaign()
        mail.fail_next("550 5.1.1 No such user")
        send_due_campaigns()
    subscriber = db.session.scalar(sa.select(Subscriber))
    assert subscriber.status == SubscriberStatus.BOUNCING
    third = scheduled_campaign()
    send_due_campaigns()
    assert mail.messages == []
    assert deliveries(third) == []  # not even a row: only active subscribers are recipients


def test_someone_who_leaves_after_scheduling_receives_nothing(app, mail, client):
    emails = subscribers(4)
    campaign = scheduled_campaign()
    start_due_campaigns()  # the rows exist: the campaign has started
    db.session.refresh(campaign)
    assert campaign.recipients_count == 4
    leaver = db.session.scalar(sa.select(Subscriber).where(Subscriber.email == emails[2]))
    client.post(f"/newsletter/unsubscribe/{leaver.token}",
                data={"List-Unsubscribe": "One-Click"})
    report = send_due_campaigns()
    assert report.skipped == 1
    assert copies(mail) == {e: 1 for e in emails if e != emails[2]}
    statuses = {d.subscriber.email: d.status for d in deliveries(campaign)}
    assert statuses[emails[2]] == DeliveryStatus.SKIPPED


def test_pause_stops_sending_and_resume_continues_without_repeats(app, mail):
    app.config["NEWSLETTER_SMTP_CONNECTIONS"] = 1  # one batch in hand (each connection has its own)
    emails = subscribers(13)
    campaign = scheduled_campaign()

    class PausingTransport(SMTPConnection):
        """Pauses the campaign from 'the back-office' after the third message."""

        sent = 0

        def send(self, *args, **kwargs):
            super().send(*args, **kwargs)
            PausingTransport.sent += 1
            if PausingTransport.sent == 3:
                with db.engine.begin() as conn:
                    conn.execute(sa.update(Campaign).where(Campaign.id == campaign.id)
                                 .values(status=CampaignStatus.PAUSED.value))

    factory = lambda: PausingTransport(SMTPSettings.from_config(app.config))  # noqa: E731
    send_due_campaigns(transport_factory=factory)
    db.session.refresh(campaign)
    assert campaign.status == CampaignStatus.PAUSED
    sent_before_pause = len(mail.messages)
    assert 3 <= sent_before_pause <= 5  # the batch in hand finishes, no new batch is claimed
    assert send_due_campaigns().sent == 0  # paused: nothing goes out

    services.resume_campaign(campaign)
    db.session.commit()
    send_due_campaigns()
    assert_everyone_got_one_copy(mail, emails, campaign)


def test_a_crashed_senders_batch_comes_back_after_its_lease(app, mail):
    emails = subscribers(9)
    campaign = scheduled_campaign()
    start_due_campaigns()
    _token, held = claim_batch(campaign.id, 4, timedelta(minutes=5))  # then the process dies
    assert len(held) == 4

    send_due_campaigns()
    assert len(mail.messages) == 5  # the rows still under lease are not touched
    db.session.refresh(campaign)
    assert campaign.status == CampaignStatus.SENDING

    db.session.execute(sa.update(Delivery).where(Delivery.status == DeliveryStatus.SENDING)
                       .values(claimed_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    send_due_campaigns()
    assert_everyone_got_one_copy(mail, emails, campaign)


def test_a_crash_between_acceptance_and_commit_repeats_one_message_only(app, mail):
    """The one window named in docs/newsletter.md: it holds a single message."""
    emails = subscribers(8)
    scheduled_campaign()

    class Crash(BaseException):
        pass

    class CrashingTransport(SMTPConnection):
        sent = 0

        def send(self, *args, **kwargs):
            super().send(*args, **kwargs)  # the server has accepted the message...
            CrashingTransport.sent += 1
            if CrashingTransport.sent == 3:
                raise Crash  # ...and the process dies before the commit

    factory = lambda: CrashingTransport(SMTPSettings.from_config(app.config))  # noqa: E731
    with pytest.raises(Crash):
        send_due_campaigns(transport_factory=factory)
    db.session.rollback()
    db.session.execute(sa.update(Delivery).where(Delivery.status == DeliveryStatus.SENDING)
                       .values(claimed_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    send_due_campaigns()

    counted = copies(mail)
    assert set(counted) == set(emails)
    assert sorted(counted.values()) == [1] * 7 + [2]
    [twice] = [e for e, n in counted.items() if n == 2]
    ids = {m["Message-ID"] for m in mail.to(twice)}
    assert len(ids) == 1  # the repeat carries the same Message-ID


def test_cancelling_stops_the_rest(app, mail):
    subscribers(8)
    campaign = scheduled_campaign()
    send_due_campaigns(max_messages=3)
    services.cancel_campaign(campaign)
    db.session.commit()
    assert send_due_campaigns().sent == 0
    assert len(mail.messages) == 3
    assert Counter(d.status for d in deliveries(campaign)) == {
        DeliveryStatus.SENT: 3, DeliveryStatus.CANCELLED: 5}


def test_topics_and_language_choose_the_recipients(app, mail):
    SubscriberFactory(email="bandi@example.org", topics=["funding"])
    SubscriberFactory(email="eventi@example.org", topics=["events"])
    SubscriberFactory(email="funding-en@example.org", topics=["funding"], language="en")
    SubscriberFactory(email="pending@example.org", status=SubscriberStatus.PENDING)
    scheduled_campaign(target_topics=["funding"], target_language="it")
    send_due_campaigns()
    assert copies(mail) == {"bandi@example.org": 1}


def test_without_smtp_the_campaign_waits(app):
    app.config["MAIL_SERVER"] = ""
    subscribers(2)
    campaign = scheduled_campaign()
    report = send_due_campaigns()
    assert report.stopped == "smtp-not-configured"
    assert Counter(d.status for d in deliveries(campaign)) == {DeliveryStatus.QUEUED: 2}


@pytest.mark.skipif(BACKEND != "postgres", reason="two real connections need PostgreSQL")
def test_two_senders_at_once_never_send_twice(app, mail):
    app.config["NEWSLETTER_BATCH_SIZE"] = 7
    emails = subscribers(150)
    scheduled_campaign()
    start_due_campaigns()
    reports = []
    barrier = threading.Barrier(2)

    def sender():
        with app.app_context():
            barrier.wait()
            reports.append(send_due_campaigns())
            db.session.remove()

    run_together(sender, sender)
    assert copies(mail) == {e: 1 for e in emails}
    assert sum(r.sent for r in reports) == 150
    assert all(r.sent > 0 for r in reports)  # both really worked on the campaign


@pytest.mark.skipif(BACKEND != "postgres", reason="two real connections need PostgreSQL")
def test_two_senders_without_the_claim_do_send_twice(app, mail, monkeypatch):
    """The control: with a claim that takes rows without locking them, the race shows."""
    import app.newsletter.sending as sending

    app.config["NEWSLETTER_BATCH_SIZE"] = 50
    app.config["NEWSLETTER_SMTP_CONNECTIONS"] = 1  # two senders of one connection each
    emails = subscribers(40)
    scheduled_campaign()
    start_due_campaigns()
    barrier = threading.Barrier(2)
    seen = threading.local()

    def naive_claim(campaign_id, size, lease, now=None):
        if getattr(seen, "done", False):
            return "", []
        seen.done = True
        rows = db.session.execute(
            sa.select(Delivery.id, Delivery.attempts, Subscriber.id, Subscriber.email,
                      Subscriber.token, Subscriber.language, Subscriber.status,
                      Subscriber.permanent_failures)
            .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
            .where(Delivery.campaign_id == campaign_id, Delivery.status == DeliveryStatus.QUEUED)
            .order_by(Delivery.id).limit(size)
        ).all()
        db.session.commit()
        barrier.wait(10)  # both read the same rows before either marks them
        return "naive", [sending.Claimed(*r) for r in rows]

    monkeypatch.setattr(sending, "claim_batch", naive_claim)
    monkeypatch.setattr(sending, "_finish_row", lambda *a, **k: None)

    def sender():
        with app.app_context():
            try:
                send_due_campaigns()
            except threading.BrokenBarrierError:
                pass
            db.session.remove()

    run_together(sender, sender)
    assert max(copies(mail).values()) == 2
    assert set(copies(mail)) == set(emails)

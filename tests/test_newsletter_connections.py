"""A campaign sent over NEWSLETTER_SMTP_CONNECTIONS=2: each connection claims its own
rows, and the promises of one connection hold for both together (PostgreSQL: SKIP
LOCKED; SQLite always sends over one connection).

Every test counts copies per address at the SMTP server."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.mail.smtp import SMTPConnection, SMTPSettings
from app.newsletter.models import Campaign, CampaignStatus, Delivery, DeliveryStatus
from app.newsletter.sending import send_campaign, send_due_campaigns, start_due_campaigns
from tests.conftest import BACKEND
from tests.test_newsletter_delivery import (  # noqa: F401 - mail is the fixture
    copies,
    mail,
    scheduled_campaign,
    subscribers,
)

pytestmark = pytest.mark.skipif(BACKEND != "postgres",
                                reason="two real connections need PostgreSQL")


@pytest.fixture
def two(app, mail):  # noqa: F811 - mail is the imported fixture
    """The SMTP server, and campaigns sent over two connections in batches of four."""
    app.config.update(NEWSLETTER_BATCH_SIZE=4, NEWSLETTER_SMTP_CONNECTIONS=2)
    return mail


class Connections:
    """Opens SMTP connections that count what each sent; the first message of each
    waits for the other connection's, so both really take part."""

    def __init__(self, app, count: int = 2):
        self.settings = SMTPSettings.from_config(app.config)
        self.together = threading.Barrier(count, timeout=20)
        self.sent: list[int] = []

    def __call__(self) -> SMTPConnection:
        connections = self
        number = len(self.sent)
        self.sent.append(0)

        class Counting(SMTPConnection):
            waited = False

            def send(self, *args, **kwargs):
                if not self.waited:
                    self.waited = True
                    connections.together.wait()
                super().send(*args, **kwargs)
                connections.sent[number] += 1

        return Counting(self.settings)


def campaign_to(n: int) -> tuple[Campaign, list[str]]:
    emails = subscribers(n)
    return scheduled_campaign(), emails


def test_two_connections_send_everyone_exactly_one_copy(app, two):
    campaign, emails = campaign_to(30)
    connections = Connections(app)

    report = send_due_campaigns(transport_factory=connections)

    assert report.sent == 30
    assert copies(two) == {e: 1 for e in emails}
    assert len(connections.sent) == 2 and all(connections.sent)  # both sent a share
    assert sum(connections.sent) == 30
    db.session.refresh(campaign)
    assert campaign.status == CampaignStatus.SENT and campaign.sent_count == 30


def test_the_rate_limit_holds_for_both_connections_together(app, two):
    """At 10 messages a second, every message waits for its own slot, 0.1 s after the
    previous one, whichever connection sends it (a clock that stands still: only the
    slots handed out are counted)."""
    app.config["NEWSLETTER_RATE_PER_SECOND"] = 10
    campaign, emails = campaign_to(12)
    start_due_campaigns()
    connections = Connections(app)
    waits: list[float] = []
    transports = [connections(), connections()]
    try:
        report = send_campaign(campaign.id, transports, clock=lambda: 0.0, sleep=waits.append)
    finally:
        for transport in transports:
            transport.close()

    assert report.sent == 12 and copies(two) == {e: 1 for e in emails}
    assert all(connections.sent)
    # The first message goes at once, each of the other 11 gets its own slot.
    assert sorted(waits) == pytest.approx([0.1 * k for k in range(1, 12)])


def test_a_failure_on_one_connection_is_retried_without_duplicates(app, two):
    campaign, emails = campaign_to(20)
    connections = Connections(app)
    two.fail_next("451 4.3.0 Try again later", times=1)

    first = send_due_campaigns(transport_factory=connections)
    assert first.retried == 1
    assert all(connections.sent)
    send_due_campaigns()  # the retry, if the first run did not already take it again

    assert copies(two) == {e: 1 for e in emails}
    attempts = db.session.scalars(
        sa.select(Delivery.attempts).where(Delivery.campaign_id == campaign.id,
                                           Delivery.status == DeliveryStatus.SENT)
    ).all()
    assert sorted(attempts) == [1] * 19 + [2]


def test_a_connection_that_drops_leaves_its_rows_to_the_next_run_without_duplicates(app, two):
    campaign, emails = campaign_to(20)
    settings = SMTPSettings.from_config(app.config)
    opened: list[int] = []

    class Dropping(SMTPConnection):
        """The second connection opened loses the server after two messages."""

        def __init__(self, settings):
            super().__init__(settings)
            self.number, self.count = len(opened), 0
            opened.append(self.number)

        def send(self, *args, **kwargs):
            if self.number == 1 and self.count == 2:
                self.settings = SMTPSettings.from_config({**app.config, "MAIL_PORT": 1})
                self.close()
            super().send(*args, **kwargs)
            self.count += 1

    first = send_due_campaigns(transport_factory=lambda: Dropping(settings))
    assert first.stopped == "smtp-unavailable"
    assert max(copies(two).values()) == 1
    send_due_campaigns()

    assert copies(two) == {e: 1 for e in emails}
    db.session.refresh(campaign)
    assert campaign.status == CampaignStatus.SENT

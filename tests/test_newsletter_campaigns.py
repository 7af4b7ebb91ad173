"""Organisers compose, preview, test, schedule and steer issues; the archive and its feed; the digest."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.db import utcnow
from app.events.models import EventStatus
from app.extensions import db
from app.mail.models import OutboxMessage
from app.newsletter import services
from app.newsletter.digest import latest_slot, prepare_digest
from app.newsletter.models import Campaign, CampaignStatus
from app.newsletter.sending import send_due_campaigns
from tests.factories import CampaignFactory, EventFactory, SubscriberFactory, UserFactory, in_days

ATOM = "{http://www.w3.org/2005/Atom}"


def test_the_back_office_needs_a_login(client):
    resp = client.get("/admin/newsletter/")
    assert resp.status_code == 302
    assert "/admin/login" in resp.headers["Location"]
    assert client.post("/admin/newsletter/new", data={"subject": "x"}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 0


def test_an_organiser_composes_previews_tests_and_schedules_an_issue(app, client, auth):
    organiser = UserFactory()
    event = EventFactory(title="Webinar bandi INNOMED-UP", starts_at=in_days(5))
    EventFactory(title="Bozza", status=EventStatus.DRAFT, starts_at=in_days(6))
    db.session.commit()
    auth.login(organiser)

    form = client.get("/admin/newsletter/new").get_data(as_text=True)
    assert "Webinar bandi INNOMED-UP" in form and "Bozza" not in form

    resp = client.post("/admin/newsletter/new", data={
        "subject": "La Camera Informa – marzo",
        "body_markdown": "Novità sui **bandi**.<script>alert(1)</script>",
        "featured_event_ids": [str(event.id)],
        "target_topics": ["funding"],
        "target_language": "",
        "language": "it",
    })
    assert resp.status_code == 302
    campaign = db.session.scalar(sa.select(Campaign))
    assert campaign.status == CampaignStatus.DRAFT
    assert campaign.target_topics == ["funding"]

    html = client.get(f"/admin/newsletter/{campaign.id}/preview.html").get_data(as_text=True)
    assert "<strong>bandi</strong>" in html and "<script>" not in html
    assert "Webinar bandi INNOMED-UP" in html
    text = client.get(f"/admin/newsletter/{campaign.id}/preview.txt?lang=en").get_data(as_text=True)
    assert "Unsubscribe:" in text and "Webinar bandi INNOMED-UP" in text

    client.post(f"/admin/newsletter/{campaign.id}/test", data={"email": "prova@example.org"})
    test_copy = db.session.scalar(sa.select(OutboxMessage))
    assert test_copy.recipient == "prova@example.org"
    assert test_copy.subject == "La Camera Informa – marzo"

    # The form reads Rome time, whatever the machine's own time zone.
    when = (utcnow() + timedelta(days=2)).astimezone(ZoneInfo("Europe/Rome")).strftime("%Y-%m-%dT%H:%M")
    resp = client.post(f"/admin/newsletter/{campaign.id}/schedule", data={"when": when})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.SCHEDULED
    page = client.get(f"/admin/newsletter/{campaign.id}/").get_data(as_text=True)
    assert "Programmato" in page


def test_a_date_in_the_past_is_refused(client, auth):
    auth.login(UserFactory())
    campaign = CampaignFactory()
    db.session.commit()
    resp = client.post(f"/admin/newsletter/{campaign.id}/schedule",
                       data={"when": "2020-01-01T09:00"}, follow_redirects=True)
    assert "Scegli una data e un&#39;ora future" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.DRAFT


def test_progress_counters_pause_and_resume_from_the_back_office(app, client, auth, smtp_server):
    app.config.update(NEWSLETTER_RATE_PER_SECOND=0, NEWSLETTER_BATCH_SIZE=2)
    auth.login(UserFactory())
    for _ in range(4):
        SubscriberFactory()
    campaign = CampaignFactory()
    db.session.commit()
    page = client.get(f"/admin/newsletter/{campaign.id}/").get_data(as_text=True)
    assert "Va a 4 iscritti." in page
    # Without ticking the confirmation nothing starts.
    resp = client.post(f"/admin/newsletter/{campaign.id}/send-now", follow_redirects=True)
    assert "Spunta la casella per confermare l&#39;invio." in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.DRAFT
    client.post(f"/admin/newsletter/{campaign.id}/send-now", data={"confirm": "y"})
    send_due_campaigns(max_messages=2)

    page = client.get(f"/admin/newsletter/{campaign.id}/").get_data(as_text=True)
    assert "In coda: 2" in page and "Inviati: 2" in page and 'aria-valuenow="50"' in page

    client.post(f"/admin/newsletter/{campaign.id}/pause")
    assert send_due_campaigns().sent == 0
    client.post(f"/admin/newsletter/{campaign.id}/resume")
    send_due_campaigns()
    page = client.get(f"/admin/newsletter/{campaign.id}/").get_data(as_text=True)
    assert "Inviati: 4" in page and 'aria-valuenow="100"' in page
    assert len(smtp_server.messages) == 4


def test_the_campaign_list_counts_without_a_query_per_issue(client, auth, count_queries):
    auth.login(UserFactory())
    for _ in range(3):
        CampaignFactory()
    db.session.commit()
    with count_queries() as few:
        client.get("/admin/newsletter/")
    for _ in range(5):
        CampaignFactory()
    db.session.commit()
    with count_queries() as many:
        assert client.get("/admin/newsletter/").status_code == 200
    assert many() == few()


def test_sent_issues_are_public_in_the_archive_and_its_atom_feed(client):
    sent = CampaignFactory(subject="Numero di febbraio", status=CampaignStatus.SENT,
                           sent_at=utcnow() - timedelta(days=3))
    CampaignFactory(subject="Bozza riservata")
    db.session.commit()
    page = client.get("/newsletter/archive/").get_data(as_text=True)
    assert "Numero di febbraio" in page and "Bozza riservata" not in page
    issue = client.get(f"/newsletter/archive/{sent.id}/")
    assert issue.status_code == 200 and "<strong>bandi</strong>" in issue.get_data(as_text=True)
    draft = db.session.scalar(sa.select(Campaign).where(Campaign.subject == "Bozza riservata"))
    assert client.get(f"/newsletter/archive/{draft.id}/").status_code == 404

    resp = client.get("/newsletter/archive/feed.atom")
    assert resp.headers["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(resp.data)
    assert feed.tag == f"{ATOM}feed"
    assert feed.find(f"{ATOM}title").text == "La Camera Informa"
    assert feed.find(f"{ATOM}updated").text
    [entry] = feed.findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text == "Numero di febbraio"
    assert entry.find(f"{ATOM}link").get("href").endswith(f"/newsletter/archive/{sent.id}/")
    assert "<strong>bandi</strong>" in entry.find(f"{ATOM}content").text


def test_the_digest_slot_follows_the_cron_setting(app):
    cron = {"day_of_week": "mon", "hour": 9, "minute": 0, "timezone": "Europe/Rome"}
    monday_morning = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)  # 9:30 in Rome
    slot = latest_slot(cron, monday_morning)
    assert slot.isoformat() == "2026-03-02T09:00:00+01:00"
    assert latest_slot(cron, datetime(2026, 3, 2, 7, 30, tzinfo=UTC)) is None  # 8:30 in Rome
    assert latest_slot(cron, datetime(2026, 3, 4, 12, tzinfo=UTC)) is None  # Wednesday


def test_the_digest_waits_as_a_draft_and_is_made_once_per_slot(app):
    monday = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    assert prepare_digest(now=monday) is None  # no events: no issue
    EventFactory(title="Missione a Marsiglia", starts_at=monday + timedelta(days=10))
    EventFactory(title="Troppo lontano", starts_at=monday + timedelta(days=60))
    digest = prepare_digest(now=monday)
    db.session.commit()
    assert digest.status == CampaignStatus.DRAFT
    assert "prossime settimane" in digest.subject
    assert [e.title for e in services.featured_events(digest)] == ["Missione a Marsiglia"]
    assert prepare_digest(now=monday + timedelta(minutes=10)) is None


def test_the_digest_can_go_out_by_itself(app):
    app.config["NEWSLETTER_DIGEST_AUTO_SEND"] = True
    monday = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    EventFactory(starts_at=monday + timedelta(days=3))
    digest = prepare_digest(now=monday)
    assert digest.status == CampaignStatus.SCHEDULED


def test_only_administrators_see_the_list_of_subscribers_addresses(client, auth):
    from app.auth.models import Role
    from tests.factories import SubscriberFactory

    SubscriberFactory(email="lettore@example.org")
    organiser, admin = UserFactory(), UserFactory(role=Role.ADMIN)
    db.session.commit()
    auth.login(organiser)
    assert client.get("/admin/newsletter/subscribers").status_code == 403
    assert "/admin/newsletter/subscribers" not in client.get("/admin/newsletter/").get_data(as_text=True)
    auth.login(admin)
    assert "lettore@example.org" in client.get("/admin/newsletter/subscribers").get_data(as_text=True)

"""The rough edges a new organiser or visitor hits first: keys instead of words, counts
that disagree with their number, times without their zone, plain-text e-mails without
their links, no favicon, demo events on New Year's Day, and no way to say a page helped."""
from __future__ import annotations

import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.auth.models import Role
from app.db import utcnow
from app.events.models import EventFormat, Venue
from app.extensions import db
from app.feedback.models import PageRating
from app.mail.models import OutboxMessage, OutboxStatus
from app.newsletter.models import SubscriberStatus
from app.registrations.models import Question, QuestionKind
from app.registrations.services import AttendeeDetails, register_attendee
from app.text import markdown_to_text
from tests.factories import (
    CampaignFactory,
    EventFactory,
    RegistrationFactory,
    SubscriberFactory,
    UserFactory,
    VenueFactory,
)

# Keys the code stores: a person must never read one.
RAW_KEY = re.compile(
    r"\b(?:registration|reminder|event|newsletter|auth|outbox|user|venue|speaker|session|material"
    r"|project|api_key|documents)\.[a-z_]+\b"
    r"|(?<![\w-])(?:unsubscribed|waitlisted|in_person|yes_no|outboxmessage|newsletter-confirm)(?![\w-])"
)


def visible(html: str) -> str:
    """What a person reads: the page without scripts, tags and their attributes."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def text(resp) -> str:
    return resp.get_data(as_text=True)


@pytest.fixture
def admin(app):
    return UserFactory(role=Role.ADMIN, email="admin@example.org")


# --- every label from the catalogue ---------------------------------------------------


def test_back_office_pages_in_italian_show_no_stored_keys(client, auth, admin):
    event = EventFactory(title="Laboratorio Mestre", format=EventFormat.HYBRID)
    event.organisers.append(admin)
    db.session.add(Question(event=event, label="Pranzo?", kind=QuestionKind.YES_NO))
    for category in ("registration.confirmed", "reminder.day_before", "newsletter-confirm",
                     "calendar", "auth.password_reset"):
        db.session.add(OutboxMessage(category=category, recipient="p@example.org", subject="Oggetto",
                                     body_text="Ciao", status=OutboxStatus.FAILED, event_id=event.id))
    for status in SubscriberStatus:
        SubscriberFactory(status=status)
    db.session.add(PageRating(path="/events/", useful=False, reason="unclear", rated_on=date.today()))
    db.session.commit()
    register_attendee(event, AttendeeDetails(first_name="A", last_name="B", email="a@example.org",
                                             consent=True))
    db.session.commit()
    auth.login(admin)
    client.post(f"/admin/events/{event.id}/cancel", data={"reason": "Maltempo."})

    first = db.session.scalar(sa.select(OutboxMessage.id).order_by(OutboxMessage.id))
    pages = ["/admin/", "/admin/outbox", "/admin/outbox?status=failed", f"/admin/outbox/{first}",
             "/admin/audit",
             "/admin/newsletter/subscribers", f"/admin/events/{event.id}/",
             f"/admin/events/{event.id}/registrations",
             f"/admin/events/{event.id}/registrations/questions", "/admin/feedback"]
    for url in pages:
        resp = client.get(url)
        assert resp.status_code == 200, url
        found = RAW_KEY.findall(visible(text(resp)))
        assert found == [], f"{url} shows {found}"


def test_the_audit_filter_names_objects_in_italian(client, auth, admin):
    EventFactory()
    db.session.commit()
    auth.login(admin)
    client.post("/admin/speakers/new", data={"name": "Maria Bianchi"})
    page = text(client.get("/admin/audit"))
    assert re.search(r'<option value="speaker"[^>]*>Relatori</option>', page)
    assert "Relatore aggiunto" in page


def test_the_audit_log_names_changed_fields_in_italian(client, auth, admin):
    from app.audit import record

    event = EventFactory()
    record("event.update", event, user=admin, summary=event.title,
           changes={"reminder_hours_before": [24, 48], "email_note": ["", "Portare un documento"]})
    db.session.commit()
    auth.login(admin)
    page = visible(text(client.get("/admin/audit")))
    assert "Promemoria (ore prima dell" in page and "Nota per le e-mail (italiano)" in page
    assert "reminder_hours_before" not in page and "email_note" not in page


def test_the_subscriber_list_speaks_italian_and_counts_agree(client, auth, admin):
    SubscriberFactory(status=SubscriberStatus.ACTIVE)
    SubscriberFactory(status=SubscriberStatus.UNSUBSCRIBED)
    SubscriberFactory(status=SubscriberStatus.UNSUBSCRIBED)
    db.session.commit()
    auth.login(admin)
    page = visible(text(client.get("/admin/newsletter/subscribers")))
    assert "1 iscritto" in page and "2 disiscritti" in page
    assert "Disiscritto" in page and "unsubscribed" not in page


def test_one_seat_left_is_one_seat(client):
    # Hybrid, so the form counts the seats of each mode.
    event = EventFactory(slug="workshop", format=EventFormat.HYBRID, capacity=None,
                         capacity_in_person=2, capacity_online=10)
    db.session.commit()
    register_attendee(event, AttendeeDetails(first_name="A", last_name="B", email="a@example.org",
                                             consent=True))
    db.session.commit()
    page = text(client.get("/events/workshop/register"))
    assert "1 posto" in page
    assert "1 posti" not in page and "1 liberi" not in page


def test_a_venue_used_by_two_events_says_so_in_the_plural(client, auth, admin):
    venue = VenueFactory()
    EventFactory(venue=venue)
    EventFactory(venue=venue)
    db.session.commit()
    auth.login(admin)
    resp = client.post(f"/admin/venues/{venue.id}/delete", follow_redirects=True)
    assert "è usata da 2 eventi:" in text(resp)
    assert db.session.get(Venue, venue.id) is not None


# --- times of online events -------------------------------------------------------------


def test_an_online_event_names_its_time_zone_and_carries_machine_times(client):
    start = utcnow().replace(month=1, day=15, hour=9, minute=0, second=0, microsecond=0) + timedelta(days=400)
    EventFactory(slug="webinar", format=EventFormat.ONLINE, venue=None, starts_at=start,
                 ends_at=start + timedelta(hours=2))
    db.session.commit()
    page = text(client.get("/events/webinar/"))
    assert "Orari in Ora standard dell’Europa centrale (Europe/Rome)." in page
    local = start.astimezone(ZoneInfo("Europe/Rome"))
    end = (start + timedelta(hours=2)).astimezone(ZoneInfo("Europe/Rome"))
    assert f'<time datetime="{local.isoformat()}" data-local-end="{end.isoformat()}">' in page
    assert re.search(r'<script src="/static/js/local-time(\.[0-9a-f]+)?\.js" defer>', page)
    english = text(client.get("/events/webinar/?lang=en"))
    assert "Times in Central European Standard Time (Europe/Rome)." in english


def test_an_event_in_the_room_only_needs_no_local_time(client):
    EventFactory(slug="in-sala", format=EventFormat.IN_PERSON)
    db.session.commit()
    page = text(client.get("/events/in-sala/"))
    assert "local-time" not in page and "data-local-end" not in page


# --- plain text keeps links and lists ----------------------------------------------------


def test_plain_text_keeps_link_addresses_and_list_markers():
    plain = markdown_to_text(
        "## Programma\n\nIscriviti dalla [pagina dell'evento](https://example.org/evento).\n\n"
        "- Saluti\n- Tavola rotonda\n  - Interventi\n\n1. Prima giornata\n2. Seconda giornata\n\n"
        "Scrivi a [segreteria](mailto:segreteria@example.org) o visita https://example.org."
    )
    assert "Iscriviti dalla pagina dell'evento (https://example.org/evento)." in plain
    assert "- Saluti\n- Tavola rotonda\n  - Interventi" in plain
    assert "1. Prima giornata\n2. Seconda giornata" in plain
    assert "segreteria (segreteria@example.org)" in plain
    assert plain.startswith("Programma\n\n")


def test_the_newsletter_text_part_keeps_its_links(client, auth, admin):
    campaign = CampaignFactory(body_markdown="Nuovi bandi:\n\n- [Bando A](https://example.org/a)\n- Bando B")
    db.session.commit()
    auth.login(admin)
    plain = text(client.get(f"/admin/newsletter/{campaign.id}/preview.txt"))
    assert "- Bando A (https://example.org/a)\n- Bando B" in plain


# --- favicon -----------------------------------------------------------------------------


def test_the_site_has_a_favicon(client):
    resp = client.get("/favicon.ico")
    assert resp.status_code == 200 and resp.mimetype == "image/vnd.microsoft.icon"
    assert resp.data[:4] == b"\x00\x00\x01\x00"
    home = text(client.get("/"))
    assert re.search(r'<link rel="icon" href="/static/favicon(\.[0-9a-f]+)?\.svg" type="image/svg\+xml">', home)
    assert '<link rel="icon" href="/favicon.ico" sizes="32x32">' in home


# --- demo dates ---------------------------------------------------------------------------


@pytest.mark.parametrize("today", [date(2026, 12, 1), date(2026, 12, 20), date(2027, 3, 3),
                                   date(2027, 7, 20), date(2027, 10, 29)])
def test_demo_copies_fall_on_working_days_the_mestre_one_on_monday_and_tuesday(app, today):
    from app.demo import is_working_day, seed

    upcoming = [e for e in seed(today)["events"] if e["starts_at"].date() > today]
    assert len(upcoming) == 3
    for event in upcoming:
        tz = ZoneInfo(event.get("timezone", "Europe/Rome"))
        for part in (event, *event["sessions"]):
            for moment in (part["starts_at"], part["ends_at"]):
                local = moment.astimezone(tz)
                assert is_working_day(local.date()), (event["slug"], local)
                assert 8 <= local.hour <= 18, (event["slug"], local)
        if event.get("registration_closes_at"):
            assert event["registration_closes_at"] < event["starts_at"]
    mestre = next(e for e in upcoming if e["slug"] == "laboratorio-competenze-transizione-giusta")
    days = [mestre[k].astimezone(ZoneInfo("Europe/Rome")).strftime("%A") for k in ("starts_at", "ends_at")]
    assert days == ["Monday", "Tuesday"]


def test_new_years_day_and_easter_monday_are_no_working_days(app):
    from app.demo import is_working_day

    assert not is_working_day(date(2027, 1, 1)) and not is_working_day(date(2026, 12, 31))
    assert not is_working_day(date(2027, 3, 29))  # Easter Monday
    assert is_working_day(date(2027, 3, 30))


# --- "Was this page useful?" ---------------------------------------------------------------


def test_a_visitor_rates_a_public_page_and_nothing_about_them_is_kept(client):
    EventFactory(slug="conferenza")
    db.session.commit()
    page = text(client.get("/events/conferenza/"))
    assert 'data-element="feedback"' in page and "Questa pagina ti è stata utile?" in page
    assert re.search(r'<script src="/static/js/rating(\.[0-9a-f]+)?\.js" defer>', page)

    resp = client.post("/feedback/rate", data={"path": "/events/conferenza/", "useful": "no",
                                               "reason": "unclear"},
                       headers={"User-Agent": "Mozilla/5.0 Test", "X-Forwarded-For": "203.0.113.9"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/events/conferenza/#page-rating")
    assert "Grazie" in text(client.get(resp.headers["Location"]))
    rating = db.session.scalar(sa.select(PageRating))
    assert (rating.path, rating.useful, rating.reason, rating.rated_on) == (
        "/events/conferenza/", False, "unclear", utcnow().date())
    # A page, an answer, a reason, a day: no column could hold anything else.
    assert set(PageRating.__table__.columns.keys()) == {"id", "path", "useful", "reason", "rated_on"}


def test_private_and_unknown_pages_cannot_be_rated(client):
    reg = RegistrationFactory()
    db.session.commit()
    attendee = text(client.get(f"/registrations/{reg.token}/"))
    assert 'data-element="feedback"' not in attendee
    for path in (f"/registrations/{reg.token}/", "/admin/", "/events/x/?q=1", "https://evil.example/",
                 "/no-such-page/"):
        assert client.post("/feedback/rate", data={"path": path, "useful": "yes"}).status_code == 400, path
    # A reason that does not fit the answer, or is not on the list, is refused too.
    assert client.post("/feedback/rate", data={"path": "/", "useful": "yes", "reason": "unclear"}).status_code == 400
    assert client.post("/feedback/rate", data={"path": "/", "useful": "yes", "reason": "x"}).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PageRating)) == 0


def test_a_rating_from_another_site_is_refused(client):
    resp = client.post("/feedback/rate", data={"path": "/", "useful": "yes"},
                       headers={"Origin": "https://evil.example"})
    assert resp.status_code == 400


def test_ratings_are_rate_limited(app):
    from app import create_app
    from tests.conftest import BACKEND, make_config

    limited = create_app(make_config(RATELIMIT_ENABLED=True, FEEDBACK_RATE_LIMIT="2 per hour"))
    with limited.app_context():
        if BACKEND == "sqlite":
            db.create_all()  # its own in-memory database
        c = limited.test_client()
        codes = [c.post("/feedback/rate", data={"path": "/", "useful": "yes"}).status_code
                 for _ in range(3)]
        assert codes == [302, 302, 429]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PageRating)) == 2
        db.session.remove()
        db.engine.dispose()


def test_the_back_office_shows_results_per_page(client, auth, admin):
    today = utcnow().date()
    for useful, reason in ((True, "clear"), (True, ""), (False, "hard_to_find")):
        db.session.add(PageRating(path="/events/", useful=useful, reason=reason, rated_on=today))
    db.session.add(PageRating(path="/", useful=True, reason="", rated_on=today - timedelta(days=100)))
    db.session.commit()
    auth.login(admin)
    page = visible(text(client.get("/admin/feedback")))
    row = re.search(r"/events/\s+2\s+1\s+67%", page)
    assert row, page
    assert "Le informazioni erano chiare: 1" in page and "È stato difficile trovarla: 1" in page
    recent = visible(text(client.get("/admin/feedback?days=30")))
    assert "/events/" in recent and " / " not in recent.replace("/events/", "")

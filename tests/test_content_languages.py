"""Event content in Italian and English: English visitors, feeds, PDFs, e-mails and
newsletter readers get the English texts where the organiser gave them, and the
Italian original, marked with its language, where not."""
from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import sqlalchemy as sa

from app.events.models import Project, Venue
from app.extensions import db
from app.i18n import localized
from app.mail.models import OutboxMessage
from app.newsletter import services as newsletter
from app.newsletter.digest import prepare_digest
from app.newsletter.sending import render_campaign, send_due_campaigns
from tests.factories import (
    CampaignFactory,
    EventFactory,
    MaterialFactory,
    ProjectFactory,
    SessionFactory,
    SubscriberFactory,
    UserFactory,
    VenueFactory,
    in_days,
)

ROME = ZoneInfo("Europe/Rome")


def bilingual_event(**kwargs):
    values = dict(
        slug="conferenza-finale",
        title="Conferenza finale +RESILIENT",
        title_en="+RESILIENT final conference",
        summary="Risultati finali del progetto.",
        summary_en="Final results of the project.",
        description="Tre **tavole rotonde** e tre seminari.",
        description_en="",  # not translated: English visitors read the Italian text
        starts_at=in_days(12, 8),
        ends_at=in_days(12, 16),
    )
    values.update(kwargs)
    event = EventFactory(**values)
    SessionFactory(event=event, title="Tavola rotonda: Open Data", title_en="Round table: open data",
                   starts_at=event.starts_at)
    SessionFactory(event=event, title="Pausa pranzo", starts_at=event.starts_at)
    db.session.commit()
    return event


def english(client) -> None:
    client.post("/language", data={"lang": "en", "next": "/"})


def page(resp) -> str:
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


# --- the helper ---------------------------------------------------------------------------


def test_localized_gives_the_english_text_or_the_original_with_its_language(app):
    event = EventFactory(title="Conferenza", title_en="Conference", summary="Sintesi", summary_en="  ")
    assert localized(event, "title", "en") == ("Conference", "en")
    assert localized(event, "title", "it") == ("Conferenza", "it")
    # Blank English counts as missing: the original, said to be Italian.
    assert localized(event, "summary", "en") == ("Sintesi", "it")
    # An event written in English keeps its own language when it falls back.
    written_in_english = EventFactory(title="Policy lab", language="en")
    assert localized(written_in_english, "title", "it") == ("Policy lab", "en")
    # A session speaks its event's language, read from the loaded event.
    session = SessionFactory(event=written_in_english, title="Opening")
    assert localized(session, "title", "it") == ("Opening", "en")


# --- pages --------------------------------------------------------------------------------


def test_english_visitors_see_english_texts_and_the_italian_fallback_is_marked(app, client):
    app.config["EVENT_PAGE_CACHE"] = False
    bilingual_event()
    italian = page(client.get("/events/conferenza-finale/"))
    assert '<h1 id="event-title" class="event-title">Conferenza finale +RESILIENT</h1>' in italian
    assert "Tavola rotonda: Open Data" in italian and "+RESILIENT final conference" not in italian

    english(client)
    html = page(client.get("/events/conferenza-finale/"))
    assert '<h1 id="event-title" class="event-title">+RESILIENT final conference</h1>' in html
    assert '<p class="lead">Final results of the project.</p>' in html
    # The description has no English version: shown in Italian, with lang="it".
    assert re.search(r'<div class="event-description" lang="it"><p>Tre <strong>tavole rotonde', html)
    assert '<p class="programme-title fw-semibold mb-1">Round table: open data</p>' in html
    assert '<p class="programme-title fw-semibold mb-1" lang="it">Pausa pranzo</p>' in html
    assert "<title>+RESILIENT final conference" in html


def test_an_event_written_in_english_marks_its_programme_english_on_italian_pages(app, client):
    app.config["EVENT_PAGE_CACHE"] = False
    event = EventFactory(slug="written-in-english", language="en", title="Study visit")
    SessionFactory(event=event, title="Welcome coffee", starts_at=event.starts_at)
    db.session.commit()
    html = page(client.get("/events/written-in-english/"))
    assert '<p class="programme-title fw-semibold mb-1" lang="en">Welcome coffee</p>' in html


def test_the_english_list_shows_english_titles_without_more_queries(app, client, count_queries):
    project = ProjectFactory(name="Progetto", name_en="Project")
    for i in range(2):
        bilingual_event(slug=f"few-{i}", project=project, starts_at=in_days(10 + i, 8),
                        ends_at=in_days(10 + i, 16))
    english(client)
    with count_queries() as n:
        html = page(client.get("/events/"))
    few = n()
    assert html.count('<span>+RESILIENT final conference</span>') == 2
    for i in range(8):
        bilingual_event(slug=f"many-{i}", project=project, starts_at=in_days(20 + i, 8),
                        ends_at=in_days(20 + i, 16), title_en="" if i % 2 else f"English {i}")
    with count_queries() as n:
        html = page(client.get("/events/"))
    assert n() == few
    assert "<span>English 0</span>" in html
    # Untranslated titles fall back to Italian, marked as such.
    assert html.count('<span lang="it">Conferenza finale +RESILIENT</span>') == 4


def test_project_and_venue_pages_speak_english(client):
    project = ProjectFactory(slug="resilient", name="Risorse aperte", name_en="Open resources",
                             acronym="", description="Descrizione", description_en="About")
    venue = VenueFactory(name="Parlamento europeo", name_en="European Parliament",
                         accessibility_notes="Accesso senza gradini")
    EventFactory(project=project, venue=venue)
    db.session.commit()
    english(client)
    project_page = page(client.get("/projects/resilient/"))
    assert "<h1>Open resources</h1>" in project_page and "<p>About</p>" in project_page
    venue_page = page(client.get(f"/venues/{venue.slug}/"))
    assert "<h1>European Parliament</h1>" in venue_page
    assert '<div lang="it"><p>Accesso senza gradini</p>' in venue_page


def test_materials_show_their_english_title(app, client):
    app.config["EVENT_PAGE_CACHE"] = False
    event = bilingual_event(starts_at=in_days(-3, 8), ends_at=in_days(-3, 16))
    MaterialFactory(event=event, kind="slides", title="Presentazione", title_en="Slides",
                    url="https://example.org/slides")
    db.session.commit()
    english(client)
    assert 'rel="noopener">Slides</a>' in page(client.get("/events/conferenza-finale/"))


# --- feeds --------------------------------------------------------------------------------


def summaries(body: bytes) -> list[str]:
    return sorted(str(c["SUMMARY"]) for c in icalendar.Calendar.from_ical(body).walk("VEVENT"))


def test_the_english_feed_and_event_calendar_carry_english_texts(client):
    bilingual_event()
    italian = client.get("/calendar.ics")
    assert summaries(italian.data) == ["Conferenza finale +RESILIENT"]
    feed = client.get("/calendar.ics?lang=en")
    assert summaries(feed.data) == ["+RESILIENT final conference"]
    assert feed.headers["ETag"] != italian.headers["ETag"]
    [vevent] = icalendar.Calendar.from_ical(feed.data).walk("VEVENT")
    assert "Final results of the project." in str(vevent["DESCRIPTION"])

    one = client.get("/events/conferenza-finale/calendar.ics?lang=en")
    assert summaries(one.data) == ["+RESILIENT final conference"]
    programme = client.get("/events/conferenza-finale/calendar.ics?programme=1&lang=en")
    assert summaries(programme.data) == [
        "Pausa pranzo – +RESILIENT final conference",
        "Round table: open data – +RESILIENT final conference",
    ]
    # The Italian copies were not overwritten by the English ones in the cache.
    assert summaries(client.get("/calendar.ics").data) == ["Conferenza finale +RESILIENT"]


def test_english_pages_link_to_the_english_feeds(app, client):
    app.config["EVENT_PAGE_CACHE"] = False
    bilingual_event()
    italian_list = page(client.get("/events/"))
    assert "/calendar.ics?lang=en" not in italian_list and "webcal://" in italian_list
    english(client)
    listing = page(client.get("/events/"))
    assert re.search(r'href="webcal://[^"]*/calendar\.ics\?lang=en"', listing)
    detail = page(client.get("/events/conferenza-finale/"))
    assert "/events/conferenza-finale/calendar.ics?lang=en" in detail
    assert "/events/conferenza-finale/calendar.ics?programme=1&amp;lang=en" in detail
    assert "Follow all events in your calendar" in listing


# --- PDF ----------------------------------------------------------------------------------


def pdf_text(body: bytes, tmp_path) -> str:
    path = tmp_path / "programme.pdf"
    path.write_bytes(body)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def test_the_programme_pdf_in_english_from_lang_or_from_the_page(client, tmp_path):
    bilingual_event()
    english_pdf = pdf_text(client.get("/events/conferenza-finale/programme.pdf?lang=en").data, tmp_path)
    assert "+RESILIENT final conference" in english_pdf
    assert "Round table: open data" in english_pdf and "Pausa pranzo" in english_pdf
    assert "Conferenza finale" not in english_pdf
    italian_pdf = pdf_text(client.get("/events/conferenza-finale/programme.pdf?lang=it").data, tmp_path)
    assert "Conferenza finale +RESILIENT" in italian_pdf and "Round table" not in italian_pdf

    english(client)
    link = re.search(r'href="([^"]*programme\.pdf[^"]*)"', page(client.get("/events/conferenza-finale/")))
    assert link.group(1).endswith("?lang=en")


# --- e-mails ------------------------------------------------------------------------------


REGISTRATION = {
    "first_name": "Jane", "last_name": "Doe", "email": "jane@example.org",
    "organisation": "Social Coop", "category": "terzo_settore", "country": "BE",
    "privacy_consent": "y",
}


def test_registrants_get_e_mails_with_the_texts_of_their_language(client):
    bilingual_event()
    english(client)
    client.post("/events/conferenza-finale/register", data=REGISTRATION)
    mail = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.recipient == "jane@example.org"))
    assert mail.language == "en"
    assert mail.subject == "Registration confirmed: +RESILIENT final conference"
    assert "+RESILIENT final conference" in mail.body_text and "Conferenza" not in mail.body_text
    [invite] = [a for a in mail.attachments if a["filename"] == "invite.ics"]
    assert summaries(invite["content"].encode()) == ["+RESILIENT final conference"]

    client.post("/language", data={"lang": "it", "next": "/"})
    client.post("/events/conferenza-finale/register", data={**REGISTRATION, "email": "maria@example.org"})
    mail = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.recipient == "maria@example.org"))
    assert mail.subject == "Iscrizione confermata: Conferenza finale +RESILIENT"


# --- newsletter ---------------------------------------------------------------------------


def test_one_issue_reaches_each_subscriber_in_their_language(app, smtp_server):
    app.config.update(BASE_URL="https://eventi.example.org", NEWSLETTER_RATE_PER_SECOND=0)
    event = bilingual_event()
    SubscriberFactory(email="lettrice@example.org", language="it")
    SubscriberFactory(email="reader@example.org", language="en")
    campaign = CampaignFactory(subject="Bandi di marzo", subject_en="March calls",
                               body_markdown="Nuovi **bandi**.", body_markdown_en="",
                               featured_event_ids=[event.id])
    newsletter.schedule_campaign(campaign, None)
    db.session.commit()
    assert send_due_campaigns().sent == 2

    [it_msg] = smtp_server.to("lettrice@example.org")
    assert it_msg["Subject"] == "Bandi di marzo"
    assert "Conferenza finale +RESILIENT" in it_msg.get_body(("html",)).get_content()

    [en_msg] = smtp_server.to("reader@example.org")
    assert en_msg["Subject"] == "March calls"
    html = en_msg.get_body(("html",)).get_content()
    assert "+RESILIENT final conference" in html and "Final results of the project." in html
    # The text has no English version: sent in Italian, marked so.
    assert '<div lang="it"><p>Nuovi <strong>bandi</strong>.</p>' in html
    assert "March calls" in en_msg.get_body(("plain",)).get_content()


# --- back-office --------------------------------------------------------------------------


def test_the_organiser_enters_english_texts_behind_a_disclosure(app, client, auth):
    organiser = UserFactory(email="elena@example.org")
    event = bilingual_event(title_en="", summary_en="")
    event.organisers.append(organiser)
    db.session.commit()
    auth.login(organiser)
    form = page(client.get(f"/admin/events/{event.id}/edit"))
    assert '<summary class="fw-semibold">Versione in inglese</summary>' in form
    assert 'name="title_en"' in form and 'lang="en"' in form
    version = event.version

    data = {
        "title": event.title, "title_en": "  Final conference  ", "summary": event.summary,
        "summary_en": "Results.", "description": event.description, "description_en": "Round tables.",
        "kind": "conference", "format": "in_person", "language": "it", "timezone": "Europe/Rome",
        "starts_at": f"{event.starts_at.astimezone(ROME):%Y-%m-%dT%H:%M}",
        "ends_at": f"{event.ends_at.astimezone(ROME):%Y-%m-%dT%H:%M}", "venue_id": "0",
        "project_id": "0", "registration_mode": "required", "reminder_hours_before": "24",
    }
    assert client.post(f"/admin/events/{event.id}/edit", data=data).status_code == 302
    db.session.refresh(event)
    assert (event.title_en, event.summary_en, event.description_en) == (
        "Final conference", "Results.", "Round tables.")
    assert event.version > version  # pages, feeds and PDFs are rebuilt
    # Once filled, the disclosure opens by itself.
    assert re.search(r'<details class="[^"]*english-version" open>',
                     page(client.get(f"/admin/events/{event.id}/edit")))


def test_an_overlong_english_title_is_refused_beside_its_field(client, auth):
    organiser = UserFactory()
    db.session.commit()
    auth.login(organiser)
    data = {"title": "Conferenza", "title_en": "x" * 301, "kind": "conference", "format": "in_person",
            "language": "it", "timezone": "Europe/Rome", "starts_at": "2030-03-10T09:30",
            "ends_at": "2030-03-10T17:00", "venue_id": "0", "project_id": "0",
            "registration_mode": "required", "reminder_hours_before": "24"}
    html = page(client.post("/admin/events/new", data=data))
    assert 'id="title_en-errors"' in html


# --- API ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/events/conferenza-finale", "/api/v1/events"])
def test_the_api_gives_both_languages(client, path):
    bilingual_event()
    body = client.get(path).get_json()
    event = body if "slug" in body else body["items"][0]
    assert event["title"] == {"it": "Conferenza finale +RESILIENT", "en": "+RESILIENT final conference"}
    assert event["summary"] == {"it": "Risultati finali del progetto.", "en": "Final results of the project."}
    if "description" in event:
        assert event["description"] == {"it": "Tre **tavole rotonde** e tre seminari."}


def test_the_api_gives_programme_items_and_materials_in_both_languages(client):
    event = bilingual_event()
    english_event = EventFactory(slug="final-conference", language="en", title="Final conference",
                                 starts_at=in_days(14, 8), ends_at=in_days(14, 16))
    SessionFactory(event=english_event, title="Keynote", title_en="", description="On **resilience**",
                   starts_at=english_event.starts_at)
    first = event.sessions[0] if event.sessions[0].title.startswith("Tavola") else event.sessions[1]
    first.description, first.description_en = "Con i **partner**", "With the **partners**"
    MaterialFactory(event=event, title="Presentazione", title_en="Slides")
    MaterialFactory(event=event, title="Registrazione")
    db.session.commit()

    body = client.get("/api/v1/events/conferenza-finale").get_json()
    items = {item["title"]["it"]: item for item in body["programme"]}
    assert items["Tavola rotonda: Open Data"]["title"] == {"it": "Tavola rotonda: Open Data",
                                                          "en": "Round table: open data"}
    assert items["Tavola rotonda: Open Data"]["description"] == {"it": "Con i **partner**",
                                                                "en": "With the **partners**"}
    assert items["Pausa pranzo"]["title"] == {"it": "Pausa pranzo"}
    assert items["Pausa pranzo"]["description"] == {}
    assert sorted(m["title"].get("en", "") for m in body["materials"]) == ["", "Slides"]
    assert {"it": "Registrazione"} in [m["title"] for m in body["materials"]]
    # An event written in English gives its programme under "en".
    keynote = client.get("/api/v1/events/final-conference").get_json()["programme"][0]
    assert keynote["title"] == {"en": "Keynote"} and keynote["description"] == {"en": "On **resilience**"}


def test_the_digest_is_written_in_both_languages(app):
    monday = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    bilingual_event(starts_at=monday + timedelta(days=10), ends_at=monday + timedelta(days=10, hours=4))
    digest = prepare_digest(now=monday)
    italian, english_issue = render_campaign(digest, "it"), render_campaign(digest, "en")
    assert "prossime settimane" in italian["subject"] and "Conferenza finale +RESILIENT" in italian["text"]
    assert "coming weeks" in english_issue["subject"]
    assert "Here are the events" in english_issue["text"]
    assert "+RESILIENT final conference" in english_issue["text"]


def test_venues_and_projects_take_their_english_names_in_the_back_office(client, auth):
    auth.login(UserFactory())
    form = page(client.get("/admin/venues/new"))
    assert re.search(r'<details class="[^"]*english-version">', form)  # closed while empty
    assert 'name="name_en"' in form and 'name="accessibility_notes_en"' in form
    client.post("/admin/venues/new", data={"name": "Parlamento europeo", "name_en": "European Parliament",
                                            "city": "Bruxelles", "country": "BE"})
    client.post("/admin/projects/new", data={"name": "Risorse aperte", "name_en": "Open resources",
                                              "status": "ongoing"})
    assert db.session.scalar(sa.select(Venue.name_en)) == "European Parliament"
    assert db.session.scalar(sa.select(Project.name_en)) == "Open resources"

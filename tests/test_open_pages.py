"""Embeds for partner sites, speaker and venue pages, and what machines read:
JSON-LD, Open Graph, hreflang, the share image, sitemap.xml and robots.txt."""
from __future__ import annotations

import io
import json
import re
from xml.etree import ElementTree

import pytest
from PIL import Image

from app.events.models import EventStatus
from app.extensions import db
from tests.factories import (
    EventFactory,
    SessionFactory,
    SpeakerFactory,
    in_days,
    mestre_workshop,
)


@pytest.fixture
def mestre(app):
    event = mestre_workshop(venue={"accessibility_notes": "Ingresso senza gradini."},
                            speaker={"bio": "Studia i cluster."})
    db.session.commit()
    return event


def json_ld(html: str) -> dict:
    return json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html,
                                re.S).group(1))


# --- embeds ------------------------------------------------------------------------


def test_embed_list_is_frameable_and_opens_full_pages_in_a_new_tab(client, mestre):
    EventFactory(slug="altro-progetto", title="Evento di un altro progetto")
    db.session.commit()
    resp = client.get("/embed/events?project=resilient&lang=en&limit=5")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "frame-ancestors *" in resp.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in resp.headers
    assert 'href="http://localhost/events/workshop-mestre/" target="_blank" rel="noopener"' in html
    assert "altro-progetto" not in html
    assert "Upcoming events" in html  # lang=en
    assert re.search(r"/static/js/embed-frame\.[0-9a-f]{12}\.js", html)


def test_embed_framing_follows_the_allowed_origins(app, client, mestre):
    app.config["EMBED_ALLOWED_ORIGINS"] = "https://www.resilient.eu https://partner.example"
    resp = client.get("/embed/events/workshop-mestre")
    policy = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors https://www.resilient.eu https://partner.example" in policy
    # Framed by partners, yet under the same script policy as every other page.
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "Primo giorno" not in resp.get_data(as_text=True)  # a card, not the programme
    assert "secret-room" not in resp.get_data(as_text=True)


def test_only_embeds_may_be_framed(app, mestre):
    from app.security.headers import framed_by

    framed = {rule.endpoint for rule in app.url_map.iter_rules()
              if framed_by(app.view_functions[rule.endpoint]) == ""}
    assert framed == {"embeds.events", "embeds.event"}


def test_embed_of_a_draft_is_a_404(client, app):
    EventFactory(slug="bozza", status=EventStatus.DRAFT)
    db.session.commit()
    assert client.get("/embed/events/bozza").status_code == 404
    assert "bozza" not in client.get("/embed/events").get_data(as_text=True)


def test_the_embed_guide_gives_a_snippet_per_project(client, mestre):
    html = client.get("/embed/").get_data(as_text=True)
    assert ("&lt;script src=&#34;http://localhost/static/js/embed.js&#34; "
            "data-eventi-src=&#34;http://localhost/embed/events?project=resilient&amp;limit=5&#34;"
            in html)


# --- speakers and venues -------------------------------------------------------------


def test_speaker_page_lists_sessions_across_events_and_links_back(client, mestre):
    other = EventFactory(slug="conferenza-venezia", title="Conferenza finale",
                         starts_at=in_days(60), ends_at=in_days(60, 17))
    talk = SessionFactory(event=other, title="Tavola rotonda")
    talk.speakers.append(mestre.sessions[0].speakers[0])
    db.session.commit()
    html = client.get("/speakers/giulia-bianchi/").get_data(as_text=True)
    assert "Ricercatrice" in html and "Studia i cluster." in html
    assert html.index("Tavola rotonda") < html.index("Primo giorno")  # newest event first
    assert 'href="/events/conferenza-venezia/"' in html
    event_page = client.get("/events/workshop-mestre/").get_data(as_text=True)
    assert 'href="/speakers/giulia-bianchi/"' in event_page
    assert 'href="/venues/parco-vega/"' in event_page


def test_a_speaker_only_in_drafts_has_no_page(client, app):
    hidden = SpeakerFactory(name="Non annunciato")
    draft_talk = SessionFactory(event=EventFactory(status=EventStatus.DRAFT))
    draft_talk.speakers.append(hidden)
    db.session.commit()
    assert client.get("/speakers/non-annunciato/").status_code == 404


def test_venue_page_has_address_map_directions_accessibility_and_events(client, mestre):
    html = client.get("/venues/parco-vega/").get_data(as_text=True)
    assert "Via delle Industrie 15" in html
    assert "https://www.openstreetmap.org/?mlat=45.473500" in html
    assert "https://www.openstreetmap.org/directions?route=%3B45.473500%2C12.253600" in html
    assert "Ingresso senza gradini." in html
    assert "Workshop ibrido a Mestre" in html


def test_speakers_with_the_same_name_get_distinct_addresses(app):
    first, second = SpeakerFactory(name="Marco Neri"), SpeakerFactory(name="Marco Neri")
    db.session.flush()
    assert (first.slug, second.slug) == ("marco-neri", "marco-neri-2")


# --- read by machines ----------------------------------------------------------------


def test_event_json_ld_has_what_rich_results_require_and_recommend(client, mestre):
    data = json_ld(client.get("/events/workshop-mestre/").get_data(as_text=True))
    for required in ("name", "startDate", "location"):
        assert data[required]
    for recommended in ("description", "endDate", "eventStatus", "eventAttendanceMode",
                        "image", "offers", "organizer", "performer"):
        assert data[recommended], recommended
    assert data["eventAttendanceMode"] == "https://schema.org/MixedEventAttendanceMode"
    assert data["eventStatus"] == "https://schema.org/EventScheduled"
    place, virtual = data["location"]
    assert place["@type"] == "Place" and place["url"] == "http://localhost/venues/parco-vega/"
    assert virtual == {"@type": "VirtualLocation",
                       "url": "http://localhost/events/workshop-mestre/"}
    assert [p["name"] for p in data["subEvent"]] == ["Primo giorno", "Secondo giorno"]
    assert data["performer"][0]["url"] == "http://localhost/speakers/giulia-bianchi/"
    assert data["offers"]["price"] == 0
    assert data["organizer"]["url"] == "http://localhost/"
    assert "secret-room" not in json.dumps(data)


def test_cancelled_event_says_so_and_offers_nothing(client, mestre):
    mestre.status = EventStatus.CANCELLED
    mestre.bump_version()
    db.session.commit()
    data = json_ld(client.get("/events/workshop-mestre/").get_data(as_text=True))
    assert data["eventStatus"] == "https://schema.org/EventCancelled"
    assert "offers" not in data


def test_open_graph_twitter_canonical_and_hreflang(client, mestre):
    html = client.get("/events/workshop-mestre/").get_data(as_text=True)
    assert '<link rel="canonical" href="http://localhost/events/workshop-mestre/">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    assert re.search(r'<meta property="og:image" content="http://localhost/events/'
                     r'workshop-mestre/share.png\?lang=it&amp;v=\d+">', html)
    for lang in ("it", "en"):
        assert (f'<link rel="alternate" hreflang="{lang}" '
                f'href="http://localhost/events/workshop-mestre/?lang={lang}">') in html


def test_share_image_is_a_1200_by_630_png_and_follows_the_event_version(client, mestre):
    first = client.get("/events/workshop-mestre/share.png?lang=it")
    assert first.mimetype == "image/png"
    assert Image.open(io.BytesIO(first.data)).size == (1200, 630)
    assert client.get("/events/workshop-mestre/share.png?lang=it").data == first.data
    mestre.title = "Un titolo del tutto diverso e più lungo del precedente"
    mestre.bump_version()
    db.session.commit()
    assert client.get("/events/workshop-mestre/share.png?lang=it").data != first.data
    assert client.get("/events/nothing/share.png").status_code == 404


def test_sitemap_lists_every_public_page_with_lastmod_and_no_draft(client, mestre):
    EventFactory(slug="bozza", status=EventStatus.DRAFT)
    db.session.commit()
    resp = client.get("/sitemap.xml")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = ElementTree.fromstring(resp.data)
    urls = {u.findtext("s:loc", namespaces=ns): u.findtext("s:lastmod", namespaces=ns)
            for u in root.findall("s:url", ns)}
    for page in ("http://localhost/", "http://localhost/events/",
                 "http://localhost/events/workshop-mestre/", "http://localhost/projects/resilient/",
                 "http://localhost/speakers/giulia-bianchi/", "http://localhost/venues/parco-vega/"):
        assert page in urls
    assert urls["http://localhost/events/workshop-mestre/"] == mestre.updated_at.date().isoformat()
    assert not any("bozza" in u for u in urls)


def test_robots_keeps_token_pages_and_the_back_office_out(client, app):
    text = client.get("/robots.txt").get_data(as_text=True)
    for private in ("/admin/", "/registrations/", "/calendar/", "/newsletter/unsubscribe/"):
        assert f"Disallow: {private}\n" in text
    assert "Sitemap: http://localhost/sitemap.xml" in text


def test_back_office_event_and_project_pages_show_the_snippet(client, auth, mestre):
    from tests.factories import UserFactory

    admin = UserFactory(role="admin")
    db.session.commit()
    auth.login(admin)
    event_page = client.get(f"/admin/events/{mestre.id}/").get_data(as_text=True)
    assert "data-eventi-src=&#34;http://localhost/embed/events/workshop-mestre&#34;" in event_page
    project_page = client.get(f"/admin/projects/{mestre.project.id}/edit").get_data(as_text=True)
    assert "http://localhost/embed/events?project=resilient&amp;limit=5" in project_page


def test_project_page_shows_priority_status_as_the_seeds_do_and_recordings(client, mestre):
    from app.events.models import ProjectStatus
    from tests.factories import MaterialFactory

    project = mestre.project
    project.priority = "Asse prioritario 1"
    project.status = ProjectStatus.COMPLETED
    past = EventFactory(project=project, slug="webinar-2021", starts_at=in_days(-400),
                        ends_at=in_days(-400, 11))
    MaterialFactory(event=past, title="Webinar del 22 marzo")
    db.session.commit()
    html = client.get("/projects/resilient/").get_data(as_text=True)
    assert "<dt>Progetto in corso</dt><dd>NO</dd>" in html
    assert "Asse prioritario 1" in html
    assert "Webinar del 22 marzo" in html

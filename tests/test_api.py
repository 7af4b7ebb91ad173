"""The public API: what a partner site or app reads from /api/v1/."""
from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from app.events.models import EventFormat, EventKind, EventStatus, Visibility
from app.extensions import db
from tests.factories import (
    EventFactory,
    MaterialFactory,
    RegistrationFactory,
    SessionFactory,
    SpeakerFactory,
    VenueFactory,
    in_days,
    mestre_workshop,
)


@pytest.fixture
def mestre(app):
    """The two-day hybrid workshop in Mestre, with a registrable part per day."""
    event = mestre_workshop(kind=EventKind.WORKSHOP)
    MaterialFactory(event=event, title="Registrazione pubblica")
    MaterialFactory(event=event, title="Slides riservate", visibility=Visibility.REGISTRANTS,
                    url="https://example.org/private-slides")
    RegistrationFactory(event=event, email="maria.rossi@example.org")
    db.session.commit()
    return event


def test_event_list_gives_times_with_offset_and_zone_and_absolute_links(client, mestre):
    resp = client.get("/api/v1/events")
    assert resp.status_code == 200
    item = resp.get_json()["items"][0]
    assert item["slug"] == "workshop-mestre"
    assert item["title"] == {"it": "Workshop ibrido a Mestre"}
    assert item["when"]["timezone"] == "Europe/Rome"
    assert item["when"]["start"].endswith(("+01:00", "+02:00"))
    assert item["links"]["page"] == "http://localhost/events/workshop-mestre/"
    assert item["links"]["ics"] == "http://localhost/events/workshop-mestre/calendar.ics"
    assert item["links"]["programme_pdf"] == "http://localhost/events/workshop-mestre/programme.pdf"
    assert item["links"]["registration"] == "http://localhost/events/workshop-mestre/register"
    assert item["project"]["slug"] == "resilient"
    assert resp.headers["Access-Control-Allow-Origin"] == "*"


def test_one_event_carries_programme_parts_speakers_and_only_public_materials(client, mestre):
    body = client.get("/api/v1/events/workshop-mestre").get_json()
    assert [p["title"] for p in body["parts"]] == [{"it": "Primo giorno"}, {"it": "Secondo giorno"}]
    assert body["programme"][0]["speakers"][0]["url"] == "http://localhost/speakers/giulia-bianchi/"
    assert [m["title"] for m in body["materials"]] == [{"it": "Registrazione pubblica"}]
    assert body["venue"]["url"] == "http://localhost/venues/parco-vega/"


def test_never_a_join_link_a_registrant_or_a_draft(client, mestre):
    EventFactory(slug="bozza-segreta", title="Bozza segreta", status=EventStatus.DRAFT,
                 venue=VenueFactory(name="Sala riservata"))
    draft_speaker = SpeakerFactory(name="Relatore non annunciato")
    draft_session = SessionFactory(event=EventFactory(status=EventStatus.DRAFT), title="x")
    draft_session.speakers.append(draft_speaker)
    db.session.commit()
    everything = "".join(
        client.get(url).get_data(as_text=True)
        for url in ("/api/v1/events?when=all", "/api/v1/events/workshop-mestre",
                    "/api/v1/venues", "/api/v1/speakers", "/api/v1/projects")
    )
    for secret in ("meet.example.org", "secret-room", "maria.rossi", "Bozza segreta",
                   "Sala riservata", "non annunciato", "private-slides"):
        assert secret not in everything
    assert client.get("/api/v1/events/bozza-segreta").status_code == 404


def test_filters_of_the_event_list(client, mestre):
    EventFactory(slug="webinar-online", kind=EventKind.WEBINAR, format=EventFormat.ONLINE,
                 language="en", starts_at=in_days(40), ends_at=in_days(40, 11))
    db.session.commit()

    def slugs(query: str) -> list[str]:
        resp = client.get("/api/v1/events?" + query)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return [e["slug"] for e in resp.get_json()["items"]]

    assert slugs("kind=webinar") == ["webinar-online"]
    assert slugs("format=hybrid") == ["workshop-mestre"]
    assert slugs("project=resilient") == ["workshop-mestre"]
    assert slugs("language=en") == ["webinar-online"]
    assert slugs("q=ibrido") == ["workshop-mestre"]
    assert slugs(f"from={in_days(30).date()}") == ["webinar-online"]
    assert slugs(f"to={in_days(30).date()}") == ["workshop-mestre"]
    assert slugs("speaker=giulia-bianchi") == ["workshop-mestre"]
    assert slugs("venue=parco-vega") == ["workshop-mestre"]


def test_a_bad_parameter_is_a_400_naming_it(client, mestre):
    resp = client.get("/api/v1/events?kind=party&per_page=0")
    assert resp.status_code == 400
    assert resp.mimetype == "application/problem+json"
    assert set(resp.get_json()["errors"]) == {"kind", "per_page"}


def test_pages_are_linked_in_the_body_and_the_link_header(client, app):
    for n in range(5):
        EventFactory(slug=f"e-{n}", starts_at=in_days(5 + n), ends_at=in_days(5 + n, 12))
    db.session.commit()
    resp = client.get("/api/v1/events?per_page=2&page=2")
    body = resp.get_json()
    assert body["total"] == 5 and [e["slug"] for e in body["items"]] == ["e-2", "e-3"]
    link = resp.headers["Link"]
    assert '<http://localhost/api/v1/events?page=3&per_page=2>; rel="next"' in link
    assert '<http://localhost/api/v1/events?page=1&per_page=2>; rel="prev"' in link
    assert '<http://localhost/api/v1/events?page=3&per_page=2>; rel="last"' in link
    assert body["links"]["next"] == "http://localhost/api/v1/events?page=3&per_page=2"


def test_etag_gives_304_until_the_event_changes(client, mestre):
    first = client.get("/api/v1/events/workshop-mestre")
    etag = first.headers["ETag"]
    again = client.get("/api/v1/events/workshop-mestre", headers={"If-None-Match": etag})
    assert again.status_code == 304
    listing = client.get("/api/v1/events")
    mestre.title = "Workshop ibrido a Mestre (nuova data)"
    mestre.bump_version()
    db.session.commit()
    changed = client.get("/api/v1/events/workshop-mestre", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.get_json()["title"]["it"].endswith("(nuova data)")
    relisted = client.get("/api/v1/events", headers={"If-None-Match": listing.headers["ETag"]})
    assert relisted.status_code == 200
    assert relisted.get_json()["items"][0]["title"]["it"].endswith("(nuova data)")


def test_a_cached_list_costs_two_queries(client, mestre, count_queries):
    client.get("/api/v1/events")
    with count_queries() as n:
        assert client.get("/api/v1/events").status_code == 200
    assert n() <= 2


def test_projects_venues_and_speakers(client, mestre):
    project = client.get("/api/v1/projects/resilient").get_json()
    assert project["events_url"].startswith("http://localhost/api/v1/events?")
    venues = client.get("/api/v1/venues").get_json()["items"]
    assert [v["slug"] for v in venues] == ["parco-vega"]
    assert venues[0]["map_url"].startswith("https://www.openstreetmap.org/")
    speaker = client.get("/api/v1/speakers/giulia-bianchi").get_json()
    assert speaker["role"] == "Ricercatrice"


def test_unknown_paths_answer_in_the_problem_shape(client, app):
    resp = client.get("/api/v1/nothing-here")
    assert resp.status_code == 404 and resp.get_json()["status"] == 404
    assert client.get("/api/v1/events/nope").get_json()["title"] == "Not found"


def test_the_openapi_document_is_valid_3_1_and_describes_every_route(client, app):
    doc = client.get("/api/v1/openapi.json").get_json()
    validate(doc)
    assert doc["openapi"] == "3.1.0"
    assert {"/api/v1/events", "/api/v1/events/{slug}", "/api/v1/projects", "/api/v1/venues",
            "/api/v1/speakers", "/api/v1/organiser/events/{event_id}/registrations",
            "/api/v1/organiser/events/{event_id}/checkin"} <= set(doc["paths"])
    names = {p["name"] for p in doc["paths"]["/api/v1/events"]["get"]["parameters"]}
    assert {"kind", "format", "project", "from", "to", "q", "language", "page"} <= names
    served = {r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1/")}
    assert served - {"/api/v1/openapi.json", "/api/v1/<path:rest>"} == {
        p.replace("{event_id}", "<int:event_id>").replace("{slug}", "<slug>")
        for p in doc["paths"]
    }


def test_the_documentation_page_uses_local_files_only(client, app):
    html = client.get("/api/").get_data(as_text=True)
    assert re.search(r"/static/vendor/swagger-ui/swagger-ui-bundle(\.[0-9a-f]{12})?\.js", html)
    assert "https://" not in html.split("<main", 1)[1].split("</main>", 1)[0].replace(
        "https://schema.org", "")

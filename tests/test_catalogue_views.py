"""The public catalogue as a visitor sees it: lists, filters, event and project pages."""
from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from app.db import utcnow
from app.events.models import (
    EventFormat,
    EventKind,
    EventStatus,
    MaterialKind,
    ProjectStatus,
    Visibility,
)
from app.extensions import db
from tests.factories import (
    EventFactory,
    MaterialFactory,
    ProjectFactory,
    SessionFactory,
    SpeakerFactory,
    in_days,
)


def text(resp) -> str:
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def results(resp) -> str:
    """The list of events found, without the search form and its labels."""
    html = text(resp)
    return html[html.index('id="results-title"'):]


def json_ld(html: str) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match, "no JSON-LD on the page"
    return json.loads(match.group(1))


def og(html: str, prop: str) -> str:
    match = re.search(rf'<meta property="og:{prop}" content="([^"]*)">', html)
    assert match, f"no og:{prop}"
    return match.group(1)


def rome(y, m, d, hh=9, mm=0) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(y, m, d, hh, mm, tzinfo=ZoneInfo("Europe/Rome")).astimezone(UTC)


# --- drafts ---------------------------------------------------------------------------


def test_a_draft_appears_nowhere_public(client):
    project = ProjectFactory(name="+RESILIENT", slug="resilient")
    draft = EventFactory(title="Bozza riservata", slug="bozza", status=EventStatus.DRAFT,
                         project=project, summary="resilienza")
    old_draft = EventFactory(title="Bozza passata", slug="bozza-passata", status=EventStatus.DRAFT,
                             starts_at=in_days(-30), ends_at=in_days(-30, 12), project=project)
    MaterialFactory(event=old_draft, title="Registrazione nascosta", url="https://example.org/hidden")
    EventFactory(title="Evento pubblico", slug="pubblico", project=project)
    db.session.commit()

    pages = [
        "/", "/events/", "/events/?when=past", "/events/?when=all", "/events/?q=bozza",
        "/events/?q=resilienza", "/events/?project=resilient", "/projects/", "/projects/resilient/",
    ]
    for url in pages:
        html = text(client.get(url))
        assert "Bozza" not in html, url
        assert "example.org/hidden" not in html, url
    assert "Evento pubblico" in text(client.get("/projects/resilient/"))
    assert "1 evento" in text(client.get("/projects/"))
    assert client.get(f"/events/{draft.slug}/").status_code == 404
    assert client.get(f"/events/{old_draft.slug}/").status_code == 404


# --- escaping ---------------------------------------------------------------------------


def test_html_and_script_in_titles_and_markdown_come_out_escaped_or_stripped(client):
    evil_title = '</script><script>alert("t")</script><!-- <b>bold</b>'
    event = EventFactory(
        slug="evil",
        title=evil_title,
        summary='<img src=x onerror=alert("s")>',
        description=(
            "Intro <script>alert('d')</script>\n\n"
            "<img src=x onerror=alert(1)>\n\n"
            "[clic](javascript:alert(1)) e [sito](https://example.org)"
        ),
        contact_notes="<iframe src=//evil></iframe>",
    )
    SessionFactory(event=event, title='<script>alert("s")</script>',
                   speakers=[SpeakerFactory(name="<b onmouseover=alert(1)>Mallory</b>")])
    db.session.commit()
    for url in ("/events/", "/", "/events/evil/"):
        html = text(client.get(url))
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html, url
        assert "&lt;/script&gt;&lt;script&gt;alert(" in html, url
    html = text(client.get("/events/evil/"))
    assert 'href="javascript:' not in html
    assert '<a href="https://example.org"' in html
    assert "<iframe" not in html
    assert "<b onmouseover" not in html and "&lt;b onmouseover=alert(1)&gt;Mallory" in html
    # The structured data cannot close its own <script> element or open a comment.
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in script and ">" not in script
    assert json.loads(script)["name"] == evil_title
    assert og(html, "title").startswith("&lt;/script&gt;")


# --- the list: filters, pagination, past and upcoming -----------------------------------


def test_upcoming_by_default_past_on_request_in_the_right_order(client):
    EventFactory(title="Fra due settimane", starts_at=in_days(14), ends_at=in_days(14, 12))
    EventFactory(title="Domani", starts_at=in_days(1), ends_at=in_days(1, 12))
    EventFactory(title="Ieri", starts_at=in_days(-1), ends_at=in_days(-1, 12))
    EventFactory(title="Anno scorso", starts_at=in_days(-365), ends_at=in_days(-365, 12))
    db.session.commit()

    upcoming = text(client.get("/events/"))
    assert "Ieri" not in upcoming and "Anno scorso" not in upcoming
    assert upcoming.index("Domani") < upcoming.index("Fra due settimane")
    assert "2 eventi in programma" in upcoming

    past = text(client.get("/events/?when=past"))
    assert "Domani" not in past
    assert past.index("Ieri") < past.index("Anno scorso")  # most recent first
    assert 'aria-current="page">Passati' in past


def test_an_event_under_way_is_still_upcoming(client):
    EventFactory(title="In corso", starts_at=in_days(-1), ends_at=in_days(1))
    db.session.commit()
    assert "In corso" in text(client.get("/events/"))


def test_filters_by_kind_project_and_words_in_title_or_summary(client):
    resilient = ProjectFactory(name="Mediterranean Open Resources", acronym="+RESILIENT", slug="resilient")
    talia = ProjectFactory(name="TALIA", slug="talia")
    EventFactory(title="Webinar open data", kind=EventKind.WEBINAR, project=resilient)
    EventFactory(title="Conferenza finale", kind=EventKind.CONFERENCE, project=resilient,
                 summary="Risultati sugli OPEN data")
    EventFactory(title="Documentario MEET", kind=EventKind.SCREENING, project=talia,
                 description="open data only in the description")
    EventFactory(title="100% sconto", summary="percentuali")
    db.session.commit()

    html = results(client.get("/events/?kind=webinar"))
    assert "Webinar open data" in html and "Conferenza finale" not in html

    html = results(client.get("/events/?project=resilient"))
    assert "Webinar open data" in html and "Conferenza finale" in html and "Documentario" not in html

    html = results(client.get("/events/?q=Open+Data"))
    assert "Webinar open data" in html and "Conferenza finale" in html
    assert "Documentario" not in html  # the description is not searched

    html = results(client.get("/events/?q=open&kind=conference&project=resilient"))
    assert "Conferenza finale" in html and "Webinar open data" not in html

    # LIKE wildcards are searched literally.
    html = results(client.get("/events/?q=%25"))
    assert "100% sconto" in html and "Webinar" not in html

    # The form shows the choices made, with labels a screen reader announces.
    html = text(client.get("/events/?kind=webinar&project=resilient&q=open"))
    assert '<option selected value="webinar">Webinar</option>' in html
    assert '<option selected value="resilient">+RESILIENT</option>' in html
    assert '<label class="form-label fw-semibold" for="q">Cerca nei titoli e nelle descrizioni</label>' in html
    assert 'value="open"' in html


def test_unknown_filter_values_are_ignored_rather_than_failing(client):
    EventFactory(title="Evento")
    db.session.commit()
    for url in ("/events/?kind=party", "/events/?when=tomorrow", "/events/?project=nope&page=x",
                "/events/?page=999", "/events/?q=" + "x" * 500):
        assert client.get(url).status_code == 200, url
    assert "Evento" in text(client.get("/events/?kind=party"))


def test_pagination_keeps_the_filters(app, client):
    app.config["EVENTS_PER_PAGE"] = 2
    for i in range(5):
        EventFactory(title=f"Webinar {i}", kind=EventKind.WEBINAR, starts_at=in_days(i + 1),
                     ends_at=in_days(i + 1, 12))
    EventFactory(title="Conferenza", kind=EventKind.CONFERENCE)
    db.session.commit()

    first = results(client.get("/events/?kind=webinar"))
    assert "Webinar 0" in first and "Webinar 1" in first and "Webinar 2" not in first
    assert "5 eventi in programma" in first
    assert re.search(r'href="/events/\?(page=2&amp;kind=webinar|kind=webinar&amp;page=2)"', first)
    third = results(client.get("/events/?kind=webinar&page=3"))
    assert "Webinar 4" in third and "Conferenza" not in third
    assert 'aria-current="page">3</a>' in third


def test_cancelled_events_stay_visible_and_marked(client):
    EventFactory(title="Visita annullata", slug="annullata", status=EventStatus.CANCELLED,
                 cancelled_at=utcnow())
    db.session.commit()
    html = text(client.get("/events/"))
    assert "Visita annullata" in html and re.search(r"badge bg-danger\">Annullat[oa]<", html)
    page = text(client.get("/events/annullata/"))
    assert "Questo evento è stato annullato." in page
    assert json_ld(page)["eventStatus"] == "https://schema.org/EventCancelled"


# --- the event page --------------------------------------------------------------------


@pytest.fixture
def mestre(app):
    """The seed's hybrid two-day event: people attend Monday, Tuesday or both."""
    project = ProjectFactory(name="Mediterranean Open Resources", acronym="+RESILIENT",
                             slug="resilient", programme="Interreg MED 2014-2020")
    event = EventFactory(
        slug="mestre",
        title="Capitalizzazione +Resilient",
        kind=EventKind.WORKSHOP,
        format=EventFormat.HYBRID,
        project=project,
        starts_at=rome(2022, 1, 17, 9, 45),
        ends_at=rome(2022, 1, 18, 13, 0),
        online_join_url="https://meet.example.org/secret-room-42",
        contact_name="Progetti territoriali",
        contact_phone="0437 955140",
        contact_email="progetti.territoriali@tb.camcom.it",
        contact_notes="Sede di Belluno\nPiazza Santo Stefano, 15 - 32100 Belluno",
    )
    speaker = SpeakerFactory(name="Giulia Rossi", affiliation="Università Ca’ Foscari")
    SessionFactory(event=event, title="Open data e mismatch", starts_at=rome(2022, 1, 17, 9, 45),
                   ends_at=rome(2022, 1, 17, 17, 0), room="Sala Saturno", registrable=True,
                   capacity=5, speakers=[speaker])
    SessionFactory(event=event, title="Transizione giusta", starts_at=rome(2022, 1, 18, 9, 0),
                   ends_at=rome(2022, 1, 18, 13, 0), registrable=True, capacity=5)
    MaterialFactory(event=event, kind=MaterialKind.RECORDING, title="Video",
                    url="https://opensocialclusters.eu/5thtransfer-webinar-social-innovation-and-tourism/")
    MaterialFactory(event=event, kind=MaterialKind.SLIDES, title="Slide riservate",
                    url="https://example.org/private-slides", visibility=Visibility.REGISTRANTS)
    db.session.commit()
    return event


def test_event_page_lists_each_day_in_italian_with_programme_venue_and_contacts(client, mestre):
    html = text(client.get("/events/mestre/"))
    assert "lunedì 17 gennaio 2022, 9:45–17:00" in html
    assert "martedì 18 gennaio 2022, 9:00–13:00" in html
    assert "In presenza e online" in html and "Workshop" in html
    # programme grouped by day, with time, room and speaker with affiliation
    assert html.index("Open data e mismatch") < html.index("Transizione giusta")
    assert "Sala Saturno" in html
    assert "Giulia Rossi" in html and "Università Ca’ Foscari" in html
    # venue, address and map
    assert "Parco scientifico e tecnologico Vega" in html and "Via delle Industrie 15" in html
    assert "https://www.openstreetmap.org/?mlat=45.473500&amp;mlon=12.253600" in html
    assert "Si può partecipare anche online." in html
    # recordings yes, registrants-only materials no, and never the joining link
    assert "Rivedi la registrazione" in html
    assert "opensocialclusters.eu/5thtransfer-webinar" in html
    assert "private-slides" not in html and "Slide riservate" not in html
    assert "secret-room-42" not in html
    # project box and the office contact block
    assert 'href="/projects/resilient/"' in html
    assert "Piazza Santo Stefano, 15 - 32100 Belluno" in html
    assert 'href="mailto:progetti.territoriali@tb.camcom.it"' in html


def test_event_page_in_english(client, mestre):
    client.post("/language", data={"lang": "en", "next": "/events/mestre/"})
    html = text(client.get("/events/mestre/"))
    assert "Monday 17 January 2022, 9:45–17:00" in html
    assert "Tuesday 18 January 2022, 9:00–13:00" in html
    assert "Replay the recording" in html
    assert '<html lang="en">' in html
    # and the choice persists on the next page
    assert "Upcoming" in text(client.get("/events/"))


def test_event_page_structured_data_and_open_graph(client, mestre):
    html = text(client.get("/events/mestre/"))
    data = json_ld(html)
    assert data["@type"] == "Event"
    assert data["name"] == "Capitalizzazione +Resilient"
    assert data["startDate"] == "2022-01-17T09:45:00+01:00"
    assert data["endDate"] == "2022-01-18T13:00:00+01:00"
    assert data["eventStatus"] == "https://schema.org/EventScheduled"
    assert data["eventAttendanceMode"] == "https://schema.org/MixedEventAttendanceMode"
    place, virtual = data["location"]
    assert place["@type"] == "Place"
    assert place["address"]["streetAddress"] == "Via delle Industrie 15"
    assert place["address"]["addressCountry"] == "IT"
    assert virtual == {"@type": "VirtualLocation", "url": "http://localhost/events/mestre/"}
    assert data["organizer"]["@type"] == "Organization"
    assert data["organizer"]["email"] == "progetti.territoriali@tb.camcom.it"
    assert "secret-room-42" not in json.dumps(data)

    assert og(html, "title") == "Capitalizzazione +Resilient"
    assert og(html, "url") == "http://localhost/events/mestre/"
    assert og(html, "description") == "A day on social innovation."
    assert og(html, "locale") == "it_IT"
    assert '<link rel="canonical" href="http://localhost/events/mestre/">' in html


def test_online_event_structured_data_has_only_a_virtual_location(client):
    EventFactory(slug="webinar", format=EventFormat.ONLINE, kind=EventKind.WEBINAR, venue=None,
                 online_join_url="https://zoom.example/j/123")
    db.session.commit()
    html = text(client.get("/events/webinar/"))
    data = json_ld(html)
    assert data["eventAttendanceMode"] == "https://schema.org/OnlineEventAttendanceMode"
    assert data["location"]["@type"] == "VirtualLocation"
    assert "Evento online." in html
    assert "zoom.example" not in html


def test_dates_follow_daylight_saving_in_the_event_time_zone(client):
    # 27 March 2022: Rome moves to summer time at 2:00. 10:00 local is 08:00 UTC.
    EventFactory(slug="dst", starts_at=datetime(2022, 3, 27, 8, 0, tzinfo=UTC),
                 ends_at=datetime(2022, 3, 27, 15, 0, tzinfo=UTC))
    # Past midnight in Rome but still the previous day in UTC.
    EventFactory(slug="night", starts_at=datetime(2022, 10, 29, 22, 30, tzinfo=UTC),
                 ends_at=datetime(2022, 10, 30, 1, 0, tzinfo=UTC))
    # Brussels mission in winter: the event's own time zone is used.
    EventFactory(slug="marseille", timezone="Europe/Paris",
                 starts_at=datetime(2016, 12, 5, 8, 0, tzinfo=UTC),
                 ends_at=datetime(2016, 12, 7, 15, 0, tzinfo=UTC))
    db.session.commit()
    assert "domenica 27 marzo 2022, 10:00–17:00" in text(client.get("/events/dst/"))
    # 30 Oct 2022: summer time ends at 3:00 -> 00:30 CEST to 02:00 CET.
    assert "domenica 30 ottobre 2022, 0:30–2:00" in text(client.get("/events/night/"))
    marseille = text(client.get("/events/marseille/"))
    assert "5–7 dicembre 2016" in marseille
    assert "Orari nel fuso orario Europe/Paris." in marseille
    client.post("/language", data={"lang": "en"})
    assert "Sunday 27 March 2022, 10:00–17:00" in text(client.get("/events/dst/"))


def test_programme_groups_sessions_by_local_day(client):
    event = EventFactory(slug="torino", kind=EventKind.STUDY_VISIT,
                         starts_at=rome(2024, 11, 5, 9, 30), ends_at=rome(2024, 11, 7, 13))
    for day, title in ((5, "Presentazioni"), (6, "Visite ai progetti"), (7, "Conclusioni")):
        SessionFactory(event=event, title=title, starts_at=rome(2024, 11, day, 9, 30),
                       ends_at=rome(2024, 11, day, 12, 30))
    SessionFactory(event=event, title="Cena di lavoro", starts_at=rome(2024, 11, 5, 23, 30),
                   ends_at=rome(2024, 11, 5, 23, 50))
    db.session.commit()
    html = text(client.get("/events/torino/"))
    days = re.findall(r'<h3 class="h5 programme-day">([^<]+)</h3>', html)
    assert days == ["martedì 5 novembre 2024", "mercoledì 6 novembre 2024", "giovedì 7 novembre 2024"]
    # a late session stays on its local day, after the morning one
    assert html.index("Presentazioni") < html.index("Cena di lavoro") < html.index("mercoledì 6")
    assert "5–7 novembre 2024" in text(client.get("/events/?when=past"))


def test_unknown_event_and_project_give_404(client):
    assert client.get("/events/nope/").status_code == 404
    assert client.get("/projects/nope/").status_code == 404


# --- query counts ------------------------------------------------------------------------


def _event_with_programme(slug: str, n: int, start_offset: int):
    event = EventFactory(slug=slug, starts_at=in_days(start_offset), ends_at=in_days(start_offset + 2))
    MaterialFactory(event=event)
    for i in range(n):
        SessionFactory(event=event, starts_at=event.starts_at + timedelta(hours=i),
                       ends_at=event.starts_at + timedelta(hours=i, minutes=50),
                       speakers=[SpeakerFactory(), SpeakerFactory()])
    return event


def test_query_count_does_not_grow_with_sessions_and_speakers(app, client, count_queries):
    app.config["EVENT_PAGE_CACHE"] = False
    _event_with_programme("small", 5, 10)
    _event_with_programme("large", 50, 20)
    db.session.commit()

    counts = {}
    for slug in ("small", "large"):
        with count_queries() as n:
            resp = client.get(f"/events/{slug}/")
        assert resp.status_code == 200
        counts[slug] = n()
    assert counts["small"] == counts["large"]
    assert resp.get_data(as_text=True).count('class="programme-item') == 50


def test_list_query_count_does_not_grow_with_events_or_their_programme(client, count_queries):
    project = ProjectFactory()
    for i in range(3):
        _event_with_programme(f"few-{i}", 5, 10 + i).project = project
    db.session.commit()
    with count_queries() as n:
        text(client.get("/events/"))
    few = n()
    for i in range(15):
        _event_with_programme(f"many-{i}", 50 if i == 0 else 1, 20 + i).project = project
    db.session.commit()
    with count_queries() as n:
        html = text(client.get("/events/"))
    assert n() == few
    assert "18 eventi in programma" in html


# --- home and projects --------------------------------------------------------------------


def test_home_shows_upcoming_events_and_latest_recordings(client):
    EventFactory(title="Webinar di domani", starts_at=in_days(1), ends_at=in_days(1, 12))
    past = EventFactory(title="Webinar del 22 marzo", starts_at=in_days(-30), ends_at=in_days(-30, 12))
    MaterialFactory(event=past, url="https://opensocialclusters.eu/5thtransfer-webinar-social-innovation-and-tourism/")
    MaterialFactory(event=past, kind=MaterialKind.RECORDING, title="Solo iscritti",
                    url="https://example.org/registrants", visibility=Visibility.REGISTRANTS)
    db.session.commit()
    html = text(client.get("/"))
    assert "Webinar di domani" in html
    assert "Webinar del 22 marzo" in html and "Rivedi la registrazione" in html
    assert "example.org/registrants" not in html


def test_project_page_shows_facts_partners_and_events(client):
    project = ProjectFactory(
        name="Mediterranean Open REsouRcEs for Social Innovation", acronym="+RESILIENT",
        slug="resilient", budget=Decimal("3278529.80"), starts_on=date(2018, 2, 1),
        ends_on=date(2022, 1, 31), status=ProjectStatus.COMPLETED,
        partners="Comune di Prato (Italia)\nComune di Tunis (Tunisia)",
        description="RESILIENT mette insieme una partnership di **8 paesi MED**.",
    )
    EventFactory(title="Conferenza finale", project=project, starts_at=in_days(-300), ends_at=in_days(-300, 17))
    EventFactory(title="Incontro futuro", project=project)
    EventFactory(title="Altro progetto")
    db.session.commit()

    html = text(client.get("/projects/resilient/"))
    assert "3.278.529,80\xa0€" in html
    assert "dal 1 febbraio 2018 al 31 gennaio 2022" in html
    assert "Concluso" in html or "Completato" in html
    assert "<li>Comune di Tunis (Tunisia)</li>" in html
    assert "<strong>8 paesi MED</strong>" in html
    assert html.index("Incontro futuro") < html.index("Conferenza finale")
    assert "Altro progetto" not in html

    index = text(client.get("/projects/"))
    assert 'href="/projects/resilient/"' in index and "2 eventi" in index

    client.post("/language", data={"lang": "en"})
    assert "€3,278,529.80" in text(client.get("/projects/resilient/"))

"""The public feed joins each event's cached VEVENTs: an edit serialises only that event
again, each language keeps its own, and the joined feed is the feed built whole."""
from __future__ import annotations

import pytest

from app.calendars import ical, services
from app.events.models import EventKind
from app.events.services import EventFilters
from app.extensions import db
from tests.factories import EventFactory, SessionFactory


@pytest.fixture
def serialised(monkeypatch):
    """The events serialised anew (fragments not found in the cache), by slug."""
    seen: list[str] = []
    real = ical.event_fragment

    def spy(event, parts):
        seen.append(event.slug)
        return real(event, parts)

    monkeypatch.setattr(ical, "event_fragment", spy)
    return seen


def feed(client, url="/calendar.ics") -> bytes:
    resp = client.get(url)
    assert resp.status_code == 200
    return resp.data


def test_after_one_edit_only_that_event_is_serialised_again(client, serialised):
    events = [EventFactory(slug=f"evento-{i}", title=f"Evento {i}") for i in range(4)]
    SessionFactory(event=events[1], registrable=True, title="Giorno uno")
    db.session.commit()
    assert b"Evento 3" in feed(client)
    assert sorted(serialised) == [f"evento-{i}" for i in range(4)]

    serialised.clear()
    events[2].title = "Evento due, nuovo titolo"
    events[2].bump_version()
    db.session.commit()
    body = feed(client)
    assert serialised == ["evento-2"]
    assert b"nuovo titolo" in body and b"Evento 3" in body and b"Giorno uno" in body


def test_each_language_has_its_own_fragments(client, serialised):
    EventFactory(slug="conferenza", kind=EventKind.CONFERENCE)
    db.session.commit()
    italian = feed(client, "/calendar.ics?lang=it")
    english = feed(client, "/calendar.ics?lang=en")
    assert serialised == ["conferenza", "conferenza"]
    assert b"CATEGORIES:Conferenza" in italian
    assert b"CATEGORIES:Conference" in english
    serialised.clear()
    assert feed(client, "/calendar.ics?lang=en&kind=conference").count(b"BEGIN:VEVENT") == 1
    assert serialised == []  # a filtered feed reuses the same fragments


def test_the_joined_feed_is_the_feed_built_whole(app):
    events = [EventFactory(slug=f"evento-{i}") for i in range(3)]
    SessionFactory(event=events[0], registrable=True)
    SessionFactory(event=events[0], registrable=True)
    db.session.commit()
    with app.test_request_context("/"):
        joined = services.render_public_feed(EventFilters(when="all"), name="Eventi", language="it")
        listed, parts = services.public_feed_events(EventFilters(when="all"))
        entries = [e for ev in listed for e in ical.event_entries(ev, parts.get(ev.id))]
        whole = ical.build_calendar(entries, method="PUBLISH", name="Eventi")
    assert joined == whole
    assert joined.count(b"BEGIN:VEVENT") == 4


def test_a_rebuild_after_an_edit_loads_only_the_edited_event(client, count_queries):
    events = [EventFactory(slug=f"evento-{i}") for i in range(5)]
    db.session.commit()
    feed(client)
    events[0].bump_version()
    db.session.commit()
    db.session.expire_all()
    with count_queries() as n:
        feed(client)
    events_loaded = [q for q in n.log if q.lstrip().upper().startswith("SELECT EVENTS.ID, EVENTS.SLUG")]
    assert len(events_loaded) == 1 and "IN (" in events_loaded[0].upper()

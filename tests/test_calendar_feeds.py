"""Calendar feeds as calendar apps read them: parsed by icalendar and by vobject (validate=True)."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import sqlalchemy as sa
import vobject

from app.calendars.models import CalendarFeedToken, get_or_create_feed_token
from app.db import utcnow
from app.events.models import EventFormat, EventKind, EventStatus
from app.extensions import db
from app.registrations.models import AttendanceMode, RegistrationStatus
from tests.factories import (
    EventFactory,
    ProjectFactory,
    RegistrationFactory,
    SessionFactory,
    VenueFactory,
    in_days,
)

ROME = ZoneInfo("Europe/Rome")


def rome(*args) -> datetime:
    return datetime(*args, tzinfo=ROME)


def next_year() -> int:
    """A year whose dates are all ahead of the clock, so they stay in the feeds."""
    return utcnow().year + 1


def last_sunday(year: int, month: int) -> date:
    """The last Sunday of a month: the day Europe changes clocks in March and October."""
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - 6) % 7)


def parse(data: bytes):
    """Both parsers must accept the document; returns (icalendar, vobject) views."""
    cal = icalendar.Calendar.from_ical(data)
    vcal = vobject.readOne(data.decode("utf-8"), validate=True)
    return cal, vcal


def get_ics(client, url, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == 200, response.data[:300]
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return response


@pytest.fixture
def mestre(app):
    """The two-day hybrid event in Mestre, attended one day or both."""
    project = ProjectFactory(name="+RESILIENT", acronym="+RESILIENT", slug="resilient")
    event = EventFactory(
        slug="mestre-2027", title="Innovazione sociale – Mestre, due giornate",
        kind=EventKind.WORKSHOP, format=EventFormat.HYBRID, project=project,
        starts_at=rome(2027, 1, 17, 9, 45), ends_at=rome(2027, 1, 18, 13, 0),
        description="Il **programma** completo; due giornate.\n\nPer l'Università e le imprese.",
        online_join_url="https://meet.example.org/secret-room",
    )
    day1 = SessionFactory(event=event, title="Prima giornata", registrable=True,
                          starts_at=rome(2027, 1, 17, 9, 45), ends_at=rome(2027, 1, 17, 17, 0))
    day2 = SessionFactory(event=event, title="Seconda giornata", registrable=True,
                          starts_at=rome(2027, 1, 18, 9, 0), ends_at=rome(2027, 1, 18, 13, 0))
    SessionFactory(event=event, title="Saluti istituzionali", room="Sala Berlino",
                   starts_at=rome(2027, 1, 17, 9, 45), ends_at=rome(2027, 1, 17, 10, 15))
    db.session.commit()
    return event, day1, day2


def test_event_calendar_has_every_property_calendar_apps_use(app, client):
    venue = VenueFactory(name="Bruxelles – Parlamento europeo", address="Rue Wiertz 60",
                         city="Bruxelles", postcode="1047", country="BE",
                         latitude=50.8386, longitude=4.3755)
    project = ProjectFactory(name="Social&Creative", acronym="S&C", slug="social-creative")
    event = EventFactory(
        slug="policy-brussels", title="Policy event; Università, imprese e territori",
        kind=EventKind.POLICY_EVENT, venue=venue, project=project,
        starts_at=rome(2027, 4, 20, 14, 30), ends_at=rome(2027, 4, 20, 18, 0),
        summary="Risultati del progetto, a Bruxelles.",
        description="## Agenda\n\nInterventi **dei partner**, con traduzione.",
        contact_name="Ufficio Progetti", contact_email="progetti@example.org",
    )
    db.session.commit()

    response = get_ics(client, "/events/policy-brussels/calendar.ics")
    assert "attachment" in response.headers["Content-Disposition"]
    cal, vcal = parse(response.data)

    assert cal["VERSION"] == "2.0" and cal["PRODID"] and cal["CALSCALE"] == "GREGORIAN"
    assert cal["METHOD"] == "PUBLISH"
    [tz] = cal.timezones
    assert tz["TZID"] == "Europe/Rome"
    [vevent] = cal.events
    assert vevent["UID"] == f"event-{event.id}@eventi.local"
    assert vevent.start == rome(2027, 4, 20, 14, 30)
    assert vevent["DTSTART"].params["TZID"] == "Europe/Rome"
    assert vevent["SUMMARY"] == "Policy event; Università, imprese e territori"
    assert vevent["LOCATION"] == "Bruxelles – Parlamento europeo, Rue Wiertz 60, 1047 Bruxelles"
    assert vevent["GEO"].latitude == pytest.approx(50.8386)
    assert vevent["URL"] == "http://localhost/events/policy-brussels/"
    assert "Interventi dei partner, con traduzione." in vevent["DESCRIPTION"]
    assert "**" not in vevent["DESCRIPTION"] and "##" not in vevent["DESCRIPTION"]
    assert [str(c) for c in vevent.categories] == ["Evento istituzionale", "S&C"]
    assert vevent["ORGANIZER"] == "mailto:progetti@example.org"
    assert vevent["ORGANIZER"].params["CN"] == "Ufficio Progetti"
    assert vevent["STATUS"] == "CONFIRMED"
    assert vevent["SEQUENCE"] == 0 and vevent["DTSTAMP"] and vevent["LAST-MODIFIED"]

    # The independent parser reads the same text back, escaping undone.
    ve = vcal.vevent
    assert ve.summary.value == "Policy event; Università, imprese e territori"
    assert ve.location.value.startswith("Bruxelles – Parlamento europeo, Rue Wiertz 60")
    assert ve.dtstart.value.utcoffset() == timedelta(hours=2)
    assert "Risultati del progetto, a Bruxelles.\n\nAgenda\n\nInterventi" in ve.description.value
    # Escaped separators and folded lines of at most 75 octets in the raw text.
    raw = response.data.decode()
    assert "Policy event\\; Università\\, imprese e territori" in raw
    assert all(len(line.encode()) <= 75 for line in raw.split("\r\n"))


def test_multi_part_event_is_one_entry_per_day_never_a_block_across_the_night(mestre, client):
    event, day1, day2 = mestre
    cal, vcal = parse(get_ics(client, "/events/mestre-2027/calendar.ics").data)
    spans = sorted((ve.start, ve.end, str(ve["UID"])) for ve in cal.events)
    assert spans == [
        (rome(2027, 1, 17, 9, 45), rome(2027, 1, 17, 17, 0), f"event-{event.id}-part-{day1.id}@eventi.local"),
        (rome(2027, 1, 18, 9, 0), rome(2027, 1, 18, 13, 0), f"event-{event.id}-part-{day2.id}@eventi.local"),
    ]
    assert len(vcal.vevent_list) == 2
    # Hybrid: the place and the online option.
    assert cal.events[0]["LOCATION"].endswith("e online")

    # The programme: every session as its own entry, with its room.
    cal, _ = parse(get_ics(client, "/events/mestre-2027/calendar.ics?programme=1").data)
    titles = {str(ve["SUMMARY"]).split(" – ")[0] for ve in cal.events}
    assert titles == {"Prima giornata", "Seconda giornata", "Saluti istituzionali"}
    welcome = next(ve for ve in cal.events if str(ve["SUMMARY"]).startswith("Saluti"))
    assert welcome["LOCATION"].startswith("Sala Berlino, ")


def test_ten_oclock_on_both_daylight_saving_sundays_stays_ten_oclock(app, client):
    # Last Sunday of March and of October of next year, 10:00 in Rome (fixed dates fell
    # out of the feed's one-year window as the calendar moved on).
    march, october = last_sunday(next_year(), 3), last_sunday(next_year(), 10)
    EventFactory(slug="march", starts_at=rome(*march.timetuple()[:3], 10),
                 ends_at=rome(*march.timetuple()[:3], 12))
    EventFactory(slug="october", starts_at=rome(*october.timetuple()[:3], 10),
                 ends_at=rome(*october.timetuple()[:3], 12))
    db.session.commit()
    cal, vcal = parse(get_ics(client, "/calendar.ics").data)
    starts = sorted(ve.start for ve in cal.events)
    assert [(s.hour, s.utcoffset()) for s in starts] == [(10, timedelta(hours=2)), (10, timedelta(hours=1))]
    by_vobject = sorted(ve.dtstart.value for ve in vcal.vevent_list)
    assert [s.astimezone(UTC).hour for s in by_vobject] == [8, 9]
    assert [s.hour for s in by_vobject] == [10, 10]

    # The VTIMEZONE itself: the spring change starts at 02:00 local time before it
    # (RFC 5545), so a client working only from it puts 01:30 UTC at 03:30 CEST.
    tz = vcal.vevent.dtstart.value.tzinfo
    def utc(day, hour, minute):
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)

    assert utc(march, 1, 30).astimezone(tz).strftime("%H:%M %z") == "03:30 +0200"
    assert utc(march, 0, 30).astimezone(tz).strftime("%H:%M %z") == "01:30 +0100"
    assert utc(october, 1, 30).astimezone(tz).strftime("%H:%M %z") == "02:30 +0100"
    daylight = next(c for c in cal.timezones[0].subcomponents if c.name == "DAYLIGHT")
    assert daylight["DTSTART"].dt.hour == 2 and daylight["RRULE"]["BYDAY"] == ["-1SU"]


def test_uid_never_changes_and_sequence_grows_with_time_place_or_status(app, client):
    event = EventFactory(slug="stable")
    db.session.commit()

    def current():
        [ve] = icalendar.Calendar.from_ical(get_ics(client, "/events/stable/calendar.ics").data).events
        return str(ve["UID"]), int(ve["SEQUENCE"]), str(ve["SUMMARY"]), ve.start

    uid, seq, _title, _start = current()
    event.title = "Titolo corretto"
    event.bump_version()
    db.session.commit()
    assert current()[:3] == (uid, seq, "Titolo corretto")

    event.starts_at += timedelta(hours=1)
    event.ends_at += timedelta(hours=1)
    event.bump_version(schedule_changed=True)
    db.session.commit()
    uid2, seq2, _, start2 = current()
    assert (uid2, seq2) == (uid, seq + 1)
    assert start2 == event.starts_at

    event.status = EventStatus.CANCELLED
    event.bump_version(schedule_changed=True)
    db.session.commit()
    cal = icalendar.Calendar.from_ical(get_ics(client, "/events/stable/calendar.ics").data)
    assert cal.events[0]["STATUS"] == "CANCELLED" and cal.events[0]["SEQUENCE"] == seq + 2


def test_public_feed_keeps_cancelled_events_and_never_shows_drafts(app, client):
    EventFactory(slug="published", title="Pubblicato")
    EventFactory(slug="cancelled", title="Annullato", status=EventStatus.CANCELLED)
    EventFactory(slug="draft", title="Bozza", status=EventStatus.DRAFT)
    EventFactory(slug="last-spring", title="Dieci mesi fa", starts_at=in_days(-300), ends_at=in_days(-300, 17))
    EventFactory(slug="long-ago", title="Due anni fa", starts_at=in_days(-730), ends_at=in_days(-730, 17))
    db.session.commit()

    response = get_ics(client, "/calendar.ics")
    cal, vcal = parse(response.data)
    statuses = {str(ve["SUMMARY"]): str(ve["STATUS"]) for ve in cal.events}
    assert statuses == {"Pubblicato": "CONFIRMED", "Annullato": "CANCELLED", "Dieci mesi fa": "CONFIRMED"}
    assert cal["X-WR-CALNAME"] == cal["NAME"] == "Eventi"
    assert cal["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert str(cal["X-PUBLISHED-TTL"]) == "PT1H"
    assert response.headers["Cache-Control"].startswith("public")


def test_public_feed_takes_the_filters_of_the_event_list(app, client):
    project = ProjectFactory(slug="talia", acronym="TALIA")
    EventFactory(title="Webinar TALIA", kind=EventKind.WEBINAR, project=project)
    EventFactory(title="Conferenza TALIA", kind=EventKind.CONFERENCE, project=project)
    EventFactory(title="Webinar camerale", kind=EventKind.WEBINAR)
    db.session.commit()

    def titles(query):
        cal, _ = parse(get_ics(client, "/calendar.ics" + query).data)
        return sorted(str(ve["SUMMARY"]) for ve in cal.events), cal

    assert titles("?kind=webinar")[0] == ["Webinar TALIA", "Webinar camerale"]
    found, cal = titles("?project=talia&kind=webinar")
    assert found == ["Webinar TALIA"]
    assert cal["X-WR-CALNAME"] == "Eventi – TALIA, Webinar"
    assert titles("?q=conferenza")[0] == ["Conferenza TALIA"]


def test_public_feed_costs_the_same_queries_for_one_or_many_events(app, client, count_queries):
    def queries():
        with count_queries() as n:
            get_ics(client, "/calendar.ics")
        return n()

    event = EventFactory()
    SessionFactory(event=event, registrable=True)
    db.session.commit()
    few = queries()
    for _ in range(6):
        e = EventFactory(project=ProjectFactory())
        SessionFactory(event=e, registrable=True)
        SessionFactory(event=e, registrable=True)
    db.session.commit()
    assert queries() == few


def test_feeds_are_revalidated_with_304(app, client, count_queries):
    event = EventFactory(slug="revalidate")
    db.session.commit()
    first = get_ics(client, "/calendar.ics")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]

    with count_queries() as n:
        again = client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    assert n() <= 2  # the fingerprint, nothing built
    assert client.get("/calendar.ics", headers={"If-Modified-Since": modified}).status_code == 304

    single = get_ics(client, "/events/revalidate/calendar.ics")
    assert client.get("/events/revalidate/calendar.ics",
                      headers={"If-None-Match": single.headers["ETag"]}).status_code == 304

    # An edit anywhere in the feed changes the validator: the next poll gets the new feed.
    event.title = "Nuovo titolo"
    event.bump_version()
    db.session.commit()
    changed = client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert b"Nuovo titolo" in changed.data


def test_feed_cache_is_keyed_on_database_state_not_process_memory(app, client):
    """A change written by another worker (here: straight SQL) is seen at once."""
    import sqlalchemy as sa

    from app.events.models import Event

    event = EventFactory(slug="other-worker", title="Prima")
    db.session.commit()
    assert b"Prima" in get_ics(client, "/calendar.ics").data
    db.session.execute(
        sa.update(Event).where(Event.id == event.id)
        .values(title="Dopo", version=Event.version + 1, updated_at=utcnow())
    )
    db.session.commit()
    db.session.expire_all()
    assert b"Dopo" in get_ics(client, "/calendar.ics").data


# --- personal feeds -----------------------------------------------------------------------

@pytest.fixture
def maria(mestre):
    """Maria follows day one online, is on the waiting list of a workshop, cancelled a third."""
    event, day1, _day2 = mestre
    online = RegistrationFactory(event=event, email="maria@example.org",
                                 attendance_mode=AttendanceMode.ONLINE, token="maria-mestre-token-0001")
    online.parts.append(day1)
    workshop = EventFactory(slug="workshop", title="Laboratorio B2B", online_join_url="https://meet.example.org/other")
    RegistrationFactory(event=workshop, email="maria@example.org", status=RegistrationStatus.WAITLISTED)
    gone = EventFactory(slug="gone", title="Annullata da Maria")
    RegistrationFactory(event=gone, email="maria@example.org", status=RegistrationStatus.CANCELLED)
    RegistrationFactory(event=EventFactory(title="Altra persona"), email="luca@example.org")
    token = get_or_create_feed_token("maria@example.org").token
    db.session.commit()
    return token


def test_personal_feed_lists_a_persons_registrations_without_management_links(maria, client):
    response = get_ics(client, f"/calendar/{maria}.ics")
    assert "private" in response.headers["Cache-Control"]
    assert "noindex" in response.headers["X-Robots-Tag"]
    cal, vcal = parse(response.data)
    entries = {str(ve["SUMMARY"]): ve for ve in cal.events}
    assert set(entries) == {"Innovazione sociale – Mestre, due giornate – Prima giornata", "Laboratorio B2B"}
    day_one = entries["Innovazione sociale – Mestre, due giornate – Prima giornata"]
    assert day_one["STATUS"] == "CONFIRMED"
    assert day_one["LOCATION"] == "Online"
    assert "https://meet.example.org/secret-room" in day_one["DESCRIPTION"]
    assert "/registrations/" not in day_one["DESCRIPTION"]  # a feed is read-only: no private link
    assert "maria-mestre-token-0001" not in response.get_data(as_text=True)
    waiting = entries["Laboratorio B2B"]
    assert waiting["STATUS"] == "TENTATIVE"
    assert "meet.example.org/other" not in waiting["DESCRIPTION"]  # not confirmed: no link
    assert cal["NAME"] == "Eventi – Le mie iscrizioni"


def test_the_join_link_is_in_the_attendees_own_calendars_and_never_in_public_ones(maria, client):
    secret = b"secret-room"
    assert secret in get_ics(client, f"/calendar/{maria}.ics").data
    # Their own download from the private page carries it too.
    assert secret in get_ics(client, "/registrations/maria-mestre-token-0001/calendar.ics").data
    assert secret not in get_ics(client, "/calendar.ics").data
    assert secret not in get_ics(client, "/events/mestre-2027/calendar.ics").data
    assert secret not in get_ics(client, "/events/mestre-2027/calendar.ics?programme=1").data


def test_a_wrong_or_reset_token_finds_nothing(maria, client, app):
    assert client.get("/calendar/not-a-real-token.ics").status_code == 404
    assert client.get(f"/calendar/{maria[:-1]}.ics").status_code == 404

    response = client.post("/registrations/maria-mestre-token-0001/calendar/reset")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/registrations/maria-mestre-token-0001/#calendar")
    assert client.get(f"/calendar/{maria}.ics").status_code == 404
    new = db.session.query(CalendarFeedToken).filter_by(email="maria@example.org").one().token
    assert new != maria
    assert get_ics(client, f"/calendar/{new}.ics")
    # One token per address: other people's feeds are untouched.
    assert db.session.query(CalendarFeedToken).count() == 1


def test_reset_needs_the_form_token(maria, client, app):
    assert client.post("/registrations/unknown-token/calendar/reset").status_code == 404
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/registrations/maria-mestre-token-0001/calendar/reset").status_code == 400
    assert get_ics(client, f"/calendar/{maria}.ics")


def test_personal_feed_follows_changes_and_answers_304_otherwise(maria, client):
    first = get_ics(client, f"/calendar/{maria}.ics")
    assert client.get(f"/calendar/{maria}.ics",
                      headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    from app.registrations.models import Registration

    reg = db.session.query(Registration).filter_by(token="maria-mestre-token-0001").one()
    reg.status = RegistrationStatus.CANCELLED
    db.session.commit()
    again = client.get(f"/calendar/{maria}.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert b"Prima giornata" not in again.data


def test_one_token_per_address_whatever_the_case(app):
    first = get_or_create_feed_token("Maria@Example.org ")
    assert get_or_create_feed_token("maria@example.org").id == first.id
    assert len(first.token) >= 32


def test_every_zone_used_gets_its_own_vtimezone(app, client):
    year = next_year()
    spring = last_sunday(year, 3)  # London's first day of summer time
    london = ZoneInfo("Europe/London")
    EventFactory(title="Marseille", starts_at=rome(year, 12, 5, 9), ends_at=rome(year, 12, 5, 18))
    EventFactory(title="London", timezone="Europe/London",
                 starts_at=datetime(year, 3, spring.day, 10, tzinfo=london),
                 ends_at=datetime(year, 3, spring.day, 12, tzinfo=london))
    EventFactory(title="Tokyo", timezone="Asia/Tokyo",
                 starts_at=datetime(year, 6, 1, 10, tzinfo=ZoneInfo("Asia/Tokyo")),
                 ends_at=datetime(year, 6, 1, 12, tzinfo=ZoneInfo("Asia/Tokyo")))
    EventFactory(title="Draft", status=EventStatus.DRAFT, slug="draft-zone")
    db.session.commit()
    cal, vcal = parse(get_ics(client, "/calendar.ics").data)
    assert sorted(str(tz["TZID"]) for tz in cal.timezones) == ["Asia/Tokyo", "Europe/London", "Europe/Rome"]
    local = {ve.summary.value: (ve.dtstart.value.hour, ve.dtstart.value.utcoffset()) for ve in vcal.vevent_list}
    assert local == {"Marseille": (9, timedelta(hours=1)), "London": (10, timedelta(hours=1)),
                     "Tokyo": (10, timedelta(hours=9))}
    assert client.get("/events/draft-zone/calendar.ics").status_code == 404


def test_an_address_gets_its_feed_when_it_registers_and_page_views_write_nothing(app, client):
    from app.registrations.services import AttendeeDetails, register_attendee

    event = EventFactory(slug="convegno")
    db.session.commit()
    outcome = register_attendee(event, AttendeeDetails(
        first_name="Nuova", last_name="Persona", email="nuova@example.org", consent=True))
    db.session.commit()
    token = db.session.query(CalendarFeedToken).filter_by(email="nuova@example.org").one().token

    writes: list[str] = []
    sa.event.listen(db.engine, "before_cursor_execute",
                    lambda conn, cur, stmt, *a: writes.append(stmt) if not stmt.lstrip().upper().startswith("SELECT") else None)
    html = client.get(f"/registrations/{outcome.registration.token}/").get_data(as_text=True)
    assert f"webcal://localhost/calendar/{token}.ics" in html
    assert writes == []
    assert get_ics(client, f"/calendar/{token}.ics")

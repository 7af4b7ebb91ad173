"""Multi-day and hybrid events: capacity per event, part, mode and part x mode; a queue per
seat; each part closing at its own time. Built on the demo's two-day hybrid workshop in
Mestre ("5 in presence each day, 20 online") and a copy of the Turin study visit."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.db import utcnow
from app.events.models import Event, EventFormat
from app.extensions import db
from app.registrations import capacity, services
from app.registrations.models import AttendanceMode, RegistrationStatus, WaitlistPlace
from app.registrations.services import AttendeeDetails, register_attendee
from tests.factories import EventFactory, SessionFactory, in_days

IN_PERSON, ONLINE = AttendanceMode.IN_PERSON, AttendanceMode.ONLINE
MESTRE = "laboratorio-competenze-transizione-giusta"


def person(n: int | str, mode=IN_PERSON, parts=()) -> AttendeeDetails:
    return AttendeeDetails(first_name="Giulia", last_name=f"Verdi {n}", email=f"p{n}@example.org",
                           consent=True, attendance_mode=mode, part_ids=[p.id for p in parts])


@pytest.fixture
def mestre(runner) -> Event:
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return db.session.scalars(sa.select(Event).where(Event.slug == MESTRE)).one()


def days(event: Event):
    return event.registrable_parts


def test_five_in_presence_on_day_two_leave_day_one_open_in_presence(mestre):
    day1, day2 = days(mestre)
    for i in range(5):
        assert register_attendee(mestre, person(i, parts=[day2])).registration.is_confirmed
    # The old count over the whole event put this day-1 person on the waiting list.
    first_day = register_attendee(mestre, person("d1", parts=[day1])).registration
    assert first_day.status == RegistrationStatus.CONFIRMED
    sixth_day2 = register_attendee(mestre, person("d2", parts=[day2])).registration
    assert sixth_day2.status == RegistrationStatus.WAITLISTED
    online_day2 = register_attendee(mestre, person("o2", ONLINE, parts=[day2])).registration
    assert online_day2.status == RegistrationStatus.CONFIRMED
    both = register_attendee(mestre, person("both", parts=[day1, day2])).registration
    assert both.status == RegistrationStatus.WAITLISTED  # day 2 in presence is taken


def test_a_freed_seat_goes_to_the_first_person_who_wanted_exactly_it(mestre):
    day1, day2 = days(mestre)
    seated = {d.id: [register_attendee(mestre, person(f"{d.id}-{i}", parts=[d])).registration
                     for i in range(5)] for d in (day1, day2)}
    wants_day2 = register_attendee(mestre, person("w2", parts=[day2])).registration
    wants_day1 = register_attendee(mestre, person("w1", parts=[day1])).registration
    wants_day1_later = register_attendee(mestre, person("w1b", parts=[day1])).registration
    # One queue per seat: each is first in the queue of the seat they asked for.
    assert services.waitlist_places(wants_day2) == [(day2, IN_PERSON, 1)]
    assert services.waitlist_places(wants_day1) == [(day1, IN_PERSON, 1)]
    assert services.waitlist_places(wants_day1_later) == [(day1, IN_PERSON, 2)]

    promoted = services.cancel_registration(seated[day1.id][0])
    assert promoted == [wants_day1]  # not the earlier day-2 person: that seat is not theirs
    assert wants_day2.status == RegistrationStatus.WAITLISTED
    assert services.waitlist_places(wants_day1_later) == [(day1, IN_PERSON, 1)]
    assert services.waitlist_places(wants_day2) == [(day2, IN_PERSON, 1)]


def test_every_limit_holds_at_once(app):
    event = EventFactory(format=EventFormat.HYBRID, capacity=4, capacity_online=2)
    day1 = SessionFactory(event=event, registrable=True, capacity_in_person=3, capacity_online=3)
    day2 = SessionFactory(event=event, registrable=True, starts_at=event.starts_at + timedelta(hours=2),
                          capacity=2)
    outcomes = [
        register_attendee(event, person(1, ONLINE, [day1])).registration,
        register_attendee(event, person(2, ONLINE, [day2])).registration,
        register_attendee(event, person(3, ONLINE, [day1])).registration,       # mode online full
        register_attendee(event, person(4, IN_PERSON, [day1, day2])).registration,  # part 2 full
        register_attendee(event, person(5, IN_PERSON, [day2])).registration,    # part 2 full
        register_attendee(event, person(6, IN_PERSON, [day1])).registration,
        register_attendee(event, person(7, IN_PERSON, [day1])).registration,    # event full
    ]
    assert [r.is_confirmed for r in outcomes] == [True, True, False, True, False, True, False]
    counters = capacity.lock_counters(event)
    assert counters.used(capacity.cell_key(day1.id, IN_PERSON)) == 2
    assert counters.used(capacity.part_key(day2.id)) == 2
    assert counters.used(capacity.EVENT) == 4


def test_the_form_and_the_event_page_show_what_is_left_per_day_and_mode(mestre, client):
    day1, day2 = days(mestre)
    for i in range(5):
        register_attendee(mestre, person(i, parts=[day2]))
    for i in range(3):
        register_attendee(mestre, person(f"o{i}", ONLINE, parts=[day1]))
    db.session.commit()
    avail = capacity.availability(mestre)
    assert avail.seats_for(IN_PERSON, day1.id) == 5 and avail.seats_for(IN_PERSON, day2.id) == 0
    assert avail.seats_for(ONLINE, day1.id) == 17 and avail.seats_for(ONLINE, day2.id) == 20
    page = client.get(f"/events/{MESTRE}/").get_data(as_text=True)
    form = client.get(f"/events/{MESTRE}/register").get_data(as_text=True)
    for html in (page, form):
        table = html[html.index("eventi-seats-left"):]
        table = table[:table.index("</table>")]
        rows = table.split("<tr>")[2:]
        assert "Giornata 1" in rows[0] and "5 posti" in rows[0] and "17 posti" in rows[0]
        assert "Giornata 2" in rows[1] and "completo" in rows[1] and "20 posti" in rows[1]


def test_without_a_waiting_list_the_form_offers_only_what_is_still_possible(app, client):
    event = EventFactory(slug="lab", format=EventFormat.HYBRID, waitlist_enabled=False)
    day1 = SessionFactory(event=event, title="Giorno uno", registrable=True,
                          capacity_in_person=1, capacity_online=0)
    SessionFactory(event=event, title="Giorno due", registrable=True,
                   starts_at=event.starts_at + timedelta(days=1), capacity_in_person=0,
                   capacity_online=0)
    db.session.commit()
    form_html = client.get("/events/lab/register").get_data(as_text=True).split("eventi-register-form")[1]
    assert "Giorno uno" in form_html and "Giorno due" not in form_html
    assert 'value="online"' not in form_html  # no online seat on any day
    register_attendee(event, person(1, parts=[day1]))
    db.session.commit()
    assert capacity.availability(event).state == capacity.FULL
    resp = client.post("/events/lab/register", data={
        "first_name": "Ada", "last_name": "Neri", "email": "ada@example.org", "category": "impresa",
        "country": "IT", "privacy_consent": "y", "attendance_mode": "in_person", "parts": str(day1.id)})
    assert resp.status_code in (200, 422)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WaitlistPlace)) == 0


# --- 2. the registration window follows the parts -------------------------------------------

def test_people_can_register_for_day_two_while_day_one_runs(app, client):
    now = utcnow()
    event = EventFactory(slug="due-giorni", format=EventFormat.HYBRID,
                         starts_at=now - timedelta(hours=2), ends_at=now + timedelta(days=1, hours=6))
    day1 = SessionFactory(event=event, title="Primo giorno", registrable=True,
                          starts_at=now - timedelta(hours=2), ends_at=now + timedelta(hours=4))
    day2 = SessionFactory(event=event, title="Secondo giorno", registrable=True,
                          starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=1, hours=6))
    db.session.commit()
    assert capacity.availability(event).state == capacity.OPEN
    html = client.get("/events/due-giorni/register").get_data(as_text=True)
    form_html = html.split("eventi-register-form")[1]
    assert "Secondo giorno" in form_html and "Primo giorno" not in form_html
    with pytest.raises(services.InvalidRegistration) as late:
        register_attendee(event, person("late", parts=[day1]))
    assert late.value.field == "parts"
    assert register_attendee(event, person("ok", parts=[day2])).registration.is_confirmed


def test_an_organiser_can_close_a_part_earlier_and_the_event_window_still_applies(app):
    now = utcnow()
    event = EventFactory(starts_at=in_days(5), ends_at=in_days(6, 18))
    day1 = SessionFactory(event=event, registrable=True, starts_at=in_days(5), ends_at=in_days(5, 17),
                          registration_closes_at=now - timedelta(minutes=1))
    day2 = SessionFactory(event=event, registrable=True, starts_at=in_days(6), ends_at=in_days(6, 17))
    with pytest.raises(services.InvalidRegistration):
        register_attendee(event, person(1, parts=[day1]))
    assert register_attendee(event, person(2, parts=[day2])).registration.is_confirmed
    event.registration_closes_at = now - timedelta(minutes=1)
    with pytest.raises(services.RegistrationClosed):
        register_attendee(event, person(3, parts=[day2]))
    event.registration_closes_at = None
    day2.registration_closes_at = now - timedelta(seconds=1)
    assert capacity.availability(event).state == capacity.CLOSED  # every part closed

"""Organisers manage their events through the back-office pages."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.audit import AuditEntry
from app.auth.models import Role
from app.events.models import Event, EventStatus, Material, Session
from app.extensions import db
from tests.factories import (
    EventFactory,
    MaterialFactory,
    SessionFactory,
    SpeakerFactory,
    UserFactory,
    VenueFactory,
)


@pytest.fixture
def organiser(auth):
    user = UserFactory(name="Elena Zambelli", email="elena@example.org")
    db.session.commit()
    auth.login(user)
    return user


def own_event(user, **kwargs) -> Event:
    event = EventFactory(**kwargs)
    event.organisers.append(user)
    db.session.commit()
    return event


EVENT_FORM = {
    "title": "Conferenza finale +RESILIENT",
    "kind": "conference",
    "format": "hybrid",
    "language": "it",
    "timezone": "Europe/Rome",
    "starts_at": "2030-03-10T09:30",
    "ends_at": "2030-03-10T17:00",
    "venue_id": "0",
    "project_id": "0",
    "registration_mode": "required",
    "reminder_hours_before": "24",
    "waitlist_enabled": "y",
}


def test_an_organiser_creates_an_event_in_local_time_stored_in_utc(client, organiser):
    resp = client.post("/admin/events/new", data=EVENT_FORM)
    assert resp.status_code == 302
    event = db.session.scalar(sa.select(Event))
    assert event.slug == "conferenza-finale-resilient"
    assert event.status == EventStatus.DRAFT
    # 9:30 in Rome in March (CET, +1) is 8:30 UTC.
    assert event.starts_at == datetime(2030, 3, 10, 8, 30, tzinfo=UTC)
    assert [u.email for u in event.organisers] == ["elena@example.org"]
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Conferenza finale +RESILIENT" in page
    assert "Evento creato come bozza" in page
    edit = client.get(f"/admin/events/{event.id}/edit").get_data(as_text=True)
    assert 'value="2030-03-10T09:30"' in edit


def test_form_errors_are_shown_beside_the_fields_and_typed_data_is_kept(client, organiser):
    data = dict(EVENT_FORM, title="Workshop sul turismo", ends_at="2030-03-10T08:00",
                online_join_url="javascript:alert(1)", capacity="-3")
    resp = client.post("/admin/events/new", data=data)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Correggi i campi" in page or 'role="alert"' in page
    assert 'id="ends_at-errors"' in page
    assert 'id="online_join_url-errors"' in page
    assert 'id="capacity-errors"' in page
    assert 'value="Workshop sul turismo"' in page
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 0


def test_a_taken_slug_is_refused_beside_its_field(client, organiser):
    EventFactory(slug="webinar-turismo")
    db.session.commit()
    page = client.post("/admin/events/new",
                       data=dict(EVENT_FORM, slug="webinar-turismo")).get_data(as_text=True)
    assert 'id="slug-errors"' in page
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 1


def test_organiser_of_event_a_gets_403_on_event_b(client, organiser):
    mine = own_event(organiser, title="Evento A")
    theirs = EventFactory(title="Evento B")
    session = SessionFactory(event=theirs)
    material = MaterialFactory(event=theirs)
    db.session.commit()
    assert client.get(f"/admin/events/{mine.id}/").status_code == 200
    for url in (f"/admin/events/{theirs.id}/", f"/admin/events/{theirs.id}/edit",
                f"/admin/events/{theirs.id}/sessions/new",
                f"/admin/events/{theirs.id}/sessions/{session.id}/edit",
                f"/admin/events/{theirs.id}/materials/{material.id}/edit"):
        assert client.get(url).status_code == 403, url
    for url in (f"/admin/events/{theirs.id}/publish", f"/admin/events/{theirs.id}/cancel",
                f"/admin/events/{theirs.id}/duplicate",
                f"/admin/events/{theirs.id}/sessions/{session.id}/delete",
                f"/admin/events/{theirs.id}/materials/{material.id}/delete"):
        assert client.post(url).status_code == 403, url
    listing = client.get("/admin/events/").get_data(as_text=True)
    assert "Evento A" in listing and "Evento B" not in listing
    assert db.session.get(Event, theirs.id).status == EventStatus.PUBLISHED


def test_a_session_of_another_event_is_not_reachable_through_mine(client, organiser):
    mine = own_event(organiser)
    other = SessionFactory()
    db.session.commit()
    assert client.get(f"/admin/events/{mine.id}/sessions/{other.id}/edit").status_code == 404


def test_admins_manage_every_event_and_pick_organisers(client, auth):
    admin = UserFactory(role=Role.ADMIN)
    organiser = UserFactory(name="Anna Bonaduce")
    event = EventFactory(title="Visita studio Torino")
    db.session.commit()
    auth.login(admin)
    form = client.get(f"/admin/events/{event.id}/edit").get_data(as_text=True)
    assert "Anna Bonaduce" in form
    data = dict(EVENT_FORM, title="Visita studio Torino", slug=event.slug,
                organisers=[str(organiser.id)])
    assert client.post(f"/admin/events/{event.id}/edit", data=data).status_code == 302
    assert [u.name for u in db.session.get(Event, event.id).organisers] == ["Anna Bonaduce"]


def test_organisers_cannot_choose_organisers(client, organiser):
    event = own_event(organiser, title="Visita studio Torino")
    other = UserFactory(name="Anna Bonaduce")
    db.session.commit()
    resp = client.get(f"/admin/events/{event.id}/edit")
    assert resp.status_code == 200 and "Chi lo gestisce" not in resp.get_data(as_text=True)
    data = dict(EVENT_FORM, title="Visita studio Torino", slug=event.slug,
                organisers=[str(other.id)])
    assert client.post(f"/admin/events/{event.id}/edit", data=data).status_code == 302
    assert [u.name for u in db.session.get(Event, event.id).organisers] == ["Elena Zambelli"]


def test_publish_then_cancel_keeps_the_page_public_with_a_banner(client, organiser):
    event = own_event(organiser, status=EventStatus.DRAFT, title="Policy event Bruxelles")
    assert client.get(f"/events/{event.slug}/").status_code == 404
    resp = client.post(f"/admin/events/{event.id}/publish", follow_redirects=True)
    assert "L&#39;evento è pubblicato." in resp.get_data(as_text=True)
    assert client.get(f"/events/{event.slug}/").status_code == 200
    client.post(f"/admin/events/{event.id}/cancel", data={"reason": "Il relatore è malato."})
    assert db.session.get(Event, event.id).status == EventStatus.CANCELLED
    public = client.get(f"/events/{event.slug}/")
    assert public.status_code == 200
    assert "nnullat" in public.get_data(as_text=True)
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["event.publish", "event.cancel"]


def test_unpublishing_hides_the_page_again(client, organiser):
    event = own_event(organiser)
    client.post(f"/admin/events/{event.id}/unpublish")
    assert client.get(f"/events/{event.slug}/").status_code == 404


def test_duplicate_opens_the_copy_for_editing(client, organiser):
    event = own_event(organiser, slug="missione-marsiglia")
    resp = client.post(f"/admin/events/{event.id}/duplicate")
    copy = db.session.scalar(sa.select(Event).where(Event.slug == "missione-marsiglia-2"))
    assert resp.headers["Location"] == f"/admin/events/{copy.id}/edit"
    assert copy.status == EventStatus.DRAFT and organiser in copy.organisers


def test_state_changes_need_post_and_csrf(app, client, organiser):
    event = own_event(organiser, status=EventStatus.DRAFT)
    assert client.get(f"/admin/events/{event.id}/publish").status_code == 405
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/admin/events/{event.id}/publish").status_code == 400
    assert client.post(f"/admin/events/{event.id}/edit", data=EVENT_FORM).status_code == 400
    assert db.session.get(Event, event.id).status == EventStatus.DRAFT
    page = client.get(f"/admin/events/{event.id}/").get_data(as_text=True)
    assert 'name="csrf_token"' in page


def test_script_in_titles_and_markdown_never_reaches_a_page(client, organiser):
    data = dict(EVENT_FORM, title="<script>alert('t')</script>Evento",
                summary="<img src=x onerror=alert(1)>",
                description="# Programma\n\n<script>alert('d')</script>\n\n"
                            "[clic](javascript:alert(1)) **grassetto**")
    client.post("/admin/events/new", data=data)
    event = db.session.scalar(sa.select(Event))
    # Stored as typed: sanitising happens when rendering.
    assert "<script>" in event.description
    client.post(f"/admin/events/{event.id}/publish")
    for url in (f"/admin/events/{event.id}/", "/admin/events/", "/admin/",
                f"/admin/events/{event.id}/edit", f"/events/{event.slug}/"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in page, url
        assert 'href="javascript' not in page, url
        assert "<img src=x" not in page, url
    detail = client.get(f"/admin/events/{event.id}/").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;Evento" in detail
    assert "<strong>grassetto</strong>" in detail


def test_programme_sessions_are_added_with_speakers_and_checked_against_the_dates(client, organiser):
    event = own_event(organiser, timezone="Europe/Rome",
                      starts_at=datetime(2030, 1, 17, 8, 45, tzinfo=UTC),
                      ends_at=datetime(2030, 1, 18, 12, 0, tzinfo=UTC))
    speaker = SpeakerFactory(name="Anna Bonaduce")
    db.session.commit()
    url = f"/admin/events/{event.id}/sessions/new"
    assert "Anna Bonaduce" in client.get(url).get_data(as_text=True)
    outside = {"title": "Fuori", "kind": "talk", "starts_at": "2030-01-19T09:00",
               "ends_at": "2030-01-19T10:00"}
    page = client.post(url, data=outside).get_data(as_text=True)
    assert 'id="starts_at-errors"' in page
    day_one = {"title": "Giornata 1", "kind": "workshop", "starts_at": "2030-01-17T09:45",
               "ends_at": "2030-01-17T17:00", "registrable": "y", "capacity": "80",
               "speakers": [str(speaker.id)]}
    assert client.post(url, data=day_one).status_code == 302
    session = db.session.scalar(sa.select(Session))
    assert session.starts_at == datetime(2030, 1, 17, 8, 45, tzinfo=UTC)
    assert session.registrable and session.capacity == 80
    assert [s.name for s in session.speakers] == ["Anna Bonaduce"]
    detail = client.get(f"/admin/events/{event.id}/").get_data(as_text=True)
    assert "Giornata 1" in detail and "Anna Bonaduce" in detail


def test_sessions_move_up_and_down_with_buttons(client, organiser):
    event = own_event(organiser)
    first = SessionFactory(event=event, title="Saluti", starts_at=event.starts_at,
                           ends_at=event.starts_at + timedelta(minutes=30))
    second = SessionFactory(event=event, title="Tavola rotonda",
                            starts_at=event.starts_at + timedelta(minutes=30),
                            ends_at=event.starts_at + timedelta(hours=1))
    db.session.commit()
    page = client.get(f"/admin/events/{event.id}/").get_data(as_text=True)
    assert "Sposta «Tavola rotonda» in su" in page
    client.post(f"/admin/events/{event.id}/sessions/{second.id}/move", data={"direction": "up"})
    db.session.expire_all()
    titles = [s.title for s in db.session.get(Event, event.id).sessions]
    assert titles == ["Tavola rotonda", "Saluti"]
    assert client.post(f"/admin/events/{event.id}/sessions/{first.id}/move",
                       data={"direction": "sideways"}).status_code == 400


def test_sessions_are_edited_and_deleted(client, organiser):
    event = own_event(organiser)
    session = SessionFactory(event=event, title="Vecchio titolo")
    db.session.commit()
    form = client.get(f"/admin/events/{event.id}/sessions/{session.id}/edit").get_data(as_text=True)
    assert 'value="Vecchio titolo"' in form
    start = session.starts_at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Rome"))
    data = {"title": "Nuovo titolo", "kind": "talk",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")}
    assert client.post(f"/admin/events/{event.id}/sessions/{session.id}/edit",
                       data=data).status_code == 302
    assert db.session.get(Session, session.id).title == "Nuovo titolo"
    client.post(f"/admin/events/{event.id}/sessions/{session.id}/delete")
    assert db.session.get(Session, session.id) is None


def test_materials_are_published_with_web_addresses_only(client, organiser):
    event = own_event(organiser)
    url = f"/admin/events/{event.id}/materials/new"
    bad = {"kind": "recording", "title": "Registrazione", "url": "javascript:alert(1)",
           "visibility": "public", "session_id": "0"}
    page = client.post(url, data=bad).get_data(as_text=True)
    assert 'id="url-errors"' in page
    good = dict(bad, url="https://opensocialclusters.eu/5thtransfer-webinar/")
    assert client.post(url, data=good).status_code == 302
    material = db.session.scalar(sa.select(Material))
    assert material.url.startswith("https://")
    client.post(f"/admin/events/{event.id}/materials/{material.id}/delete")
    assert db.session.scalar(sa.select(Material)) is None


def test_the_event_page_includes_other_panels_without_them_existing(client, organiser):
    event = own_event(organiser, venue=VenueFactory())
    resp = client.get(f"/admin/events/{event.id}/")
    assert resp.status_code == 200
    assert "Programma" in resp.get_data(as_text=True)


def test_events_list_filters_by_status_in_a_fixed_number_of_queries(client, auth, count_queries):
    admin = UserFactory(role=Role.ADMIN)
    for n in range(3):
        e = EventFactory(title=f"Pubblicato {n}")
        e.organisers.append(UserFactory())
    EventFactory(title="Bozza", status=EventStatus.DRAFT)
    db.session.commit()
    auth.login(admin)
    page = client.get("/admin/events/?status=draft").get_data(as_text=True)
    assert "Bozza" in page and "Pubblicato 0" not in page
    with count_queries() as few:
        client.get("/admin/events/")
    for n in range(3, 10):
        e = EventFactory(title=f"Pubblicato {n}")
        e.organisers.append(UserFactory())
    db.session.commit()
    client.get("/admin/")  # reloads the signed-in account the commit expired
    with count_queries() as many:
        client.get("/admin/events/")
    assert many() == few()


def test_an_event_in_the_past_is_saved_for_the_archive_with_a_warning(client, organiser):
    data = dict(EVENT_FORM, title="Webinar 22 marzo 2021", starts_at="2021-03-22T10:00",
                ends_at="2021-03-22T12:00")
    page = client.post("/admin/events/new", data=data, follow_redirects=True).get_data(as_text=True)
    assert "già concluso" in page
    assert db.session.scalar(sa.select(Event)).is_past()


def test_a_refused_action_explains_why(client, organiser):
    event = own_event(organiser)
    session = SessionFactory(event=event, title="Unica")
    db.session.commit()
    resp = client.post(f"/admin/events/{event.id}/sessions/{session.id}/move",
                       data={"direction": "up"}, follow_redirects=True)
    assert "già all&#39;estremità del programma" in resp.get_data(as_text=True)
    session.title = "<script>alert(1)</script>"
    db.session.commit()
    page = client.post(f"/admin/events/{event.id}/edit",
                       data=dict(EVENT_FORM, slug=event.slug)).get_data(as_text=True)
    assert "resterebbe fuori dall&#39;evento" in page
    assert "<script>alert(1)" not in page
    client.post(f"/admin/events/{event.id}/cancel", data={"reason": "Sala non disponibile."})
    resp = client.post(f"/admin/events/{event.id}/publish", follow_redirects=True)
    assert "non può essere ripubblicato" in resp.get_data(as_text=True)
    assert db.session.get(Event, event.id).status == EventStatus.CANCELLED

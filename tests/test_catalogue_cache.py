"""The event page cache: shared by anonymous visitors, fresh after any edit, never leaking."""
from __future__ import annotations

from datetime import timedelta

from app.auth.models import Role
from app.events import services
from app.events.models import EventStatus
from app.extensions import db
from tests.factories import EventFactory, UserFactory, VenueFactory, in_days


def page(client, slug="cached", **kwargs) -> str:
    resp = client.get(f"/events/{slug}/", **kwargs)
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def test_a_cached_page_is_served_until_the_event_changes_then_rebuilt(client, count_queries):
    event = EventFactory(slug="cached", title="Titolo originale")
    db.session.commit()
    assert "Titolo originale" in page(client)

    # A write that does not bump the version is not seen: proof the page comes from the cache,
    # read with a single query.
    event.title = "Titolo cambiato"
    db.session.commit()
    with count_queries() as n:
        assert "Titolo originale" in page(client)
    assert n() == 1

    event.bump_version()
    db.session.commit()
    html = page(client)
    assert "Titolo cambiato" in html and "Titolo originale" not in html


def test_a_cached_page_never_outlives_unpublishing(client):
    event = EventFactory(slug="cached", title="Conferenza")
    db.session.commit()
    page(client)
    event.status = EventStatus.DRAFT  # even without a version bump
    db.session.commit()
    assert client.get("/events/cached/").status_code == 404
    event.status = EventStatus.PUBLISHED
    event.bump_version()
    db.session.commit()
    assert "Conferenza" in page(client)


def test_a_venue_edit_refreshes_the_page_of_its_events(client):
    venue = VenueFactory(address="Via delle Industrie 15")
    EventFactory(slug="cached", venue=venue)
    db.session.commit()
    page(client)
    venue.address = "Via della Libertà 12"
    db.session.commit()  # the venue's updated_at moves; no event was touched
    assert "Via della Libertà 12" in page(client)


def test_each_language_has_its_own_copy(client):
    EventFactory(slug="cached", starts_at=in_days(10, 8), ends_at=in_days(10, 16))
    db.session.commit()
    assert "Informazioni pratiche" in page(client)
    assert "Practical information" in page(client, query_string={"lang": "en"})
    client.post("/language", data={"lang": "en"})
    assert "Practical information" in page(client)
    client.post("/language", data={"lang": "it"})
    assert "Informazioni pratiche" in page(client)


def test_logged_in_organisers_always_get_a_fresh_page(client, auth):
    event = EventFactory(slug="cached", title="Prima")
    user = UserFactory(role=Role.ORGANISER)
    db.session.commit()
    page(client)
    event.title = "Dopo"
    db.session.commit()
    auth.login(user)
    assert "Dopo" in page(client)
    auth.logout()
    assert "Prima" in page(client)  # anonymous visitors still share the cached copy


def test_a_flashed_message_is_shown_and_the_page_not_shared(app, client):
    EventFactory(slug="cached", title="Evento")
    db.session.commit()
    with client.session_transaction() as sess:
        sess["_flashes"] = [("success", "Iscrizione confermata per Maria")]
    html = page(client)
    assert "Iscrizione confermata per Maria" in html
    # The next anonymous visitor does not see someone else's message.
    other = app.test_client()
    assert "Iscrizione confermata" not in page(other)
    assert "Iscrizione confermata" not in page(client)


def test_the_page_answers_304_when_the_browser_copy_is_current(client):
    event = EventFactory(slug="cached")
    db.session.commit()
    first = client.get("/events/cached/")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, no-cache"
    again = client.get("/events/cached/", headers={"If-None-Match": etag})
    assert again.status_code == 304
    event.bump_version()
    db.session.commit()
    assert client.get("/events/cached/", headers={"If-None-Match": etag}).status_code == 200


def test_a_forged_host_header_does_not_reach_the_shared_copy(client):
    EventFactory(slug="cached")
    db.session.commit()
    html = page(client, headers={"Host": "evil.example"})
    assert "evil.example" not in html
    assert '<meta property="og:url" content="http://localhost/events/cached/">' in html


def test_the_stamp_turns_when_registration_closes_and_when_the_event_ends(app):
    event = EventFactory(slug="cached", starts_at=in_days(5), ends_at=in_days(5, 18),
                         registration_closes_at=in_days(4))
    db.session.commit()
    before = services.event_page_stamp("cached", now=in_days(3))
    assert services.event_page_stamp("cached", now=in_days(3, 10)) == before
    after_close = services.event_page_stamp("cached", now=in_days(4, 10))
    after_end = services.event_page_stamp("cached", now=event.ends_at + timedelta(minutes=1))
    assert len({before, after_close, after_end}) == 3
    assert services.event_page_stamp("no-such-event") is None


def test_a_remember_me_cookie_bypasses_the_shared_copy(client):
    event = EventFactory(slug="cached", title="Prima")
    db.session.commit()
    page(client)
    event.title = "Dopo"
    db.session.commit()
    client.set_cookie("remember_token", "whatever")
    assert "Dopo" in page(client)
    client.delete_cookie("remember_token")
    client.set_cookie("_ga", "analytics")  # unrelated cookies do not matter
    assert "Prima" in page(client)


def results(client, url="/events/") -> str:
    resp = client.get(url)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    return html[html.index('id="results-title"'):]


def test_the_cached_list_follows_every_change_to_the_catalogue(client):
    event = EventFactory(title="Primo evento")
    db.session.commit()
    assert "Primo evento" in results(client)
    EventFactory(title="Secondo evento")
    db.session.commit()
    assert "Secondo evento" in results(client)
    event.title = "Primo evento, titolo nuovo"
    db.session.commit()
    assert "titolo nuovo" in results(client)
    event.status = EventStatus.DRAFT
    db.session.commit()
    assert "Primo evento" not in results(client)


def test_an_event_leaves_the_upcoming_list_when_it_ends_without_any_edit(client, monkeypatch):
    from app.db import utcnow

    EventFactory(title="Finisce tra poco", starts_at=in_days(0, 0), ends_at=utcnow() + timedelta(hours=2))
    db.session.commit()
    assert "Finisce tra poco" in results(client)
    assert "Finisce tra poco" not in results(client, "/events/?when=past")
    later = utcnow() + timedelta(hours=3)
    monkeypatch.setattr(services, "utcnow", lambda: later)
    assert "Finisce tra poco" not in results(client)
    assert "Finisce tra poco" in results(client, "/events/?when=past")


def test_the_seats_left_on_a_cached_page_follow_each_registration(client):
    from app.registrations.services import AttendeeDetails, register_attendee

    event = EventFactory(slug="cached", capacity=10)
    db.session.commit()
    assert "10 posti liberi" in page(client)

    for left, name in ((9, "anna"), (8, "bruno")):
        register_attendee(event, AttendeeDetails(
            first_name=name, last_name="Bianchi", email=f"{name}@example.org", consent=True,
        ))
        db.session.commit()
        assert f"{left} posti liberi" in page(client)


def test_a_cache_miss_reads_the_page_stamp_once(client, count_queries):
    EventFactory(slug="cached")
    db.session.commit()
    with count_queries() as statements:
        page(client)  # cookie-less: the fast path reads the stamp, then the view renders
    stamp_reads = [s for s in statements.log if "capacity_counters" in s and "events.slug" in s]
    assert len(stamp_reads) == 1

"""Administrators manage accounts, shared records and read the audit log."""
from __future__ import annotations

import sqlalchemy as sa

from app.audit import AuditEntry
from app.auth.models import Role, User
from app.events.models import Project, Speaker, Venue
from app.extensions import db
from tests.factories import EventFactory, UserFactory, VenueFactory


def login_admin(auth) -> User:
    admin = UserFactory(role=Role.ADMIN, email="admin@example.org")
    db.session.commit()
    auth.login(admin)
    return admin


def test_organisers_cannot_open_accounts_or_the_audit_log(client, auth):
    auth.login(UserFactory())
    db.session.commit()
    for url in ("/admin/users/", "/admin/users/new", "/admin/audit"):
        assert client.get(url).status_code == 403, url
    page = client.get("/admin/").get_data(as_text=True)
    assert "Registro delle modifiche" not in page


def test_an_admin_creates_an_organiser_and_sees_the_generated_password_once(client, auth):
    login_admin(auth)
    resp = client.post("/admin/users/new", data={"email": "Nuovo@Example.org", "name": "Nuovo",
                                                 "role": "organiser"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "mostrata una sola volta" in page
    user = db.session.scalar(sa.select(User).where(User.email == "nuovo@example.org"))
    password = page.split('<code id="new-password">')[1].split("</code>")[0]
    assert user.check_password(password)
    assert user.role == Role.ORGANISER


def test_account_form_errors_are_shown(client, auth):
    login_admin(auth)
    page = client.post("/admin/users/new", data={"email": "not-an-email", "role": "organiser",
                                                 "password": "short"}).get_data(as_text=True)
    assert 'id="email-errors"' in page and 'id="password-errors"' in page
    page = client.post("/admin/users/new", data={"email": "admin@example.org",
                                                 "role": "organiser"}).get_data(as_text=True)
    assert "Esiste già un account" in page


def test_an_admin_deactivates_and_promotes_but_cannot_lock_themselves_out(client, auth):
    admin = login_admin(auth)
    other = UserFactory()
    db.session.commit()
    client.post(f"/admin/users/{other.id}/edit", data={"name": "Altro", "role": "admin"})
    other = db.session.get(User, other.id)
    assert other.role == Role.ADMIN and not other.active
    page = client.post(f"/admin/users/{admin.id}/edit",
                       data={"name": "Io", "role": "organiser", "active": "y"})
    assert "Non puoi togliere a te stesso" in page.get_data(as_text=True)
    assert db.session.get(User, admin.id).role == Role.ADMIN


def test_a_password_reset_replaces_the_old_one(client, auth):
    login_admin(auth)
    other = UserFactory(password="vecchia password")
    db.session.commit()
    page = client.post(f"/admin/users/{other.id}/reset-password").get_data(as_text=True)
    password = page.split('<code id="new-password">')[1].split("</code>")[0]
    other = db.session.get(User, other.id)
    assert other.check_password(password) and not other.check_password("vecchia password")


def test_venues_projects_and_speakers_are_managed_with_errors_beside_fields(client, auth):
    login_admin(auth)
    page = client.post("/admin/venues/new", data={"name": "", "country": "ITA"}).get_data(as_text=True)
    assert 'id="name-errors"' in page and 'id="country-errors"' in page
    client.post("/admin/venues/new", data={"name": "Parco Vega", "city": "Mestre", "country": "it"})
    assert db.session.scalar(sa.select(Venue.country)) == "IT"
    client.post("/admin/projects/new", data={"name": "Social&Creative", "acronym": "",
                                             "status": "completed",
                                             "website": "javascript:alert(1)"})
    assert db.session.scalar(sa.select(Project)) is None
    client.post("/admin/projects/new", data={"name": "+RESILIENT", "status": "completed",
                                             "starts_on": "2018-02-01", "ends_on": "2022-01-31",
                                             "budget": "3278529.80"})
    project = db.session.scalar(sa.select(Project))
    assert project.slug == "resilient" and str(project.budget) == "3278529.80"
    client.post("/admin/speakers/new", data={"name": "Anna Bonaduce", "role": "Project manager"})
    assert db.session.scalar(sa.select(Speaker.name)) == "Anna Bonaduce"
    listing = client.get("/admin/speakers/").get_data(as_text=True)
    assert "Anna Bonaduce" in listing


def test_an_organiser_edits_a_venue_but_only_admins_delete(client, auth):
    organiser = UserFactory()
    venue = VenueFactory(name="Sede di Belluno")
    db.session.commit()
    auth.login(organiser)
    resp = client.post(f"/admin/venues/{venue.id}/edit",
                       data={"name": "Sede di Belluno", "address": "Piazza Santo Stefano 15",
                             "country": "IT"})
    assert resp.status_code == 302
    assert db.session.get(Venue, venue.id).address == "Piazza Santo Stefano 15"
    assert client.post(f"/admin/venues/{venue.id}/delete").status_code == 403


def test_a_venue_in_use_is_not_deleted(client, auth):
    login_admin(auth)
    venue = VenueFactory()
    EventFactory(venue=venue)
    db.session.commit()
    resp = client.post(f"/admin/venues/{venue.id}/delete", follow_redirects=True)
    assert "è usata da 1 evento:" in resp.get_data(as_text=True)
    assert db.session.get(Venue, venue.id) is not None


def test_the_audit_log_shows_who_changed_what_and_filters_by_object(client, auth):
    admin = login_admin(auth)
    event = EventFactory(title="Webinar turismo")
    other = EventFactory(title="Altro evento")
    db.session.commit()
    client.post(f"/admin/events/{event.id}/cancel", data={"reason": "Sala non disponibile."})
    client.post(f"/admin/events/{other.id}/unpublish")
    page = client.get(f"/admin/audit?object_type=event&object_id={event.id}").get_data(as_text=True)
    assert "Evento annullato" in page and "admin@example.org" in page
    assert "Evento ritirato" not in page
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "event.cancel"))
    assert entry.user_id == admin.id and entry.object_id == event.id


def test_the_audit_log_escapes_what_people_typed(client, auth):
    login_admin(auth)
    client.post("/admin/speakers/new", data={"name": "<script>alert(1)</script>"})
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;" in page

"""`flask demo load`: the seed's projects and events, upcoming events, two accounts, once."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from app.auth.models import Role, User
from app.events.models import (
    Event,
    EventFormat,
    EventKind,
    Material,
    Project,
    ProjectStatus,
    Session,
    Speaker,
    Venue,
)
from app.extensions import db


def counts() -> dict[str, int]:
    return {
        m.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(m))
        for m in (Project, Event, Session, Speaker, Venue, Material, User)
    }


def event(slug: str) -> Event:
    return db.session.scalars(sa.select(Event).where(Event.slug == slug)).one()


def test_demo_load_twice_creates_everything_once(runner):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    after_first = counts()
    passwords = re.findall(r"password \(shown once\): (\S+)", first.output)
    assert len(passwords) == 2

    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0, second.output
    assert counts() == after_first
    assert "shown once" not in second.output
    assert "nothing created" in second.output

    admin = db.session.scalars(sa.select(User).where(User.email == "admin@eventi.local")).one()
    organiser = db.session.scalars(sa.select(User).where(User.email == "organiser@eventi.local")).one()
    assert admin.role == Role.ADMIN and organiser.role == Role.ORGANISER
    assert admin.check_password(passwords[0]) and organiser.check_password(passwords[1])


def test_demo_has_the_seed_projects(runner):
    runner.invoke(args=["demo", "load"])
    projects = {p.slug: p for p in db.session.scalars(sa.select(Project))}
    assert set(projects) >= {"resilient", "innomed-up", "2ins-clusters-med", "talia-social-creative"}
    resilient = projects["resilient"]
    assert resilient.acronym == "+RESILIENT"
    assert resilient.budget == Decimal("3278529.80")
    assert (resilient.starts_on, resilient.ends_on) == (date(2018, 2, 1), date(2022, 1, 31))
    innomed = projects["innomed-up"]
    assert (innomed.starts_on, innomed.ends_on) == (date(2019, 9, 1), date(2022, 8, 31))
    assert innomed.status == ProjectStatus.COMPLETED
    assert len(innomed.partner_list) == 7
    assert "Comune di Prato (Italia)" in innomed.partner_list


def test_demo_has_the_seed_events(runner, client):
    runner.invoke(args=["demo", "load"])

    webinar = event("webinar-montagna-bellunese-resilienza-2021")
    assert webinar.kind == EventKind.WEBINAR
    assert [m.url for m in webinar.materials if m.kind.value == "recording"] == [
        "https://opensocialclusters.eu/5thtransfer-webinar-social-innovation-and-tourism/"
    ]

    mestre = event("resilient-mestre-2022")
    assert mestre.format == EventFormat.HYBRID
    assert len(mestre.registrable_parts) == 2
    html = client.get("/events/resilient-mestre-2022/").get_data(as_text=True)
    assert "lunedì 17 gennaio 2022, 9:45–17:00" in html
    assert "martedì 18 gennaio 2022, 9:00–13:00" in html
    assert "Parco scientifico e tecnologico Vega" in html
    assert "progetti.territoriali@tb.camcom.it" in html

    venice = event("resilient-final-conference-venezia-2022")
    assert sum(s.kind.value == "round_table" for s in venice.sessions) == 3
    assert sum(s.kind.value == "workshop" for s in venice.sessions) == 3
    assert "mercoledì 20 aprile 2022" in client.get(
        "/events/resilient-high-level-policy-event-bruxelles-2022/").get_data(as_text=True)

    for slug, kind in (("torino-ecosistema-innovazione-sociale-2024", EventKind.STUDY_VISIT),
                       ("missione-cooperazione-imprese-mediterraneo-marsiglia-2016", EventKind.MISSION)):
        e = event(slug)
        assert e.kind == kind
        days = {s.starts_at.astimezone(__import__("zoneinfo").ZoneInfo(e.timezone)).date() for s in e.sessions}
        assert len(days) == 3
    marseille = event("missione-cooperazione-imprese-mediterraneo-marsiglia-2016")
    assert any(s.kind.value == "b2b" for s in marseille.sessions)
    assert event("meet-mediterranean-innovation-tales").kind == EventKind.SCREENING

    past = client.get("/events/?when=past").get_data(as_text=True)
    assert "MEET – Mediterranean Innovation Tales" in past


def test_demo_has_upcoming_events_so_the_site_is_alive(runner, client):
    runner.invoke(args=["demo", "load"])
    html = client.get("/events/").get_data(as_text=True)
    assert "3 eventi in programma" in html
    kinds = {e.kind for e in db.session.scalars(sa.select(Event)) if not e.is_past()}
    assert {EventKind.WEBINAR, EventKind.WORKSHOP, EventKind.CONFERENCE} <= kinds

    workshop = event("laboratorio-competenze-transizione-giusta")
    assert workshop.format == EventFormat.HYBRID
    # "5 persone in presenza per giornata": a limit per day and mode, not over the event.
    assert [(p.capacity_in_person, p.capacity_online) for p in workshop.registrable_parts] == [(5, 20), (5, 20)]
    assert workshop.online_join_url
    page = client.get("/events/laboratorio-competenze-transizione-giusta/").get_data(as_text=True)
    assert workshop.online_join_url not in page

    home = client.get("/").get_data(as_text=True)
    assert "Rivedi la registrazione" in home

"""The registration form and the attendee's private page, as a visitor uses them."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.events.models import EventFormat, Material, Visibility
from app.extensions import db
from app.mail.models import OutboxMessage
from app.registrations.models import Question, QuestionKind, Registration, RegistrationStatus
from app.registrations.views import registration_box
from tests.factories import EventFactory, SessionFactory, in_days, registration_form


def form(**overrides) -> dict:
    return registration_form(**{"email": " Maria.Rossi@Example.ORG ", "organisation": "Cooperativa Sociale",
                                **overrides})


def registrations() -> list[Registration]:
    return list(db.session.scalars(sa.select(Registration).order_by(Registration.id)))


def registered(client) -> Registration:
    """Maria's registration to a new event, `evento`, made through its form."""
    EventFactory(slug="evento")
    db.session.commit()
    client.post("/events/evento/register", data=form())
    return registrations()[0]


def page(resp) -> str:
    return resp.get_data(as_text=True)


def private_link(recipient: str) -> str:
    """The attendee page link from the last e-mail sent to `recipient`."""
    mail = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == recipient)
        .order_by(OutboxMessage.id.desc())
    ).first()
    match = re.search(r"/registrations/[A-Za-z0-9_-]+/", mail.body_text)
    return match.group(0)


def test_a_visitor_registers_and_opens_their_private_page_from_the_e_mail(client):
    event = EventFactory(title="Transizione giusta", slug="transizione", capacity=30)
    db.session.commit()
    resp = client.post("/events/transizione/register", data=form(newsletter_opt_in="y"))
    assert resp.status_code == 303  # reloading the answer does not send the form again
    resp = client.get(resp.headers["Location"])
    reg = registrations()[0]
    answer = page(resp)
    assert "controlla la tua casella" in answer and "maria.rossi@example.org" in answer
    assert reg.token not in answer  # the private link travels only by e-mail
    assert reg.email == "maria.rossi@example.org"
    assert reg.consent_version and reg.consent_at is not None and reg.newsletter_opt_in
    mail = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.category == "registration.confirmed"))
    assert mail.recipient == "maria.rossi@example.org"
    assert mail.subject.startswith("Iscrizione confermata")
    assert f"/registrations/{reg.token}/" in mail.body_text and mail.body_html
    body = page(client.get(private_link("maria.rossi@example.org")))
    assert "Transizione giusta" in body and "Confermata" in body
    assert event.id == reg.event_id


def test_someone_using_another_persons_address_never_reaches_their_private_data(client):
    # The owner of the address is registered online for a webinar with a join link.
    EventFactory(slug="webinar", format=EventFormat.ONLINE,
                 online_join_url="https://meet.example.org/segreto")
    EventFactory(slug="convegno")
    db.session.commit()
    client.post("/events/webinar/register", data=form(email="vittima@example.org"))
    # Someone else registers that address for another event, and again for the webinar.
    other_event = page(client.post("/events/convegno/register", data=form(email="vittima@example.org"),
                                   follow_redirects=True))
    again = page(client.post("/events/webinar/register", data=form(email="vittima@example.org"),
                             follow_redirects=True))
    for answer in (other_event, again):
        assert "/registrations/" not in answer and "/calendar/" not in answer
        assert "meet.example.org" not in answer
    # And the answer does not even tell that the address was already registered.
    fresh = page(client.post("/events/webinar/register", data=form(email="nuovo@example.org"),
                             follow_redirects=True))
    assert again.replace("vittima@example.org", "@") == fresh.replace("nuovo@example.org", "@")


def test_english_visitors_get_english_e_mails(client):
    EventFactory(slug="webinar")
    db.session.commit()
    client.post("/language", data={"lang": "en", "next": "/"})
    client.post("/events/webinar/register", data=form())
    mail = db.session.scalar(sa.select(OutboxMessage))
    assert mail.language == "en" and mail.subject.startswith("Registration confirmed")


def test_a_two_day_hybrid_event_asks_mode_and_days(client):
    event = EventFactory(slug="mestre", format=EventFormat.HYBRID,
                         starts_at=in_days(20, 8), ends_at=in_days(21, 12))
    monday = SessionFactory(event=event, title="Sinergie e open data", registrable=True)
    tuesday = SessionFactory(event=event, title="Transizione giusta", registrable=True,
                             starts_at=in_days(21, 8))
    db.session.commit()
    body = page(client.get("/events/mestre/register"))
    assert "In presenza" in body and "Online" in body
    assert "Sinergie e open data" in body and "Transizione giusta" in body
    resp = client.post("/events/mestre/register", data=form(attendance_mode="online"))
    assert resp.status_code == 422 and "almeno una" in page(resp)
    assert registrations() == []
    client.post("/events/mestre/register",
                data=form(attendance_mode="online", parts=[str(monday.id), str(tuesday.id)]))
    reg = registrations()[0]
    assert reg.is_online and [p.title for p in reg.parts] == ["Sinergie e open data", "Transizione giusta"]


def test_every_mistake_is_shown_on_the_first_try(client):
    event = EventFactory(slug="mestre", format=EventFormat.HYBRID)
    SessionFactory(event=event, title="Giornata 1", registrable=True)
    db.session.commit()
    resp = client.post("/events/mestre/register", data=form(
        attendance_mode="online", email="not-an-address", privacy_consent=None))
    body = page(resp)
    assert resp.status_code == 422
    assert "indirizzo e-mail valido" in body
    assert "informativa sulla privacy" in body
    assert "Scegli almeno una giornata o parte." in body  # the days, in the same answer
    assert registrations() == []


@pytest.mark.parametrize("overrides, message", [
    ({"email": "not-an-address"}, "indirizzo e-mail valido"),
    ({"privacy_consent": None}, "informativa sulla privacy"),
    ({"first_name": "x" * 101}, "più lungo di 100 caratteri"),
    ({"first_name": "<script>alert(1)</script>"}, "testo semplice"),
    ({"last_name": "=HYPERLINK(\"http://evil\")"}, "testo semplice"),
])
def test_bad_input_gets_a_clear_message_and_writes_nothing(client, overrides, message):
    EventFactory(slug="evento")
    db.session.commit()
    resp = client.post("/events/evento/register", data=form(**overrides))
    assert resp.status_code == 422
    assert message in page(resp)
    assert registrations() == []
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0


def on_the_test_clock(settings: dict) -> dict:
    """Parameters are built when the tests are collected; a date in them is a function,
    called here so it is counted from the clock the test runs on, not the collection's."""
    return {key: value() if callable(value) else value for key, value in settings.items()}


@pytest.mark.parametrize("settings, message", [
    ({"registration_opens_at": lambda: in_days(3)}, "non sono ancora aperte"),
    ({"registration_closes_at": lambda: in_days(-1)}, "sono chiuse"),
    ({"status": "cancelled"}, "è stato annullato"),
    ({"capacity": 0, "waitlist_enabled": False}, "completo"),
])
def test_a_closed_form_says_why_and_a_post_writes_nothing(client, settings, message):
    EventFactory(slug="evento", **on_the_test_clock(settings))
    db.session.commit()
    assert message in page(client.get("/events/evento/register"))
    resp = client.post("/events/evento/register", data=form())
    assert message in page(resp)
    assert registrations() == []


def test_drafts_and_unknown_events_have_no_form(client):
    EventFactory(slug="bozza", status="draft")
    db.session.commit()
    assert client.get("/events/bozza/register").status_code == 404
    assert client.get("/events/nessuno/register").status_code == 404


def test_a_full_event_offers_the_waiting_list_and_shows_the_position(client):
    EventFactory(slug="pieno", capacity=1)
    db.session.commit()
    client.post("/events/pieno/register", data=form(email="primo@example.org"))
    body = page(client.get("/events/pieno/register"))
    assert "lista d'attesa" in body
    client.post("/events/pieno/register", data=form(email="secondo@example.org"))
    body = page(client.get(private_link("secondo@example.org")))
    assert "numero 1 in lista d&#39;attesa" in body or "numero 1 in lista d'attesa" in body


def test_registering_twice_sends_the_link_again_and_creates_nothing(client):
    registered(client)
    resp = client.post("/events/evento/register", data=form(first_name="Mario"), follow_redirects=True)
    assert resp.status_code == 200 and "Controlla la tua casella" in page(resp)
    assert len(registrations()) == 1 and registrations()[0].first_name == "Maria"
    categories = [m.category for m in db.session.scalars(sa.select(OutboxMessage))]
    assert categories == ["registration.confirmed", "registration.already_registered"]


def test_the_honeypot_catches_bots_without_telling_them(client):
    EventFactory(slug="evento")
    db.session.commit()
    resp = client.post("/events/evento/register", data=form(website="http://spam.example"), follow_redirects=True)
    assert resp.status_code == 200
    assert registrations() == []


def test_a_missing_csrf_token_is_refused_with_a_readable_page(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    EventFactory(slug="evento")
    db.session.commit()
    resp = client.post("/events/evento/register", data=form())
    assert resp.status_code == 400 and "Il modulo è scaduto" in page(resp)
    assert registrations() == []


def test_posting_too_often_from_one_address_is_limited(app):
    from app import create_app
    from tests.conftest import BACKEND, make_config

    limited = create_app(make_config(RATELIMIT_ENABLED=True, REGISTRATION_RATE_LIMIT="2 per minute"))
    with limited.app_context():
        if BACKEND == "sqlite":
            db.create_all()  # its own in-memory database
        EventFactory(slug="evento")
        db.session.commit()
        c = limited.test_client()
        codes = [c.post("/events/evento/register", data=form(email=f"p{i}@example.org")).status_code
                 for i in range(3)]
        assert codes == [303, 303, 429]
        assert len(registrations()) == 2
        db.session.remove()
        db.engine.dispose()


def test_custom_questions_are_asked_and_stored(client):
    event = EventFactory(slug="evento")
    db.session.add_all([
        Question(event=event, label="Partecipi al pranzo?", kind=QuestionKind.YES_NO, required=True),
        Question(event=event, label="Tavoli", kind=QuestionKind.MULTIPLE, options="Open data\nTurismo\nFSE+"),
    ])
    db.session.commit()
    q1, q2 = db.session.scalars(sa.select(Question).order_by(Question.id)).all()
    resp = client.post("/events/evento/register", data=form())
    assert resp.status_code == 422 and registrations() == []
    client.post("/events/evento/register", data=form(**{q1.field_name: "yes", q2.field_name: ["Turismo", "FSE+"]}))
    assert registrations()[0].answers == {str(q1.id): True, str(q2.id): ["Turismo", "FSE+"]}


def test_html_in_the_organisation_is_shown_as_text(client):
    EventFactory(slug="evento")
    db.session.commit()
    client.post("/events/evento/register", data=form(organisation="<b>ACME</b>"))
    body = page(client.get(private_link("maria.rossi@example.org")))
    assert "&lt;b&gt;ACME&lt;/b&gt;" in body and "<b>ACME</b>" not in body
    mail = db.session.scalar(sa.select(OutboxMessage))
    assert "<b>ACME" not in mail.body_html


def test_the_join_link_is_shown_only_to_confirmed_online_attendees(client):
    event = EventFactory(slug="webinar", format=EventFormat.HYBRID, capacity_online=1,
                         online_join_url="https://meet.example.org/segreto")
    db.session.add(Material(event=event, title="Slide riservate", url="https://example.org/slides",
                            visibility=Visibility.REGISTRANTS))
    db.session.commit()
    client.post("/events/webinar/register", data=form(attendance_mode="online", email="a@example.org"))
    client.post("/events/webinar/register", data=form(attendance_mode="online", email="b@example.org"))
    client.post("/events/webinar/register", data=form(attendance_mode="in_person", email="c@example.org"))
    online, waiting, in_person = registrations()
    assert waiting.status == RegistrationStatus.WAITLISTED
    confirmed_page = page(client.get(f"/registrations/{online.token}/"))
    assert "meet.example.org/segreto" in confirmed_page and "Slide riservate" in confirmed_page
    for reg in (waiting, in_person):
        assert "meet.example.org/segreto" not in page(client.get(f"/registrations/{reg.token}/"))
    assert "segreto" not in page(client.get("/events/webinar/"))
    assert "segreto" not in page(client.get("/events/webinar/register"))
    for mail in db.session.scalars(sa.select(OutboxMessage)):
        assert "segreto" not in mail.body_text + mail.body_html


def test_the_private_page_is_never_cached_and_altered_tokens_get_404(client):
    token = registered(client).token
    resp = client.get(f"/registrations/{token}/")
    assert resp.headers["Cache-Control"] == "no-store" and resp.headers["Referrer-Policy"] == "no-referrer"
    altered = token[:-2] + ("aa" if not token.endswith("aa") else "bb")
    assert client.get(f"/registrations/{altered}/").status_code == 404
    assert client.get("/registrations/unknown/").status_code == 404


def test_in_person_attendees_see_a_check_in_qr_code(client):
    body = page(client.get(f"/registrations/{registered(client).token}/"))
    assert "<svg" in body and "/admin/checkin/" not in body  # the code is in the modules only


def test_an_attendee_cancels_after_confirming_and_the_next_person_gets_the_seat(client):
    EventFactory(slug="evento", capacity=1)
    db.session.commit()
    client.post("/events/evento/register", data=form(email="a@example.org"))
    client.post("/events/evento/register", data=form(email="b@example.org"))
    first, second = registrations()
    confirm = client.get(f"/registrations/{first.token}/cancel")
    assert "Annullare l'iscrizione?" in page(confirm) or "Annullare l&#39;iscrizione?" in page(confirm)
    assert first.status == RegistrationStatus.CONFIRMED  # a GET changes nothing
    resp = client.post(f"/registrations/{first.token}/cancel", follow_redirects=True)
    assert "annullata" in page(resp)
    db.session.expire_all()
    assert first.status == RegistrationStatus.CANCELLED and second.status == RegistrationStatus.CONFIRMED


def test_an_attendee_erases_their_data_and_the_link_stops_working(client):
    token = registered(client).token
    resp = client.post(f"/registrations/{token}/erase")
    assert resp.status_code == 302 and resp.headers["Location"] == "/events/evento/"
    reg = registrations()[0]
    assert reg.email == "" and reg.anonymised_at is not None
    assert client.get(f"/registrations/{token}/").status_code == 404


@pytest.mark.parametrize("settings, text", [
    ({"capacity": 10}, "Iscriviti"),
    ({"capacity": 0}, "lista d"),
    ({"capacity": 0, "waitlist_enabled": False}, "L'evento è completo"),
    ({"registration_opens_at": lambda: in_days(2)}, "Le iscrizioni aprono il"),
    ({"registration_closes_at": lambda: in_days(-2)}, "Le iscrizioni sono chiuse"),
    ({"registration_mode": "external", "registration_url": "https://eventbrite.example/x"}, "eventbrite.example"),
    ({"registration_mode": "not_required"}, "Non è richiesta l'iscrizione"),
])
def test_the_event_page_box_says_whether_and_how_to_register(app, settings, text):
    from flask import render_template

    event = EventFactory(**on_the_test_clock(settings))
    db.session.commit()
    with app.test_request_context("/"):
        html = render_template("registrations/_event_box.html", event=event,
                               panel=registration_box(event))
    assert text in html.replace("&#39;", "'")


def test_the_form_is_usable_on_a_phone(client):
    EventFactory(slug="evento")
    db.session.commit()
    body = page(client.get("/events/evento/register"))
    assert 'name="viewport"' in body and "w-100" in body
    assert 'autocomplete="email"' in body

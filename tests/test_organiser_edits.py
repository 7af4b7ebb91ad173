"""Organisers change what already exists: reworded and reordered questions, a cancelled
event with its reason, a practical note in the e-mails, and many failed e-mails sent
again at once."""
from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.audit import AuditEntry
from app.auth.models import Role
from app.events.models import EventStatus
from app.extensions import db
from app.mail.models import OutboxMessage, OutboxStatus
from app.registrations.models import Question, QuestionKind, Registration
from app.registrations.services import AttendeeDetails, anonymise_registration, register_attendee
from app.registrations.signals import registration_created
from app.reminders.services import send_due_reminders
from tests.factories import (
    EventFactory,
    RegistrationFactory,
    UserFactory,
    in_days,
    registration_form,
)


@pytest.fixture
def event(organiser):
    return EventFactory(title="Policy event Bruxelles", slug="policy-bruxelles", organisers=[organiser])


def text(resp) -> str:
    return resp.get_data(as_text=True)


def visible(html: str) -> str:
    """What a person reads: the page without scripts, tags and their attributes."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def visitor_form(**answers) -> dict:
    return registration_form(**{"email": "maria@example.org", **answers})


def mails(category: str) -> list[OutboxMessage]:
    return list(db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.category == category).order_by(OutboxMessage.id)))


# --- questions ------------------------------------------------------------------------


def answered_by_maria(client, event, label: str, kind: QuestionKind, answer: str) -> tuple[Question, Registration]:
    """A question on the event's form, and Maria's registration giving `answer` to it."""
    question = Question(event=event, label=label, kind=kind)
    db.session.add(question)
    db.session.commit()
    client.post("/events/policy-bruxelles/register", data=visitor_form(**{question.field_name: answer}))
    return question, db.session.scalar(sa.select(Registration))


def test_a_reworded_question_keeps_the_wording_earlier_answers_were_given_to(client, auth, organiser, event):
    question, maria = answered_by_maria(client, event, "Partecipi al pranzo?", QuestionKind.YES_NO, "yes")

    auth.login(organiser)
    resp = client.post(f"/admin/events/{event.id}/registrations/questions/{question.id}/edit",
                       data={"label": "Partecipi al pranzo a buffet di martedì?", "kind": "yes_no"},
                       follow_redirects=True)
    assert "Partecipi al pranzo a buffet di martedì?" in text(resp)

    # The organiser reads Maria's answer beside the question she was asked.
    detail = text(client.get(f"/admin/registrations/{maria.id}/"))
    assert "Partecipi al pranzo?" in detail
    assert "ora formulata: Partecipi al pranzo a buffet di martedì?" in detail
    # So does Maria, on her private page.
    auth.logout()
    own = text(client.get(f"/registrations/{maria.token}/"))
    assert "Partecipi al pranzo?" in own and "buffet" not in own
    # A new registrant is asked, and answers, the new wording.
    form = text(client.get("/events/policy-bruxelles/register"))
    assert "Partecipi al pranzo a buffet di martedì?" in form
    client.post("/events/policy-bruxelles/register",
                data=visitor_form(email="luca@example.org", **{question.field_name: "no"}))
    luca = db.session.scalar(sa.select(Registration).where(Registration.email == "luca@example.org"))
    assert luca.answer_labels == {str(question.id): "Partecipi al pranzo a buffet di martedì?"}


def test_an_answer_to_a_removed_question_stays_with_its_question(client, auth, organiser, event):
    question, maria = answered_by_maria(client, event, "Tavolo di lavoro", QuestionKind.TEXT, "Open data")
    auth.login(organiser)
    client.post(f"/admin/events/{event.id}/registrations/questions/{question.id}/delete")
    detail = text(client.get(f"/admin/registrations/{maria.id}/"))
    assert "Tavolo di lavoro" in detail and "Open data" in detail and "domanda rimossa in seguito" in detail


def test_organisers_reorder_questions_and_the_form_follows(client, auth, organiser, event):
    db.session.commit()
    auth.login(organiser)
    for label in ("Primo", "Secondo", "Terzo"):
        client.post(f"/admin/events/{event.id}/registrations/questions", data={"label": label, "kind": "text"})
    third = db.session.scalar(sa.select(Question).where(Question.label == "Terzo"))
    client.post(f"/admin/events/{event.id}/registrations/questions/{third.id}/up")
    client.post(f"/admin/events/{event.id}/registrations/questions/{third.id}/up")
    page = text(client.get("/events/policy-bruxelles/register"))
    assert page.index("Terzo") < page.index("Primo") < page.index("Secondo")
    listing = text(client.get(f"/admin/events/{event.id}/registrations/questions"))
    assert listing.index("Terzo") < listing.index("Primo") < listing.index("Secondo")


def test_another_organiser_cannot_edit_or_move_the_questions(client, auth, event):
    question = Question(event=event, label="Tavolo", kind=QuestionKind.TEXT)
    db.session.add(question)
    other = UserFactory(role=Role.ORGANISER)
    db.session.commit()
    auth.login(other)
    base = f"/admin/events/{event.id}/registrations/questions/{question.id}"
    assert client.get(f"{base}/edit").status_code == 403
    assert client.post(f"{base}/edit", data={"label": "Altro", "kind": "text"}).status_code == 403
    assert client.post(f"{base}/up").status_code == 403
    assert db.session.get(Question, question.id).label == "Tavolo"


def test_erasing_a_registration_forgets_the_answers_and_their_questions(event):
    reg = RegistrationFactory(event=event, answers={"1": "Vegetariano"}, answer_labels={"1": "Menu"})
    anonymise_registration(reg)
    db.session.commit()
    assert reg.answers == {} and reg.answer_labels == {}


# --- cancelling with a reason ---------------------------------------------------------


def test_cancelling_asks_for_a_reason_shown_on_the_page_and_in_the_e_mail(client, auth, organiser, event):
    register_attendee(event, AttendeeDetails(first_name="Maria", last_name="Rossi",
                                             email="maria@example.org", consent=True))
    register_attendee(event, AttendeeDetails(first_name="Ann", last_name="Smith", email="ann@example.org",
                                             consent=True, language="en"))
    db.session.commit()
    auth.login(organiser)

    refused = client.post(f"/admin/events/{event.id}/cancel", data={"reason": "  "})
    assert refused.status_code == 400
    assert 'id="reason-errors"' in text(refused)
    assert db.session.get(Event_(), event.id).status == EventStatus.PUBLISHED

    client.post(f"/admin/events/{event.id}/cancel",
                data={"reason": "Il Parlamento ha chiuso la sala per una seduta straordinaria."})
    assert db.session.get(Event_(), event.id).status == EventStatus.CANCELLED
    auth.logout()
    page = text(client.get("/events/policy-bruxelles/"))
    assert "Motivo: Il Parlamento ha chiuso la sala per una seduta straordinaria." in page

    notices = {m.recipient: m for m in mails("calendar")}
    assert "Motivo: Il Parlamento ha chiuso la sala" in notices["maria@example.org"].body_text
    assert "Motivo: Il Parlamento ha chiuso la sala" in notices["maria@example.org"].body_html
    assert "Reason: Il Parlamento ha chiuso la sala" in notices["ann@example.org"].body_text


def Event_():
    from app.events.models import Event

    return Event


# --- the practical note in the e-mails ------------------------------------------------


def test_the_event_note_reaches_confirmations_and_reminders_in_the_registrant_language(client, auth, organiser):
    event = EventFactory(title="Conferenza finale", starts_at=in_days(5, 8))
    event.organisers.append(organiser)
    db.session.commit()
    auth.login(organiser)
    edit = text(client.get(f"/admin/events/{event.id}/edit"))
    assert "Nota per le e-mail (italiano)" in edit and "Nota per le e-mail (inglese)" in edit
    local = event.starts_at.astimezone(ZoneInfo("Europe/Rome"))
    client.post(f"/admin/events/{event.id}/edit", data={
        "title": "Conferenza finale", "slug": event.slug, "kind": "conference", "format": "in_person",
        "language": "it", "timezone": "Europe/Rome", "starts_at": local.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (local + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M"), "venue_id": "0",
        "project_id": "0", "registration_mode": "required", "reminder_hours_before": "24",
        "email_note": "Portate un documento d'identità per l'ingresso al Parlamento.",
        "email_note_en": "Bring an ID for the Parliament entrance.",
    })
    db.session.expire_all()
    assert event.email_note_en == "Bring an ID for the Parliament entrance."

    for email, language in (("maria@example.org", "it"), ("ann@example.org", "en")):
        outcome = register_attendee(event, AttendeeDetails(
            first_name="X", last_name="Y", email=email, consent=True, language=language))
        registration_created.send(outcome.registration)
    db.session.commit()
    confirmed = {m.recipient: m for m in mails("registration.confirmed")}
    assert "Nota bene: Portate un documento d'identità" in confirmed["maria@example.org"].body_text
    assert "Portate un documento d&#39;identità" in confirmed["maria@example.org"].body_html
    assert "Please note: Bring an ID for the Parliament entrance." in confirmed["ann@example.org"].body_text
    assert "documento" not in confirmed["ann@example.org"].body_text

    send_due_reminders(now=event.starts_at - timedelta(hours=2))
    db.session.commit()
    reminders = {m.recipient: m for m in mails("reminder.day_before")}
    assert "Portate un documento d'identità" in reminders["maria@example.org"].body_text
    assert "Bring an ID for the Parliament entrance." in reminders["ann@example.org"].body_text


def test_without_an_english_note_english_registrants_read_the_italian_one(event):
    event.email_note = "Ingresso da via Roma."
    outcome = register_attendee(event, AttendeeDetails(first_name="Ann", last_name="Smith",
                                                       email="ann@example.org", consent=True, language="en"))
    db.session.commit()
    mail = mails("registration.confirmed")[0]
    assert mail.recipient == outcome.registration.email
    assert "Please note: Ingresso da via Roma." in mail.body_text


def test_an_event_without_a_note_adds_nothing(event):
    register_attendee(event, AttendeeDetails(first_name="Maria", last_name="Rossi",
                                             email="maria@example.org", consent=True))
    db.session.commit()
    assert "Nota bene" not in mails("registration.confirmed")[0].body_text


# --- the outbox: many at once, filters ------------------------------------------------


def message(event, status=OutboxStatus.FAILED, category="registration.confirmed", recipient=None):
    msg = OutboxMessage(category=category, recipient=recipient or f"p{id(object())}@example.org",
                        subject="Iscrizione confermata", body_text="Ciao", status=status,
                        attempts=5, event_id=event.id if event else None)
    db.session.add(msg)
    return msg


def test_an_organiser_retries_many_failed_messages_of_their_own_events_only(client, auth, organiser, event):
    mine = [message(event, recipient=f"a{i}@example.org") for i in range(3)]
    delivered = message(event, status=OutboxStatus.SENT, recipient="sent@example.org")
    theirs = message(EventFactory(), recipient="theirs@example.org")
    db.session.commit()
    auth.login(organiser)

    listing = text(client.get("/admin/outbox?status=failed"))
    assert listing.count('name="messages"') == 3 and "theirs@example.org" not in listing

    ids = [m.id for m in mine] + [delivered.id, theirs.id]
    resp = client.post("/admin/outbox/retry", data={"messages": ids}, follow_redirects=True)
    assert "3 messaggi saranno inviati di nuovo a breve." in text(resp)
    assert "1 messaggio non è stato reinviato" in text(resp)
    db.session.expire_all()
    assert [m.status for m in mine] == [OutboxStatus.QUEUED] * 3 and mine[0].attempts == 0
    assert delivered.status == OutboxStatus.SENT
    assert theirs.status == OutboxStatus.FAILED


def test_retrying_nothing_says_so(client, auth, organiser, event):
    db.session.commit()
    auth.login(organiser)
    resp = client.post("/admin/outbox/retry", data={}, follow_redirects=True)
    assert "Seleziona i messaggi da inviare di nuovo." in text(resp)


def test_retrying_needs_the_form_token(app, client, auth, organiser, event):
    msg = message(event)
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    auth.login(organiser)
    assert client.post("/admin/outbox/retry", data={"messages": [msg.id]}).status_code == 400
    db.session.expire_all()
    assert msg.status == OutboxStatus.FAILED


def test_the_outbox_filters_by_status_event_and_kind_with_their_names(client, auth, organiser, event):
    other = EventFactory(title="Webinar turismo")
    other.organisers.append(organiser)
    message(event, category="registration.confirmed", recipient="one@example.org")
    message(event, category="reminder.day_before", status=OutboxStatus.SENT, recipient="two@example.org")
    message(other, category="registration.confirmed", recipient="three@example.org")
    db.session.commit()
    auth.login(organiser)

    page = text(client.get("/admin/outbox"))
    assert ">Iscrizione confermata</option>" in page and ">Promemoria prima dell&#39;evento</option>" in page
    assert ">Webinar turismo</option>" in page and ">Policy event Bruxelles</option>" in page
    assert "registration.confirmed" not in visible(page) and "reminder.day_before" not in visible(page)

    by_event = text(client.get(f"/admin/outbox?event_id={other.id}"))
    assert "three@example.org" in by_event and "one@example.org" not in by_event
    by_kind = text(client.get("/admin/outbox?category=reminder.day_before"))
    assert "two@example.org" in by_kind and "one@example.org" not in by_kind
    by_status = text(client.get("/admin/outbox?status=sent"))
    assert "two@example.org" in by_status and "three@example.org" not in by_status


def test_the_outbox_page_costs_the_same_with_more_messages(client, auth, organiser, event, count_queries):
    for i in range(3):
        message(EventFactory(organisers=[organiser]), recipient=f"x{i}@example.org")
    db.session.commit()
    auth.login(organiser)
    client.get("/admin/outbox")
    with count_queries() as few:
        client.get("/admin/outbox")
    for i in range(20):
        message(EventFactory(organisers=[organiser]), recipient=f"y{i}@example.org")
    db.session.commit()
    client.get("/admin/outbox")
    with count_queries() as many:
        client.get("/admin/outbox")
    assert many() == few()


def test_retried_messages_are_in_the_audit_log_by_name(client, auth, event):
    admin = UserFactory(role=Role.ADMIN)
    msg = message(event)
    db.session.commit()
    auth.login(admin)
    client.post("/admin/outbox/retry", data={"messages": [msg.id]})
    page = text(client.get("/admin/audit"))
    assert "E-mail inviata di nuovo" in page and "outbox.retry" not in page
    assert re.search(r'<option value="outboxmessage"[^>]*>E-mail</option>', page)


def test_retrying_many_costs_what_retrying_a_few_does(client, auth, organiser, event, count_queries):
    db.session.commit()
    auth.login(organiser)
    client.get("/admin/outbox")

    def retry(n: int) -> int:
        messages = [message(event, recipient=f"r{n}-{i}@example.org") for i in range(n)]
        db.session.commit()
        ids = [m.id for m in messages]
        client.get("/admin/outbox")
        with count_queries() as statements:
            client.post("/admin/outbox/retry", data={"messages": ids})
        return statements()

    assert retry(3) == retry(30)
    entries = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                                .where(AuditEntry.action == "outbox.retry"))
    assert entries == 33

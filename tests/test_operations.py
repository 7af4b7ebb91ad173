"""Back-office operations: validation, versions, audit entries and signals."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.audit import AuditEntry
from app.auth.models import Role
from app.events import operations as ops
from app.events import signals
from app.events.models import (
    Event,
    EventFormat,
    EventStatus,
    MaterialKind,
    Session,
    Venue,
)
from app.extensions import db
from tests.factories import (
    EventFactory,
    ProjectFactory,
    SessionFactory,
    SpeakerFactory,
    UserFactory,
    VenueFactory,
    in_days,
)


@contextmanager
def caught(signal):
    """Collect (sender, kwargs) of every send of `signal` inside the block."""
    seen: list[tuple] = []

    def receiver(sender, **kwargs):
        seen.append((sender, kwargs))

    signal.connect(receiver)
    try:
        yield seen
    finally:
        signal.disconnect(receiver)


def audit_actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def event_values(**overrides):
    values = {
        "title": "Conferenza finale +RESILIENT – Venezia",
        "starts_at": datetime(2030, 3, 10, 8, 30, tzinfo=UTC),
        "ends_at": datetime(2030, 3, 10, 16, 0, tzinfo=UTC),
    }
    values.update(overrides)
    return values


def test_an_organiser_creates_a_draft_they_organise_with_a_slug_from_the_title(app):
    organiser = UserFactory()
    event = ops.create_event(event_values(title="Città e comunità: l’innovazione"),
                             user=organiser)
    assert event.status == EventStatus.DRAFT
    assert event.slug == "citta-e-comunita-l-innovazione"
    assert event.organisers == [organiser]
    entry = db.session.scalar(sa.select(AuditEntry))
    assert (entry.action, entry.user_id, entry.object_id) == ("event.create", organiser.id, event.id)


def test_slugs_stay_unique_and_a_taken_slug_is_refused(app):
    user = UserFactory(role=Role.ADMIN)
    first = ops.create_event(event_values(title="Webinar"), user=user)
    second = ops.create_event(event_values(title="Webinar"), user=user)
    assert (first.slug, second.slug) == ("webinar", "webinar-2")
    with pytest.raises(ops.OperationError) as exc:
        ops.update_event(second, {"slug": "webinar"}, user=user)
    assert exc.value.field == "slug"
    with pytest.raises(ops.OperationError) as exc:
        ops.update_event(second, {"slug": "Not A Slug!"}, user=user)
    assert exc.value.field == "slug"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_at": datetime(2030, 3, 10, 8, 0, tzinfo=UTC)}, "ends_at"),
        ({"registration_closes_at": datetime(2030, 3, 11, tzinfo=UTC)}, "registration_closes_at"),
        ({"capacity": -1}, "capacity"),
        ({"online_join_url": "javascript:alert(1)"}, "online_join_url"),
        ({"registration_url": "ftp://example.org/x"}, "registration_url"),
        ({"title": "x" * 301}, "title"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
    ],
)
def test_invalid_events_are_refused_with_the_field_to_fix(app, overrides, field):
    with pytest.raises(ops.OperationError) as exc:
        ops.create_event(event_values(**overrides), user=UserFactory())
    assert exc.value.field == field
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 0


def test_a_date_in_the_past_is_allowed_for_the_archive(app):
    event = ops.create_event(
        event_values(starts_at=datetime(2021, 3, 22, 9, tzinfo=UTC),
                     ends_at=datetime(2021, 3, 22, 11, tzinfo=UTC)),
        user=UserFactory(),
    )
    assert event.is_past()


def test_editing_the_time_moves_version_and_sequence_and_signals_the_changes(app):
    user = UserFactory(role=Role.ADMIN)
    event = EventFactory()
    version, sequence = event.version, event.sequence
    new_start = event.starts_at + timedelta(days=1)
    with caught(signals.event_updated) as seen:
        changes = ops.update_event(
            event, {"starts_at": new_start, "ends_at": new_start + timedelta(hours=8)}, user=user
        )
    assert changes["starts_at"][1] == new_start
    assert (event.version, event.sequence) == (version + 1, sequence + 1)
    assert seen[0][0] is event and "starts_at" in seen[0][1]["changes"]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "event.update"))
    assert entry.details["changes"]["starts_at"][1] == new_start.isoformat()


def test_a_capacity_change_is_in_the_changes_without_moving_the_sequence(app):
    event = EventFactory(capacity=10)
    sequence = event.sequence
    with caught(signals.event_updated) as seen:
        ops.update_event(event, {"capacity": 20}, user=UserFactory(role=Role.ADMIN))
    assert seen[0][1]["changes"]["capacity"] == (10, 20)
    assert event.sequence == sequence


def test_saving_without_changes_writes_nothing(app):
    event = EventFactory()
    version = event.version
    with caught(signals.event_updated) as seen:
        assert ops.update_event(event, {"title": event.title}, user=UserFactory()) == {}
    assert seen == [] and event.version == version and audit_actions() == []


def test_publish_unpublish_cancel_send_their_signals(app):
    user = UserFactory(role=Role.ADMIN)
    event = EventFactory(status=EventStatus.DRAFT)
    with caught(signals.event_published) as published:
        ops.publish_event(event, user=user)
    assert published[0][0] is event and event.published_at is not None
    with caught(signals.event_updated) as updated:
        ops.unpublish_event(event, user=user)
    assert updated[0][1]["changes"]["status"] == (EventStatus.PUBLISHED, EventStatus.DRAFT)
    with caught(signals.event_cancelled) as cancelled:
        ops.cancel_event(event, user=user, reason="The speaker is ill.")
    assert cancelled[0][0] is event
    assert event.is_cancelled and event.is_public and event.cancelled_at is not None
    with pytest.raises(ops.OperationError):
        ops.publish_event(event, user=user)
    assert audit_actions() == ["event.publish", "event.unpublish", "event.cancel"]


def test_duplicating_copies_details_and_programme_as_a_draft(app):
    admin = UserFactory(role=Role.ADMIN)
    organiser = UserFactory()
    speaker = SpeakerFactory()
    event = EventFactory(slug="missione-marsiglia", capacity=40)
    event.organisers = [organiser]
    SessionFactory(event=event, title="B2B", speakers=[speaker], registrable=True, capacity=12)
    copy = ops.duplicate_event(event, user=admin)
    assert copy.slug == "missione-marsiglia-2"
    assert copy.status == EventStatus.DRAFT and copy.capacity == 40
    assert copy.organisers == [organiser]
    assert [(s.title, s.speakers, s.capacity) for s in copy.sessions] == [("B2B", [speaker], 12)]


def test_sessions_must_stay_inside_the_event(app):
    user = UserFactory()
    event = EventFactory()
    with pytest.raises(ops.OperationError) as exc:
        ops.add_session(event, {"title": "Too early", "starts_at": event.starts_at - timedelta(hours=1),
                                "ends_at": event.starts_at}, user=user)
    assert exc.value.field == "starts_at"
    with pytest.raises(ops.OperationError) as exc:
        ops.add_session(event, {"title": "Too late", "starts_at": event.starts_at,
                                "ends_at": event.ends_at + timedelta(minutes=1)}, user=user)
    assert exc.value.field == "ends_at"
    session = ops.add_session(event, {"title": "Apertura", "starts_at": event.starts_at,
                                      "ends_at": event.starts_at + timedelta(hours=1)}, user=user)
    # Shrinking the event around an existing session is refused too.
    with pytest.raises(ops.OperationError):
        ops.update_event(event, {"starts_at": session.ends_at}, user=user)


def test_a_registrable_part_capacity_change_is_signalled(app):
    session = SessionFactory(registrable=True, capacity=30)
    with caught(signals.part_capacity_changed) as seen:
        ops.update_session(session, {"capacity": 35}, user=UserFactory())
    assert seen[0][0] is session and seen[0][1]["changes"] == {"capacity": (30, 35)}


def test_speakers_are_assigned_in_the_order_chosen(app):
    session = SessionFactory()
    a, b = SpeakerFactory(name="Anna"), SpeakerFactory(name="Bruno")
    ops.assign_speakers(session, [b, a], user=UserFactory())
    db.session.expire(session, ["speakers"])
    assert [s.name for s in session.speakers] == ["Bruno", "Anna"]


def test_moving_a_session_up_swaps_time_slots_on_the_same_day(app):
    event = EventFactory(starts_at=in_days(5, 8), ends_at=in_days(5, 16))
    user = UserFactory()
    first = ops.add_session(event, {"title": "Saluti", "starts_at": event.starts_at,
                                    "ends_at": event.starts_at + timedelta(minutes=30)}, user=user)
    second = ops.add_session(event, {"title": "Tavola rotonda",
                                     "starts_at": event.starts_at + timedelta(minutes=30),
                                     "ends_at": event.starts_at + timedelta(hours=2)}, user=user)
    ops.move_session(second, -1, user=user)
    assert second.starts_at == event.starts_at
    assert second.ends_at == event.starts_at + timedelta(minutes=90)
    assert (first.starts_at, first.ends_at) == (second.ends_at, event.starts_at + timedelta(hours=2))
    assert [s.title for s in event.sessions] == ["Tavola rotonda", "Saluti"]
    with pytest.raises(ops.OperationError):
        ops.move_session(second, -1, user=user)


def test_parallel_sessions_swap_their_order(app):
    event = EventFactory()
    user = UserFactory()
    a = SessionFactory(event=event, title="Workshop A", position=0)
    b = SessionFactory(event=event, title="Workshop B", position=1)
    db.session.expire(event, ["sessions"])
    ops.move_session(b, -1, user=user)
    assert [s.title for s in event.sessions] == ["Workshop B", "Workshop A"]
    assert a.starts_at == b.starts_at


def test_deleting_a_session_bumps_the_event_and_is_audited(app):
    session = SessionFactory()
    event = session.event
    version = event.version
    ops.delete_session(session, user=UserFactory())
    assert event.sessions == [] and event.version > version
    assert db.session.get(Session, session.id) is None
    assert audit_actions() == ["session.delete"]


def test_adding_a_recording_announces_it(app):
    event = EventFactory()
    with caught(signals.material_published) as seen:
        material = ops.add_material(event, {"kind": MaterialKind.RECORDING, "title": "Registrazione",
                                            "url": "https://example.org/video"}, user=UserFactory())
    assert seen[0][0] is material
    with caught(signals.material_published) as seen:
        ops.add_material(event, {"kind": MaterialKind.SLIDES, "title": "Slide",
                                 "url": "https://example.org/slides.pdf"}, user=UserFactory())
    assert seen == []
    with pytest.raises(ops.OperationError) as exc:
        ops.add_material(event, {"kind": MaterialKind.LINK, "title": "Bad",
                                 "url": "javascript:alert(1)"}, user=UserFactory())
    assert exc.value.field == "url"


def test_editing_a_venue_moves_the_sequence_of_its_events(app):
    venue = VenueFactory()
    event = EventFactory(venue=venue, format=EventFormat.IN_PERSON)
    sequence = event.sequence
    with caught(signals.event_updated) as seen:
        ops.update_venue(venue, {"address": "Via Nuova 1"}, user=UserFactory(role=Role.ADMIN))
    assert event.sequence == sequence + 1 and seen[0][0] is event


def test_a_venue_in_use_cannot_be_deleted(app):
    venue = VenueFactory()
    EventFactory(venue=venue)
    with pytest.raises(ops.OperationError):
        ops.delete_venue(venue, user=UserFactory(role=Role.ADMIN))
    unused = ops.create_venue({"name": "Camera di Commercio, sede di Belluno"}, user=UserFactory())
    ops.delete_venue(unused, user=UserFactory(role=Role.ADMIN))
    assert db.session.get(Venue, unused.id) is None


def test_projects_get_a_slug_from_their_acronym_and_accept_only_web_urls(app):
    user = UserFactory()
    project = ops.create_project({"name": "Innovative Mediterranean Upcycling",
                                  "acronym": "INNOMED-UP"}, user=user)
    assert project.slug == "innomed-up"
    with pytest.raises(ops.OperationError) as exc:
        ops.update_project(project, {"website": "javascript:alert(1)"}, user=user)
    assert exc.value.field == "website"
    ProjectFactory(slug="taken")
    with pytest.raises(ops.OperationError):
        ops.update_project(project, {"slug": "taken"}, user=user)

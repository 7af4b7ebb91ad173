"""The catalogue version: cached lists and feeds follow every change, committed or not,
and a hit costs the same at any catalogue size."""
from __future__ import annotations

import sqlalchemy as sa

from app.events import services
from app.events.models import CatalogueVersion, EventStatus
from app.extensions import db
from tests.factories import EventFactory, MaterialFactory, ProjectFactory, VenueFactory
from tests.test_catalogue_cache import results


def version() -> int:
    return services.catalogue_version()[0]


def test_every_kind_of_catalogue_edit_moves_the_version_in_its_transaction(app):
    venue = VenueFactory(name="Vega")
    project = ProjectFactory()
    event = EventFactory(venue=venue, project=project)
    db.session.commit()
    for change in (
        lambda: setattr(event, "title", "Nuovo titolo"),
        lambda: setattr(venue, "city", "Venezia"),
        lambda: setattr(project, "acronym", "NEW"),
        lambda: MaterialFactory(event=event, title="Slide"),
        lambda: db.session.execute(
            sa.update(type(event)).where(type(event).id == event.id).values(status=EventStatus.DRAFT)),
    ):
        before = version()
        change()
        db.session.flush()
        # Bumped as the transaction's last statement, at the commit (lock order).
        assert version() == before
        db.session.commit()
        assert version() == before + 1


def test_a_rolled_back_edit_leaves_the_version_alone(app):
    event = EventFactory()
    db.session.commit()
    before = version()
    event.title = "Mai salvato"
    db.session.flush()
    db.session.rollback()
    assert version() == before


def test_a_fresh_database_without_the_row_gets_it_on_the_first_edit(app):
    db.session.execute(sa.delete(CatalogueVersion))
    db.session.commit()
    assert services.catalogue_version() == (0, None)
    EventFactory()
    db.session.commit()
    assert version() >= 1


def test_a_cached_list_is_one_query_whatever_the_catalogue_size(client, count_queries):
    for i in range(3):
        EventFactory(title=f"Evento {i}")
    MaterialFactory()
    db.session.commit()
    results(client)  # fills the cache
    with count_queries() as n:
        html = results(client)
    assert "Evento 2" in html
    assert n() == 1
    # The stamp reads the version row and the next end time: no aggregate over events
    # or materials.
    stamp_query = n.log[0].lower()
    assert "catalogue_versions" in stamp_query
    assert "count(" not in stamp_query and "sum(" not in stamp_query and "materials" not in stamp_query


def test_a_change_written_by_another_host_is_seen_by_the_cached_list(client):
    event = EventFactory(title="Prima")
    db.session.commit()
    assert "Prima" in results(client)
    # Another host's transaction: it moves the same row in the database.
    db.session.execute(sa.update(type(event)).where(type(event).id == event.id).values(title="Dopo"))
    db.session.commit()
    assert "Dopo" in results(client)

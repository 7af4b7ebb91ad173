"""The application and the tests read one clock, and a test can move it."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.db import utcnow
from app.extensions import db
from tests import clock
from tests.factories import EventFactory, in_days


def test_the_app_and_the_factories_follow_a_moved_clock(app, time_machine):
    time_machine.move_to(datetime(2027, 3, 28, 0, 59, 30, tzinfo=UTC), tick=False)
    assert utcnow() == datetime(2027, 3, 28, 0, 59, 30, tzinfo=UTC)
    assert in_days(0, 9) == datetime(2027, 3, 28, 9, tzinfo=UTC)
    assert in_days(1).date() == date(2027, 3, 29)


def test_an_event_leaves_the_upcoming_list_when_the_clock_passes_its_end(client, time_machine):
    time_machine.move_to(datetime(2026, 11, 30, 23, 30, tzinfo=UTC), tick=False)
    EventFactory(title="Serata finale", starts_at=utcnow() - timedelta(hours=1),
                 ends_at=utcnow() + timedelta(hours=1))
    db.session.commit()
    assert "Serata finale" in client.get("/events/").get_data(as_text=True)

    time_machine.shift(timedelta(hours=2))  # past midnight, into December

    assert "Serata finale" not in client.get("/events/").get_data(as_text=True)
    assert "Serata finale" in client.get("/events/?when=past").get_data(as_text=True)


@pytest.mark.parametrize(("text", "instant"), [
    ("2026-12-01T00:48:00Z", datetime(2026, 12, 1, 0, 48, tzinfo=UTC)),
    ("2026-12-01T01:48:00+01:00", datetime(2026, 12, 1, 0, 48, tzinfo=UTC)),
    ("2026-12-01 00:48", datetime(2026, 12, 1, 0, 48, tzinfo=UTC)),  # no offset: UTC
])
def test_eventi_test_now_reads_an_iso_instant(text, instant):
    assert clock.parse(text) == instant


def test_each_test_starts_at_eventi_test_now_when_it_is_set(monkeypatch):
    monkeypatch.setenv(clock.ENV, "2027-10-31T01:00:30Z")
    assert clock.shifted_to() == datetime(2027, 10, 31, 1, 0, 30, tzinfo=UTC)
    monkeypatch.delenv(clock.ENV)
    assert clock.shifted_to() is None

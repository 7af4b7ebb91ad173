"""The tests' clock: the real one, or one shifted to a chosen instant.

`app.db.utcnow()` is the one "now" of the application, and the tests read the same
clock (`tests.factories.in_days`, `tests.clock.now`). time-machine moves that clock at
the C level (datetime.now, date.today, time.time, time.localtime...), so neither the
application nor the tests need a hook of their own; `time.monotonic()` is left alone,
so deadlines and the scheduler's waits keep measuring real durations.

EVENTI_TEST_NOW=2026-12-01T00:48:00Z runs every test as if it started at that instant
(the clock keeps ticking from there). Without it each test runs on the real clock and
the instant it started is recorded, so a failure can be replayed at the same time of
day, month and year with EVENTI_TEST_NOW set to it.
"""
from __future__ import annotations

import os
from datetime import UTC, datetime

ENV = "EVENTI_TEST_NOW"
# A few instants that have broken date arithmetic before, for `make test-clock`
# and for anyone hunting a time-dependent failure by hand.
EDGES = (
    "2026-11-30T22:59:30Z",  # a minute before midnight in Rome (23:59:30 +01:00)
    "2026-11-30T23:00:30Z",  # just after midnight in Rome, 1 December there, still 30 November in UTC
    "2026-11-30T23:59:30Z",  # just before midnight UTC, end of a month
    "2026-12-01T00:48:00Z",  # just after midnight UTC, first of the month
    "2026-12-31T23:30:00Z",  # end of the year in UTC, already 1 January in Rome
    "2027-03-28T00:59:30Z",  # a minute before Rome springs forward (last Sunday of March)
    "2027-03-28T01:00:30Z",  # just after: 03:00:30 +02:00
    "2027-10-31T00:59:30Z",  # a minute before Rome falls back (last Sunday of October)
    "2027-10-31T01:00:30Z",  # the repeated hour: 02:00:30 +01:00
    "2028-02-29T12:00:00Z",  # a leap day
)


def parse(value: str) -> datetime:
    """An ISO 8601 instant; a value without an offset is read as UTC."""
    value = value.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def shifted_to() -> datetime | None:
    """The instant every test starts at, from EVENTI_TEST_NOW; None for the real clock."""
    value = os.environ.get(ENV, "")
    return parse(value) if value else None


def now() -> datetime:
    """The current instant, aware and in UTC, as the application sees it."""
    from app.db import utcnow

    return utcnow()


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

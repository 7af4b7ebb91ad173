"""Benchmark of the public calendar feed built from per-event fragments.

1,000 events (the catalogue of bench/calendars.py) in SQLite, built in this process
with the per-process cache. In alternating rounds it times:
- icalendar alone: the same VEVENTs written straight with the icalendar library (the floor);
- cold build: the feed's body is not cached (the catalogue version moved), each event's
  VEVENTs are taken from the fragment cache and joined;
- empty caches: nothing cached at all, every event serialised (after a deploy or a flush);
- one event changed: an event is edited, and the feed rebuilt.
Goals: cold build ≤ 1.2× icalendar alone; one event changed ≤ 0.15× of a full cold build
(everything serialised, the empty-cache figure).

Run: .venv/bin/python bench/feeds.py   [ROUNDS=5]
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._goals import alternating, goal, timed  # noqa: E402
from bench.calendars import N_EVENTS, direct_icalendar, plain_events, seed  # noqa: E402

ROUNDS = int(os.environ.get("ROUNDS", "5"))


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="eventi-bench-feeds-"))
    db_url = f"sqlite:///{tmp / 'bench.db'}"
    os.environ.update(DATABASE_URL=db_url, SECRET_KEY="bench", BASE_URL="http://127.0.0.1")

    import sqlalchemy as sa

    from app import create_app
    from app.cache import get_cache
    from app.calendars import ical
    from app.events.models import Event, _bump_catalogue_statement
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "RATELIMIT_ENABLED": False,
                      "LOG_REQUESTS": False, "CACHE_REDIS_URL": ""})
    with app.app_context():
        db.create_all()
        seed(app)
    client = app.test_client()

    def feed() -> bytes:
        resp = client.get("/calendar.ics")
        assert resp.status_code == 200
        return resp.data

    def move_catalogue_version() -> None:
        """What any edit does to the feed's key, with no event changed."""
        with app.app_context():
            conn = db.session.connection()
            conn.execute(_bump_catalogue_statement(conn.dialect.name))
            db.session.commit()

    body = feed()
    events_data = plain_events(body)
    edited = [0]

    def icalendar_alone() -> float:
        return timed(lambda: direct_icalendar(events_data))

    def cold() -> float:
        move_catalogue_version()
        return timed(feed)

    def empty_caches() -> float:
        move_catalogue_version()
        with app.app_context():
            get_cache().clear()
        ical.vtimezone.cache_clear()
        return timed(feed)

    def one_changed() -> float:
        feed()  # everything cached
        edited[0] += 1
        with app.app_context():
            event = db.session.scalars(sa.select(Event).where(Event.slug == "event-500")).one()
            event.title = f"Evento 500, titolo {edited[0]}"
            event.bump_version()
            db.session.commit()
        return timed(feed)

    try:
        figures = alternating(ROUNDS, icalendar_alone=icalendar_alone, cold=cold,
                              empty_caches=empty_caches, one_changed=one_changed)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ms = {k: v * 1000 for k, v in figures.items()}
    print(f"public feed: {N_EVENTS} events, {body.count(b'BEGIN:VEVENT')} VEVENTs, {len(body) / 1024:.0f} KiB;"
          f" median of {ROUNDS} alternating rounds")
    print(f"  icalendar alone (the floor):            {ms['icalendar_alone']:8.1f} ms")
    print(f"  cold build, fragments joined:           {ms['cold']:8.1f} ms")
    print(f"  empty caches, every event serialised:   {ms['empty_caches']:8.1f} ms"
          f"  ({ms['empty_caches'] / ms['icalendar_alone']:.2f}x icalendar alone)")
    print(f"  one event changed, rebuilt:             {ms['one_changed']:8.1f} ms")
    goal(f"feeds: cold build / icalendar alone, {N_EVENTS:,} events", ms["cold"] / ms["icalendar_alone"], 1.2)
    goal("feeds: rebuild after one edit / full cold build", ms["one_changed"] / ms["empty_caches"], 0.15)


if __name__ == "__main__":
    main()

"""Benchmark of the cached event list as the catalogue grows.

Two SQLite catalogues, 100 and 10,000 public events (a recording each), served in this
process; `/events/` is requested from the shared cache in alternating rounds, and the
median time of a cached hit at 10,000 events is compared with the same at 100. The
cache stamp is the catalogue version row plus the next end time (an index seek), so a
hit should cost the same at any size. For reference it also times the aggregate the
stamp used to be (count, sums and maxima over events and materials) at both sizes.

Run: .venv/bin/python bench/lists.py   [ROUNDS=7, HITS=200 per round]
     BENCH_PG_URL=postgresql+psycopg://.../<db> to measure on PostgreSQL instead: the
     databases <db>_lists_100 and <db>_lists_10000 are created (or emptied) beside it.
"""
from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._goals import alternating, goal  # noqa: E402

ROUNDS = int(os.environ.get("ROUNDS", "7"))
PG_URL = os.environ.get("BENCH_PG_URL", "")
HITS = int(os.environ.get("HITS", "200"))
SIZES = (100, 10_000)

OLD_STAMP = """
SELECT count(e.id), coalesce(sum(e.id), 0), coalesce(sum(e.version), 0), max(e.updated_at),
       coalesce(sum(CASE WHEN e.ends_at < :now THEN 1 ELSE 0 END), 0),
       (SELECT max(updated_at) FROM venues), (SELECT max(updated_at) FROM projects),
       (SELECT count(id) FROM materials), (SELECT max(updated_at) FROM materials)
FROM events e
"""


def build_app(db_url: str, n_events: int):
    import sqlalchemy as sa

    from app import create_app
    from app.events.models import (
        Event,
        EventKind,
        EventStatus,
        Material,
        MaterialKind,
        Project,
        Venue,
    )
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "bench", "CACHE_REDIS_URL": "",
                      "RATELIMIT_ENABLED": False, "LOG_REQUESTS": False})
    with app.app_context():
        db.drop_all()
        db.create_all()
        venue = Venue(name="Parco scientifico e tecnologico Vega", city="Venezia Mestre")
        project = Project(name="+RESILIENT", slug="resilient", acronym="+RESILIENT")
        db.session.add_all([venue, project])
        db.session.flush()
        base = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0)
        kinds = list(EventKind)
        rows = []
        for i in range(n_events):
            start = base + timedelta(hours=i * 6 - n_events)  # half past, half to come
            rows.append(dict(
                slug=f"evento-{i}", title=f"Evento {i}: innovazione sociale e open data",
                summary="Una giornata di lavoro con imprese, enti e università.",
                kind=kinds[i % len(kinds)], status=EventStatus.PUBLISHED,
                starts_at=start, ends_at=start + timedelta(hours=5),
                venue_id=venue.id, project_id=project.id,
            ))
        db.session.execute(sa.insert(Event), rows)
        ids = db.session.scalars(sa.select(Event.id)).all()
        db.session.execute(sa.insert(Material), [
            dict(event_id=i, kind=MaterialKind.RECORDING, title="Registrazione", url="https://example.org/v")
            for i in ids
        ])
        db.session.commit()
        if db.engine.dialect.name == "sqlite":
            # A catalogue at rest: the bulk load folded into the database file, as
            # SQLite's automatic checkpoints leave it in service.
            db.session.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
        else:
            db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    return app


def pg_database(n: int) -> str:
    """A PostgreSQL database of its own for the catalogue of n events, beside BENCH_PG_URL's."""
    import sqlalchemy as sa

    base, name = PG_URL.rsplit("/", 1)
    target = f"{name}_lists_{n}"
    engine = sa.create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target}).first():
            conn.execute(sa.text(f'CREATE DATABASE "{target}"'))
    engine.dispose()
    return f"{base}/{target}"


def main() -> None:
    import sqlalchemy as sa

    from app.extensions import db

    tmp = Path(tempfile.mkdtemp(prefix="eventi-bench-lists-"))
    try:
        apps, clients = {}, {}
        for n in SIZES:
            t = time.perf_counter()
            url = pg_database(n) if PG_URL else f"sqlite:///{tmp / f'lists-{n}.db'}"
            apps[n] = build_app(url, n)
            clients[n] = apps[n].test_client()
            body = clients[n].get("/events/").data  # fills the cache
            assert b"Evento" in body
            print(f"{n:>6} events loaded in {time.perf_counter() - t:.1f} s")

        def hits(n: int):
            def run() -> float:
                # The median hit of the round: a shared machine's stalls (another
                # process taking the core, a collection) land on single requests.
                client = clients[n]
                times = []
                for _ in range(HITS):
                    t = time.perf_counter()
                    client.get("/events/")
                    times.append(time.perf_counter() - t)
                return statistics.median(times) * 1000
            return run

        def old_stamp(n: int):
            def run() -> float:
                with apps[n].app_context():
                    conn = db.session.connection()
                    now = datetime.now(UTC)
                    if conn.dialect.name == "sqlite":
                        now = now.replace(tzinfo=None)
                    t = time.perf_counter()
                    for _ in range(20):
                        conn.execute(sa.text(OLD_STAMP), {"now": now}).one()
                    elapsed = (time.perf_counter() - t) / 20 * 1000
                    db.session.remove()
                return elapsed
            return run

        figures = alternating(ROUNDS, **{f"hit {n}": hits(n) for n in SIZES})
        figures.update(alternating(3, **{f"old stamp {n}": old_stamp(n) for n in SIZES}))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    small, large = SIZES
    print(f"{'PostgreSQL' if PG_URL else 'SQLite'}; "
          f"cached /events/, in process, median of {ROUNDS} alternating rounds (each its median of {HITS} hits)")
    for n in SIZES:
        print(f"  {n:>6} events: {figures[f'hit {n}']:.3f} ms a hit   "
              f"(the former aggregate stamp alone: {figures[f'old stamp {n}']:.3f} ms)")
    goal(f"lists: cached /events/ at {large:,} / at {small} events",
         figures[f"hit {large}"] / figures[f"hit {small}"], 1.3)


if __name__ == "__main__":
    main()

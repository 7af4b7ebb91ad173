"""Benchmark of the public calendar feed with 1,000 events.

Prints, all measured in this run on this machine:
- the cold build (empty caches) and the warm serve (cached body) of /calendar.ics, per feed;
- the ratio of the cold build to serialising the same events directly with the
  icalendar library outside the app (the floor any feed pays);
- requests/s of 304 revalidations (If-None-Match) through gunicorn, 2 workers, with wrk,
  next to a bare "ok" view served the same way.

Run: .venv/bin/python bench/calendars.py
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

N_EVENTS = 1000
ROUNDS = 5


def median_ms(fn, rounds: int = ROUNDS) -> float:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def seed(app) -> None:
    from app.events.models import Event, EventKind, EventStatus, Project, Session, Venue
    from app.extensions import db

    rome = ZoneInfo("Europe/Rome")
    project = Project(name="+RESILIENT", slug="resilient", acronym="+RESILIENT")
    venue = Venue(name="Parco scientifico e tecnologico Vega", address="Via delle Industrie 15",
                  city="Venezia Mestre", postcode="30175", latitude=45.47, longitude=12.25)
    db.session.add_all([project, venue])
    base = datetime.now(UTC).astimezone(rome).replace(hour=9, minute=30, second=0, microsecond=0)
    kinds = list(EventKind)
    for i in range(N_EVENTS):
        start = base + timedelta(days=i - 200)
        event = Event(
            slug=f"event-{i}", title=f"Evento {i}: Università, imprese; territori",
            summary="Una giornata su innovazione sociale e cooperazione.",
            description="## Programma\n\nInterventi **dei partner** e tavola rotonda.\n\n- Saluti\n- Panel",
            kind=kinds[i % len(kinds)], status=EventStatus.CANCELLED if i % 50 == 0 else EventStatus.PUBLISHED,
            starts_at=start, ends_at=start + timedelta(hours=7), venue=venue,
            project=project if i % 2 else None, contact_email="progetti@example.org",
        )
        db.session.add(event)
        if i % 10 == 0:  # a two-day event attended by day
            day2 = start + timedelta(days=1)
            event.ends_at = day2 + timedelta(hours=4)
            event.sessions = [
                Session(title="Prima giornata", registrable=True, starts_at=start, ends_at=start + timedelta(hours=7)),
                Session(title="Seconda giornata", registrable=True, starts_at=day2, ends_at=day2 + timedelta(hours=4)),
            ]
    db.session.commit()


def direct_icalendar(events_data) -> bytes:
    """The same VEVENTs written straight with icalendar, no app, no database."""
    import icalendar

    cal = icalendar.Calendar()
    cal.add("version", "2.0")
    cal.add("prodid", "-//bench//EN")
    cal.add_component(icalendar.Timezone.from_tzid(
        "Europe/Rome", first_date=datetime(2024, 1, 1).date(), last_date=datetime(2030, 1, 1).date()))
    for d in events_data:
        ve = icalendar.Event()
        for name, value in d:
            ve.add(name, value)
        cal.add_component(ve)
    return cal.to_ical()


def plain_events(data: bytes):
    """Property lists of the app's feed, read back, to re-serialise with icalendar alone."""
    import icalendar

    out = []
    for ve in icalendar.Calendar.from_ical(data).events:
        out.append([(k.lower(), ve.decoded(k) if k not in ("CATEGORIES", "ORGANIZER", "GEO") else ve[k])
                    for k in ve.keys()])
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, timeout: float = 20) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def wrk(url: str, headers: dict[str, str]) -> float:
    args = ["wrk", "-t2", "-c32", "-d5s"]
    for k, v in headers.items():
        args += ["-H", f"{k}: {v}"]
    out = subprocess.run(args + [url], capture_output=True, text=True, timeout=60).stdout
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    raise RuntimeError(out)


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="eventi-bench-cal-"))
    db_url = f"sqlite:///{tmp / 'bench.db'}"
    os.environ.update(DATABASE_URL=db_url, SECRET_KEY="bench", BASE_URL="http://127.0.0.1")

    from app import create_app
    from app.cache import get_cache
    from app.calendars import ical
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.create_all()
        seed(app)
    client = app.test_client()

    def cold():
        with app.app_context():
            get_cache().clear()
            ical.vtimezone.cache_clear()
            db.session.expunge_all()
        r = client.get("/calendar.ics")
        assert r.status_code == 200

    def warm():
        r = client.get("/calendar.ics")
        assert r.status_code == 200

    first = client.get("/calendar.ics")
    body = first.data
    etag = first.headers["ETag"]
    n_vevents = body.count(b"BEGIN:VEVENT")
    cold_ms = median_ms(cold)
    warm_ms = median_ms(warm, 20)

    events_data = plain_events(body)
    direct_ms = median_ms(lambda: direct_icalendar(events_data))

    def revalidate():
        r = client.get("/calendar.ics", headers={"If-None-Match": etag})
        assert r.status_code == 304

    reval_ms = median_ms(revalidate, 50)

    print(f"public feed: {N_EVENTS} events, {n_vevents} VEVENTs, {len(body) / 1024:.0f} KiB")
    print(f"cold build (empty caches), per feed:      {cold_ms:8.1f} ms")
    print(f"same VEVENTs with icalendar alone:         {direct_ms:8.1f} ms")
    print(f"ratio cold / icalendar alone:              {cold_ms / direct_ms:8.2f}x")
    print(f"warm (cached body), per feed:              {warm_ms:8.2f} ms  ({cold_ms / warm_ms:.0f}x faster than cold)")
    print(f"304 revalidation in process, per request:  {reval_ms:8.2f} ms")

    if not shutil.which("wrk"):
        print("wrk not installed: skipping the HTTP measurement (apt-get install wrk)")
        return
    (tmp / "bare.py").write_text(
        "from flask import Flask\napp = Flask(__name__)\n@app.get('/')\ndef ok():\n    return 'ok'\n"
    )
    results = {}
    for name, module, path, headers in (
        ("bare 'ok' view", "bare:app", "/", {}),
        ("feed 304 (If-None-Match)", "wsgi:app", "/calendar.ics", {"If-None-Match": etag}),
        ("feed 200, cached body", "wsgi:app", "/calendar.ics", {}),
    ):
        port = free_port()
        env = dict(os.environ, PYTHONPATH=f"{ROOT}:{tmp}")
        proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "-w", "2", "-b", f"127.0.0.1:{port}",
             "--log-level", "warning", module],
            cwd=ROOT, env=env, start_new_session=True,
        )
        try:
            wait_for(port)
            subprocess.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}{path}"], timeout=30)
            subprocess.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}{path}"], timeout=30)
            results[name] = wrk(f"http://127.0.0.1:{port}{path}", headers)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
    bare = results["bare 'ok' view"]
    for name, rps in results.items():
        print(f"gunicorn 2 workers, wrk -t2 -c32: {name:28s} {rps:9.0f} req/s  ({rps / bare:.2f}x bare)")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

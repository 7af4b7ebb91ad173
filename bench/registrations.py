"""Registrations per second through the real HTTP form, against the same writes bare.

Serves the app as `make run` does (gunicorn, 2 sync workers) with CSRF and the rate
limiter on (the limit raised, as every client here comes from 127.0.0.1), and drives
POST /events/<slug>/register with wrk (2 threads, 16 connections): every request is a
new person, so each one takes the event's lock, checks and writes its counters, inserts
the registration and queues its confirmation e-mail in the outbox.

The baseline, in the same run and on the same database: bench/_same_writes_app.py, a
bare Flask view making the same locked writes in one transaction (no form, no template,
no ORM). The two are measured in alternating rounds (ROUNDS, default 5, of DURATION
seconds each) and the median ratio is printed with the goal (>= 0.8x). In process it
also measures how long the event's lock is held per registration and how many
statements run under it, from the lock to the commit. After each run the database is
checked: confirmed <= capacity, positions 1..n.

Run: .venv/bin/python bench/registrations.py   [DURATION=3 ROUNDS=5 CAPACITY=100000]
     BENCH_PG_URL=postgresql+psycopg://... to choose the PostgreSQL database (it is
     emptied); without a reachable server only SQLite is measured (and it has no floor:
     one writer at a time). BENCH_PORTS=5200 picks the first of three ports used.
"""
from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._goals import goal  # noqa: E402
from bench.catalogue import free_port, stop, wait_for  # noqa: E402

DURATION = int(os.environ.get("DURATION", "3"))
ROUNDS = int(os.environ.get("ROUNDS", "5"))
WRK_ARGS = ["-t2", "-c16", f"-d{DURATION}s", "--timeout", "10s"]
# Large enough that every request of the run is confirmed: the floor view only confirms.
CAPACITY = int(os.environ.get("CAPACITY", "100000"))
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/eventi_h4")
SLUG = "bench-registrazioni"
FLOOR_SLUG = "bench-floor"
FIRST_PORT = int(os.environ.get("BENCH_PORTS", "0"))
GOAL = 0.8

RESULT_LUA = """
local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end
bad = 0
response = function(status, headers, body)
  if status ~= EXPECT then bad = bad + 1 end
end
done = function(summary, latency, requests)
  local wrong = 0
  for _, t in ipairs(threads) do wrong = wrong + t:get("bad") end
  io.write(string.format("RESULT rps=%.1f p50=%.3f p95=%.3f errors=%d wrong=%d\\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout, wrong))
end
"""

POST_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "%(cookie)s"
local n = 0
request = function()
  n = n + 1
  local body = "csrf_token=%(token)s&first_name=Persona&last_name=Di+Prova&organisation=Impresa"
    .. "&category=impresa&country=IT&privacy_consent=y&email=p" .. id .. "-" .. n .. "-" .. ROUND .. "%%40example.org"
  return wrk.format(nil, nil, nil, body)
end
"""


def bench_app():
    """The gunicorn target: the real app, the per-IP limit raised for a one-host load test."""
    from app import create_app

    return create_app({"REGISTRATION_RATE_LIMIT": "1000000 per minute",
                       "SESSION_COOKIE_SECURE": False})


def seed(db_url: str) -> None:
    from datetime import UTC, datetime, timedelta

    import sqlalchemy as sa

    from app import create_app
    from app.events.models import Event, EventStatus, Venue
    from app.extensions import db
    from app.registrations.models import CapacityCounter

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "bench"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        start = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(days=20)
        for slug in (SLUG, FLOOR_SLUG):
            db.session.add(Event(
                slug=slug, title="Il Meccanismo per la Transizione Giusta", status=EventStatus.PUBLISHED,
                starts_at=start, ends_at=start + timedelta(hours=4), capacity=CAPACITY,
                waitlist_enabled=True, reminder_hours_before=24,
                venue=Venue(name="Parco scientifico e tecnologico Vega", city="Venezia Mestre",
                            slug=f"vega-{slug}"),
            ))
        db.session.commit()
        floor = db.session.scalar(sa.select(Event).where(Event.slug == FLOOR_SLUG))
        for key in ("event", "mode:in_person", "mode:online", "waitlist", "wait:mode:in_person",
                    "wait:mode:online"):
            db.session.add(CapacityCounter(event_id=floor.id, key=key, used=0))
        db.session.commit()
        db.engine.dispose()


def check(db_url: str) -> str:
    import sqlalchemy as sa

    from app import create_app
    from app.events.models import Event
    from app.extensions import db
    from app.registrations.models import Registration, RegistrationStatus

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "bench"})
    with app.app_context():
        rows = db.session.execute(sa.select(Registration.status, Registration.waitlist_position)
                                  .join(Event).where(Event.slug == SLUG)).all()
        db.engine.dispose()
    confirmed = sum(1 for s, _ in rows if s == RegistrationStatus.CONFIRMED)
    positions = sorted(p for s, p in rows if s == RegistrationStatus.WAITLISTED)
    ok = confirmed <= CAPACITY and positions == list(range(1, len(positions) + 1))
    return (f"{len(rows)} stored, {confirmed} confirmed (capacity {CAPACITY}), "
            f"{len(positions)} waiting: {'consistent' if ok else 'INCONSISTENT'}")


def form_session(url: str) -> tuple[str, str]:
    """A visitor's session cookie and the form's CSRF token, as a browser would get them."""
    with urllib.request.urlopen(url, timeout=5) as resp:
        html = resp.read().decode()
        cookie = resp.headers["Set-Cookie"].split(";", 1)[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', html)
    return cookie, token.group(1)


def wrk(url: str, script: str, expect: int, tmp: Path) -> dict[str, float]:
    lua = tmp / f"s{abs(hash(script))}.lua"
    lua.write_text(f"EXPECT = {expect}\n" + script + RESULT_LUA)
    out = subprocess.run(["wrk", *WRK_ARGS, "-s", str(lua), url], capture_output=True, text=True,
                         check=True, timeout=DURATION + 30).stdout
    match = re.search(r"RESULT rps=([\d.]+) p50=([\d.]+) p95=([\d.]+) errors=(\d+) wrong=(\d+)", out)
    if not match:
        raise RuntimeError(out)
    rps, p50, p95, errors, wrong = match.groups()
    return {"rps": float(rps), "p50": float(p50), "p95": float(p95),
            "errors": int(errors), "wrong": int(wrong)}


def pg_reachable(url: str) -> bool:
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def port(n: int) -> int:
    return FIRST_PORT + n if FIRST_PORT else free_port()


def gunicorn(target: str, at: int, env: dict) -> subprocess.Popen:
    """`make run`'s settings (2 sync workers), without the control socket several
    instances on one machine would share."""
    exe = str(Path(sys.executable).with_name("gunicorn"))
    return subprocess.Popen(
        [exe, "--bind", f"127.0.0.1:{at}", "--workers", "2", "--no-control-socket", target],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


FLOOR_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, "email=f" .. id .. "-" .. n .. "-" .. ROUND .. "%40example.org")
end
"""


def lock_held(db_url: str, n: int = 60) -> tuple[float, float, int]:
    """In process, one registration after another: (median ms the event's lock is held,
    median ms of the whole POST, statements under the lock)."""
    import sqlalchemy as sa

    from app.extensions import db

    app = create_bench_app(db_url)
    held, whole, under = [], [], []
    mark: dict[str, float | int] = {}
    with app.app_context():
        engine = db.engine

        def before(conn, cursor, statement, *args):
            if "FOR NO KEY UPDATE" in statement or (
                    "UPDATE capacity_counters SET used=capacity_counters.used" in statement):
                mark["locked"], mark["n"] = time.perf_counter(), 0
            if "n" in mark:
                mark["n"] += 1

        def committed(conn):
            if "locked" in mark:
                mark["released"] = time.perf_counter()

        sa.event.listen(engine, "before_cursor_execute", before)
        sa.event.listen(engine, "commit", committed)
    client = app.test_client()
    data = {"first_name": "Persona", "last_name": "Di Prova", "organisation": "Impresa",
            "category": "impresa", "country": "IT", "privacy_consent": "y"}
    for i in range(n):
        mark.clear()
        started = time.perf_counter()
        resp = client.post(f"/events/{SLUG}/register", data={**data, "email": f"lock{i}@example.org"})
        whole.append((time.perf_counter() - started) * 1000)
        assert resp.status_code == 303, resp.status_code
        # The commit event fires as COMMIT is sent; the lock goes when it returns, which
        # the POST's end bounds from above.
        held.append((mark["released"] - mark["locked"]) * 1000)
        under.append(int(mark["n"]))
    with app.app_context():
        db.engine.dispose()
    skip = n // 4  # warm-up: templates compiled, connections opened
    return statistics.median(held[skip:]), statistics.median(whole[skip:]), max(under[skip:])


def create_bench_app(db_url: str):
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "bench",
                       "WTF_CSRF_ENABLED": False, "REGISTRATION_RATE_LIMIT": "1000000 per minute",
                       "SESSION_COOKIE_SECURE": False, "RATELIMIT_STORAGE_URI": "memory://",
                       "CACHE_REDIS_URL": ""})


def measure(name: str, db_url: str, tmp: Path, with_floor: bool) -> list[tuple[str, dict]]:
    seed(db_url)
    held, whole, under = lock_held(db_url)
    print(f"  {name}: the event's lock held {held:.2f} ms per registration (median, one at a time; "
          f"whole POST {whole:.1f} ms), {under} statements under it", flush=True)
    env = {**os.environ, "DATABASE_URL": db_url, "SECRET_KEY": "bench", "CACHE_REDIS_URL": "",
           "RATELIMIT_STORAGE_URI": "memory://", "FLOOR_SLUG": FLOOR_SLUG}
    app_port, floor_port = port(1), port(2)
    proc = gunicorn("bench.registrations:bench_app()", app_port, env)
    floor = gunicorn("bench._same_writes_app:app", floor_port, env) if with_floor else None
    try:
        wait_for(f"http://127.0.0.1:{app_port}/healthz")
        form_url = f"http://127.0.0.1:{app_port}/events/{SLUG}/register"
        for _ in range(10):
            urllib.request.urlopen(form_url, timeout=5).read()
        cookie, token = form_session(form_url)
        post = POST_LUA % {"cookie": cookie, "token": token}
        if floor is not None:
            wait_for(f"http://127.0.0.1:{floor_port}/healthz")
        eventi_runs, floor_runs = [], []
        for r in range(ROUNDS):
            if floor is not None:
                floor_runs.append(wrk(f"http://127.0.0.1:{floor_port}/register",
                                      f"ROUND = {r}\n" + FLOOR_LUA, 303, tmp))
            eventi_runs.append(wrk(form_url, f"ROUND = {r}\n" + post, 303, tmp))
        print(f"  {name}: {check(db_url)}")
        rows = [(f"{name}: POST a registration", _median(eventi_runs))]
        if floor_runs:
            rows.insert(0, (f"{name}: same writes, bare view", _median(floor_runs)))
            ratios = [e["rps"] / f["rps"] for e, f in zip(eventi_runs, floor_runs, strict=True)]
            rows[1][1]["ratio"] = statistics.median(ratios)
        return rows
    finally:
        stop(proc)
        if floor is not None:
            stop(floor)


def _median(runs: list[dict]) -> dict:
    return {"rps": statistics.median(r["rps"] for r in runs),
            "p50": statistics.median(r["p50"] for r in runs),
            "p95": statistics.median(r["p95"] for r in runs),
            "errors": sum(r["errors"] for r in runs), "wrong": sum(r["wrong"] for r in runs)}


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install -y wrk")
    tmp = Path(tempfile.mkdtemp(prefix="eventi-bench-reg-"))
    print(f"load average before: {os.getloadavg()[0]:.2f}; {ROUNDS} alternating rounds of {DURATION} s, "
          "wrk -t2 -c16, gunicorn 2 sync workers", flush=True)
    rows: list[tuple[str, dict]] = []
    try:
        if pg_reachable(PG_URL):
            rows += measure("PostgreSQL", PG_URL, tmp, with_floor=True)
        else:
            print("  PostgreSQL not reachable: skipped (set BENCH_PG_URL)")
        if os.environ.get("BENCH_SQLITE", "1") == "1":
            rows += measure("SQLite", f"sqlite:///{tmp / 'registrations.db'}", tmp, with_floor=False)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n{'what':34} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'vs floor':>9} {'goal':>6}  errors")
    for label, r in rows:
        ratio = f"{r['ratio']:9.2f}" if "ratio" in r else f"{'':9}"
        target = f"{'>= ' + str(GOAL):>6}" if "ratio" in r else f"{'':6}"
        print(f"{label:34} {r['rps']:8.0f} {r['p50']:8.1f} {r['p95']:8.1f} {ratio} {target}  "
              f"{r['errors'] + r['wrong']}")
    for label, r in rows:
        if "ratio" in r:
            goal(f"registration POST vs the same writes bare ({label.split(':')[0]})",
                 r["ratio"], GOAL, at_most=False)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

"""Registrations per second through the real HTTP form, on SQLite and on PostgreSQL.

Serves the app as `make run` does (gunicorn, 2 sync workers) with CSRF and the rate
limiter on (the limit raised, as every client here comes from 127.0.0.1), and drives
POST /events/<slug>/register with wrk (2 threads, 16 connections): every request is a
new person, so each one takes the event's lock, checks and writes its counters, inserts
the registration and queues its confirmation e-mail in the outbox. The event has 1,500
seats and a waiting list, so a run also exercises the queue once the seats are gone.
Baselines in the same run: the bare Flask view (bench/bare_app.py) and GET of the form.
After each run the database is checked: confirmed <= capacity, positions 1..n.

Run: .venv/bin/python bench/registrations.py   [DURATION=8 seconds per URL]
     BENCH_PG_URL=postgresql+psycopg://... to choose the PostgreSQL database (it is
     emptied); without a reachable server only SQLite is measured.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.catalogue import free_port, start_gunicorn, stop, wait_for  # noqa: E402

DURATION = int(os.environ.get("DURATION", "8"))
WRK_ARGS = ["-t2", "-c16", f"-d{DURATION}s", "--timeout", "10s"]
CAPACITY = 1500
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/eventi_h4")
SLUG = "bench-registrazioni"

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
    .. "&category=impresa&country=IT&privacy_consent=y&email=p" .. id .. "-" .. n .. "%%40example.org"
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

    from app import create_app
    from app.events.models import Event, EventStatus, Venue
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "bench"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        start = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(days=20)
        db.session.add(Event(
            slug=SLUG, title="Il Meccanismo per la Transizione Giusta", status=EventStatus.PUBLISHED,
            starts_at=start, ends_at=start + timedelta(hours=4), capacity=CAPACITY, waitlist_enabled=True,
            venue=Venue(name="Parco scientifico e tecnologico Vega", city="Venezia Mestre"),
        ))
        db.session.commit()
        db.engine.dispose()


def check(db_url: str) -> str:
    import sqlalchemy as sa

    from app import create_app
    from app.extensions import db
    from app.registrations.models import Registration, RegistrationStatus

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "bench"})
    with app.app_context():
        rows = db.session.execute(sa.select(Registration.status, Registration.waitlist_position)).all()
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


def measure(name: str, db_url: str, tmp: Path, bare_port: int) -> list[tuple[str, dict]]:
    seed(db_url)
    env = {**os.environ, "DATABASE_URL": db_url, "SECRET_KEY": "bench", "CACHE_REDIS_URL": "",
           "RATELIMIT_STORAGE_URI": "memory://"}
    port = free_port()
    proc = start_gunicorn("bench.registrations:bench_app()", port, env)
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        form_url = f"http://127.0.0.1:{port}/events/{SLUG}/register"
        for _ in range(10):
            urllib.request.urlopen(form_url, timeout=5).read()
        cookie, token = form_session(form_url)
        results = [
            (f"{name}: GET the form", wrk(form_url, "", 200, tmp)),
            (f"{name}: POST a registration", wrk(form_url, POST_LUA % {"cookie": cookie, "token": token}, 303, tmp)),
        ]
        print(f"  {name}: {check(db_url)}")
        return results
    finally:
        stop(proc)


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install -y wrk")
    tmp = Path(tempfile.mkdtemp(prefix="eventi-bench-reg-"))
    env = {**os.environ, "SECRET_KEY": "bench"}
    bare_port = free_port()
    bare = start_gunicorn("bench.bare_app:app", bare_port, env)
    try:
        wait_for(f"http://127.0.0.1:{bare_port}/")
        rows = [("bare view", wrk(f"http://127.0.0.1:{bare_port}/", "", 200, tmp))]
        rows += measure("SQLite", f"sqlite:///{tmp / 'registrations.db'}", tmp, bare_port)
        if pg_reachable(PG_URL):
            rows += measure("PostgreSQL", PG_URL, tmp, bare_port)
        else:
            print("  PostgreSQL not reachable: skipped (set BENCH_PG_URL)")
    finally:
        stop(bare)
        shutil.rmtree(tmp, ignore_errors=True)
    base = rows[0][1]["rps"]
    print(f"\n{'what':34} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'vs bare':>8}  errors")
    for label, r in rows:
        print(f"{label:34} {r['rps']:8.0f} {r['p50']:8.1f} {r['p95']:8.1f} {r['rps'] / base:8.3f}  "
              f"{r['errors'] + r['wrong']}")


if __name__ == "__main__":
    main()

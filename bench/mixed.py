"""Mixed load: the five route classes together, against bare Flask under the same
gunicorn setup.

Both servers run with deploy/gunicorn.conf.py (its worker model and count, or
GUNICORN_WORKER_CLASS / GUNICORN_THREADS / GUNICORN_WORKERS from the environment) on
PostgreSQL (BENCH_PG_URL; SQLite when no server answers). One wrk process per class
runs at the same time:
  page        GET /events/<slug>/ from the shared cache, cookie-less   8 connections
  list        GET /events/ from the shared cache                       4
  feed        GET /calendar.ics, the cached body (~200 events)          2
  register    POST /events/<slug>/register, a new person each time      4
  newsletter  POST /newsletter/, a new address each time                2
The bare app answers every one of those paths with "ok". Each round measures the
cached page alone (8 connections), then the mix on the app, then the mix on the bare
app (the order flips every round); medians over ROUNDS rounds. It prints each class's
requests/s as a ratio to the bare app in the mix and its p99, and the goal: a cached
page's p99 in the mix at most 3x its p99 alone. The rate limits are off (one client
address). APP_PORT and BARE_PORT choose the ports (free ones by default).

Run: .venv/bin/python bench/mixed.py   [ROUNDS=5 DURATION=5]
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._goals import goal  # noqa: E402
from bench.catalogue import free_port, parse_result, result_lua, wait_for, workspace  # noqa: E402
from bench.registrations import form_session  # noqa: E402

ROUNDS = int(os.environ.get("ROUNDS", "5"))
DURATION = int(os.environ.get("DURATION", "5"))
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/eventi_bench")
SLUG, REG_SLUG, N_EVENTS = "evento-110", "iscrizioni", 200


def post_lua(cookie: str, token: str, fields: str, prefix: str) -> str:
    """A wrk script that POSTs a form: the session cookie and CSRF token of the `cookie` and
    `token` fill keys, `fields`, and a new e-mail address starting with `prefix` each time."""
    return f"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "%({cookie})s"
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, "csrf_token=%({token})s&{fields}&email={prefix}"
    .. math.random(1, 1e9) .. "-" .. n .. "%%40example.org")
end
"""


CLASSES = {  # name: (path, connections, lua body)
    "page": (f"/events/{SLUG}/", 8, ""),
    "list": ("/events/", 4, ""),
    "feed": ("/calendar.ics", 2, ""),
    "register": (f"/events/{REG_SLUG}/register", 4, post_lua(
        "cookie", "token", "first_name=Persona&last_name=Di+Prova"
        "&organisation=Impresa&category=impresa&country=IT&privacy_consent=y", "r")),
    "newsletter": ("/newsletter/", 2, post_lua("ncookie", "ntoken", "consent=y&language=it&source=form", "n")),
}

RESULT_LUA = result_lua(99)

BARE = """from flask import Flask
app = Flask(__name__)
@app.route("/", defaults={"path": ""}, methods=["GET", "POST"])
@app.route("/<path:path>", methods=["GET", "POST"])
def ok(path):
    return "ok"
"""


def database_url(tmp: Path) -> str:
    import sqlalchemy as sa

    try:
        sa.create_engine(PG_URL).connect().close()
        return PG_URL
    except Exception:
        return f"sqlite:///{tmp / 'mixed.db'}"


def seed(db_url: str) -> None:
    from app import create_app
    from app.events.models import Event, EventStatus, Session, Venue
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "bench"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        venue = Venue(name="Parco scientifico e tecnologico Vega", city="Venezia Mestre")
        base = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0)
        for i in range(N_EVENTS):
            start = base + timedelta(days=i - 100)
            event = Event(slug=f"evento-{i}", title=f"Evento {i}: innovazione sociale e open data",
                          summary="Una giornata con imprese, enti e università.",
                          description="## Programma\n\nInterventi **dei partner**.\n\n- Saluti\n- Panel",
                          status=EventStatus.PUBLISHED, starts_at=start, ends_at=start + timedelta(hours=8),
                          venue=venue, capacity=200)
            event.sessions = [Session(title=f"Sessione {j}", starts_at=start + timedelta(hours=j),
                                      ends_at=start + timedelta(hours=j, minutes=50)) for j in range(5)]
            db.session.add(event)
        start = base + timedelta(days=20)
        db.session.add(Event(slug=REG_SLUG, title="Il Meccanismo per la Transizione Giusta",
                             status=EventStatus.PUBLISHED, starts_at=start, ends_at=start + timedelta(hours=4),
                             capacity=1_000_000, venue=venue))
        db.session.commit()
        db.engine.dispose()


def start(target: str, port: int, env: dict) -> subprocess.Popen:
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    return subprocess.Popen(
        [gunicorn, "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), target],
        cwd=ROOT, env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_LOG_LEVEL": "warning"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )


def run_wrk(port: int, classes: list[str], tmp: Path, fill: dict) -> dict[str, dict]:
    """One wrk per class, all at once; their results by class."""
    procs = {}
    for name in classes:
        path, conns, body = CLASSES[name]
        lua = tmp / f"{name}.lua"
        lua.write_text((body % fill) + RESULT_LUA)
        procs[name] = subprocess.Popen(
            ["wrk", "-t1", f"-c{conns}", f"-d{DURATION}s", "--timeout", "10s", "-s", str(lua),
             f"http://127.0.0.1:{port}{path}"], stdout=subprocess.PIPE, text=True)
    results = {}
    for name, proc in procs.items():
        out, _ = proc.communicate(timeout=DURATION + 60)
        results[name] = parse_result(out, 99)
    return results


def main() -> None:
    with workspace("eventi-bench-mixed-") as (tmp, procs):
        db_url = database_url(tmp)
        seed(db_url)
        (tmp / "bare_mixed.py").write_text(BARE)
        env = {**os.environ, "DATABASE_URL": db_url, "SECRET_KEY": "bench", "CACHE_REDIS_URL": "",
               "EVENTI_RATELIMIT_ENABLED": "false", "EVENTI_SESSION_COOKIE_SECURE": "false",
               "LOG_REQUESTS": "0", "PYTHONPATH": f"{ROOT}:{tmp}"}
        app_port = int(os.environ.get("APP_PORT") or free_port())
        bare_port = int(os.environ.get("BARE_PORT") or free_port())
        procs.append(start("wsgi:app", app_port, env))
        procs.append(start("bare_mixed:app", bare_port, env))
        app = f"http://127.0.0.1:{app_port}"
        wait_for(f"{app}/healthz", timeout=60)
        wait_for(f"http://127.0.0.1:{bare_port}/")
        cookie, token = form_session(f"{app}/events/{REG_SLUG}/register")
        ncookie, ntoken = form_session(f"{app}/newsletter/")
        fill = {"cookie": cookie, "token": token, "ncookie": ncookie, "ntoken": ntoken}
        for path in ("/events/", f"/events/{SLUG}/", "/calendar.ics"):  # warm the caches
            for _ in range(3):
                wait_for(app + path)

        everything = list(CLASSES)
        rounds: dict[str, list[dict]] = {"alone": [], "mix": [], "bare": []}
        steps = [("alone", app_port, ["page"]), ("mix", app_port, everything), ("bare", bare_port, everything)]
        for r in range(ROUNDS):
            for label, port, classes in (steps if r % 2 == 0 else list(reversed(steps))):
                rounds[label].append(run_wrk(port, classes, tmp, fill))

    def med(label: str, name: str, key: str) -> float:
        return statistics.median(r[name][key] for r in rounds[label])

    kind = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
    print(f"gunicorn -c deploy/gunicorn.conf.py: {kind}, workers {os.environ.get('GUNICORN_WORKERS', os.cpu_count())}, "
          f"threads {os.environ.get('GUNICORN_THREADS', '8') if kind == 'gthread' else 1}; {db_url.split(':')[0]}; "
          f"median of {ROUNDS} alternating rounds of {DURATION} s")
    print(f"{'class':12s} {'req/s':>8s} {'bare req/s':>10s} {'ratio':>7s} {'p50 ms':>8s} {'p99 ms':>8s} "
          f"{'bare p99':>8s} {'errors':>6s}")
    for name in everything:
        rps, bare = med("mix", name, "rps"), med("bare", name, "rps")
        errors = sum(r[name]["errors"] for r in rounds["mix"])
        print(f"{name:12s} {rps:8.0f} {bare:10.0f} {rps / bare:6.2f}x {med('mix', name, 'p50'):8.1f} "
              f"{med('mix', name, 'p99'):8.1f} {med('bare', name, 'p99'):8.1f} {errors:6d}")
    alone = med("alone", "page", "p99")
    mixed = med("mix", "page", "p99")
    print(f"cached page alone: p50 {med('alone', 'page', 'p50'):.1f} ms, p99 {alone:.1f} ms; "
          f"in the mix: p99 {mixed:.1f} ms")
    goal("mixed: cached page p99 in the mix / alone", mixed / alone, 3.0)


if __name__ == "__main__":
    main()

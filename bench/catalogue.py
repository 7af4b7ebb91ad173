"""Benchmark of the public catalogue against a bare Flask view, both behind gunicorn.

Loads 1,000 events with 10 sessions each (2 speakers per session) into a SQLite file,
serves the app as `make run` does (gunicorn, 2 sync workers) and bench/bare_app.py with
the same settings, drives each with wrk on 127.0.0.1 for a fixed time, and prints
requests/s, p95 latency and each page's ratio to the bare view, all measured in this run:

- /events/                  the list (first page, 20 cards) as anonymous visitors get it
                            (shared cache, checked against one catalogue aggregate)
- /events/?r=<n>            the list with a new query string on every request: rendered
                            each time, what a cache miss costs
- /events/<slug>/           an event page as anonymous visitors get it (shared page cache)
- /events/<slug>/?fresh=1   the same page rendered on every request (any query string
                            bypasses the event page cache)
Target: the event page at 0.5 or more of the bare view.

Run: .venv/bin/python bench/catalogue.py   [DURATION=8 seconds per URL]
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

N_EVENTS = 1000
SESSIONS_PER_EVENT = 10
DURATION = int(os.environ.get("DURATION", "8"))
WRK_ARGS = ["-t2", "-c32", f"-d{DURATION}s"]


def result_lua(pct: int) -> str:
    """The end of a wrk script that prints one RESULT line: wrk prints no p95 or p99 by itself."""
    return f"""
done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.1f p50=%.3f p{pct}=%.3f errors=%d\\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile({pct}) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout))
end
"""


def parse_result(out: str, pct: int) -> dict[str, float]:
    """The figures of the RESULT line that result_lua(pct) made wrk print."""
    match = re.search(rf"RESULT rps=([\d.]+) p50=([\d.]+) p{pct}=([\d.]+) errors=(\d+)", out)
    if not match:
        raise RuntimeError(out)
    rps, p50, high, errors = match.groups()
    return {"rps": float(rps), "p50": float(p50), f"p{pct}": float(high), "errors": int(errors)}


def print_results(results: dict[str, dict], baseline: str, width: int, ratio_label: str, rw: int) -> None:
    """A table of each URL's requests/s, p50 and p95 and its ratio to the `baseline` URL;
    `width` and `rw` are the widths of the name and ratio columns."""
    base = results[baseline]["rps"]
    print(f"gunicorn 2 sync workers, wrk {' '.join(WRK_ARGS)} on 127.0.0.1")
    print(f"{'':{width}s} {'req/s':>9s} {'p50 ms':>8s} {'p95 ms':>8s} {ratio_label:>{rw}s}")
    for name, r in results.items():
        note = f" ({r['errors']} errors)" if r["errors"] else ""
        print(f"{name:{width}s} {r['rps']:9.0f} {r['p50']:8.2f} {r['p95']:8.2f} "
              f"{r['rps'] / base:{rw - 1}.2f}x{note}")


WRK_LUA = result_lua(95)

# Every request a new URL, so every request misses the cache.
WRK_LUA_UNIQUE = WRK_LUA + """
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", wrk.path .. "?r=" .. counter)
end
"""


def seed(db_url: str) -> str:
    """Fill the database; returns the slug of an upcoming event to hit."""
    from app import create_app
    from app.events.models import (
        Event,
        EventFormat,
        EventKind,
        EventStatus,
        Material,
        MaterialKind,
        Project,
        Session,
        SessionKind,
        Speaker,
        Venue,
    )
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "bench"})
    with app.app_context():
        db.create_all()
        projects = [
            Project(name=name, slug=slug, acronym=name, programme="Interreg MED 2014-2020")
            for name, slug in (("+RESILIENT", "resilient"), ("INNOMED-UP", "innomed-up"),
                               ("TALIA", "talia"), ("2InS Clusters MED", "2ins"))
        ]
        venue = Venue(name="Parco scientifico e tecnologico Vega", address="Via delle Industrie 15",
                      city="Venezia Mestre", postcode="30175", latitude=45.4735, longitude=12.2536)
        speakers = [Speaker(name=f"Relatrice {i}", affiliation="Università Ca’ Foscari Venezia",
                            role="Ricercatrice") for i in range(200)]
        db.session.add_all([*projects, venue, *speakers])
        base = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0)
        kinds = list(EventKind)
        formats = list(EventFormat)
        for i in range(N_EVENTS):
            start = base + timedelta(days=i - 500)
            event = Event(
                slug=f"evento-{i}",
                title=f"Evento {i}: innovazione sociale e open data nel Mediterraneo",
                summary="Una giornata di lavoro con imprese, enti e università su innovazione sociale "
                        "e cooperazione nell'area MED.",
                description="## Programma\n\nInterventi **dei partner**, tavole rotonde e laboratori.\n\n"
                            "- Saluti istituzionali\n- Presentazione dei risultati\n- Dibattito\n",
                kind=kinds[i % len(kinds)],
                format=formats[i % len(formats)],
                status=EventStatus.CANCELLED if i % 50 == 0 else EventStatus.PUBLISHED,
                starts_at=start,
                ends_at=start + timedelta(hours=9),
                venue=venue,
                project=projects[i % len(projects)],
                contact_name="Progetti territoriali",
                contact_email="progetti.territoriali@example.org",
                contact_phone="0437 955140",
                contact_notes="Sede di Belluno\nPiazza Santo Stefano, 15 - 32100 Belluno",
                published_at=start - timedelta(days=30),
            )
            for j in range(SESSIONS_PER_EVENT):
                s_start = start + timedelta(minutes=50 * j)
                session = Session(
                    title=f"Sessione {j + 1}: buone pratiche e casi studio", room=f"Sala {j % 3 + 1}",
                    starts_at=s_start, ends_at=s_start + timedelta(minutes=45), position=j,
                    kind=SessionKind.ROUND_TABLE if j % 4 == 3 else SessionKind.TALK,
                )
                session.speakers.extend([speakers[(i + j) % 200], speakers[(i + j + 7) % 200]])
                event.sessions.append(session)
            event.materials.append(Material(kind=MaterialKind.RECORDING, title="Registrazione",
                                            url="https://example.org/video"))
            db.session.add(event)
        db.session.commit()
        return "evento-510"  # ten days from now


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(target: str, port: int, env: dict) -> subprocess.Popen:
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    # The settings of `make run`: 2 sync workers, access log on (sent nowhere here).
    return subprocess.Popen(
        [gunicorn, "--bind", f"127.0.0.1:{port}", "--workers", "2", "--access-logfile", "-", target],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def wrk(url: str, lua: str) -> dict[str, float]:
    # Warm up the workers (imports, template compilation, the cache) first.
    for _ in range(20):
        urllib.request.urlopen(url, timeout=5).read()
    out = subprocess.run(["wrk", *WRK_ARGS, "-s", lua, url], capture_output=True, text=True,
                         check=True, timeout=DURATION + 30).stdout
    return parse_result(out, 95)


@contextmanager
def workspace(prefix: str) -> Iterator[tuple[Path, list[subprocess.Popen]]]:
    """A scratch folder and the list of servers started for a run; all go when it ends."""
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install -y wrk")
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    procs: list[subprocess.Popen] = []
    try:
        yield tmp, procs
    finally:
        for proc in procs:
            stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)


def seeded(tmp: Path) -> tuple[dict, str, Path, Path]:
    """The catalogue loaded into a SQLite file in `tmp`, and both wrk scripts written there:
    the servers' environment, the slug of an upcoming event, the script, and the script
    that asks for a new URL each request."""
    db_url = f"sqlite:///{tmp / 'catalogue.db'}"
    t = time.perf_counter()
    slug = seed(db_url)
    print(f"loaded {N_EVENTS} events x {SESSIONS_PER_EVENT} sessions in {time.perf_counter() - t:.1f} s")
    lua, lua_unique = tmp / "p95.lua", tmp / "p95-unique.lua"
    lua.write_text(WRK_LUA)
    lua_unique.write_text(WRK_LUA_UNIQUE)
    env = {**os.environ, "DATABASE_URL": db_url, "SECRET_KEY": "bench", "CACHE_REDIS_URL": ""}
    return env, slug, lua, lua_unique


def main() -> None:
    with workspace("eventi-bench-") as (tmp, procs):
        env, slug, lua, lua_unique = seeded(tmp)
        app_port, bare_port = free_port(), free_port()
        procs.append(start_gunicorn("wsgi:app", app_port, env))
        procs.append(start_gunicorn("bench.bare_app:app", bare_port, env))
        wait_for(f"http://127.0.0.1:{app_port}/healthz")
        wait_for(f"http://127.0.0.1:{bare_port}/")

        targets = [
            ("bare view", f"http://127.0.0.1:{bare_port}/", lua),
            ("/events/", f"http://127.0.0.1:{app_port}/events/", lua),
            ("/events/ uncached", f"http://127.0.0.1:{app_port}/events/", lua_unique),
            ("/events/<slug>/", f"http://127.0.0.1:{app_port}/events/{slug}/", lua),
            ("/events/<slug>/ uncached", f"http://127.0.0.1:{app_port}/events/{slug}/?fresh=1", lua),
        ]
        results = {name: wrk(url, str(script)) for name, url, script in targets}

    print_results(results, "bare view", 28, "ratio", 7)
    ratio = results["/events/<slug>/"]["rps"] / results["bare view"]["rps"]
    print(f"event page target 0.50x of the bare view: {'met' if ratio >= 0.5 else 'NOT met'} ({ratio:.2f}x)")

if __name__ == "__main__":
    main()

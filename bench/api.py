"""Benchmark of the public API against the HTML pages it mirrors, in the same run.

The catalogue of bench/catalogue.py (1,000 events x 10 sessions) behind gunicorn as
`make run` serves it; wrk on 127.0.0.1 drives each URL for a fixed time and the script
prints requests/s, p50/p95 latency and each URL's ratio to the HTML event list:

- /events/ and /api/v1/events            the first page, as anonymous clients get it (cached)
- the same with a new query string on every request: rendered or serialised each time
- /events/<slug>/ and /api/v1/events/<slug>   one event with its programme

Run: .venv/bin/python bench/api.py   [DURATION=8 seconds per URL]
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.catalogue import (  # noqa: E402
    N_EVENTS,
    SESSIONS_PER_EVENT,
    WRK_LUA,
    WRK_LUA_UNIQUE,
    free_port,
    print_results,
    seed,
    start_gunicorn,
    stop,
    wait_for,
    wrk,
)


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install -y wrk")
    tmp = Path(tempfile.mkdtemp(prefix="eventi-bench-api-"))
    procs: list[subprocess.Popen] = []
    try:
        db_url = f"sqlite:///{tmp / 'catalogue.db'}"
        t = time.perf_counter()
        slug = seed(db_url)
        print(f"loaded {N_EVENTS} events x {SESSIONS_PER_EVENT} sessions in "
              f"{time.perf_counter() - t:.1f} s")
        lua, lua_unique = tmp / "p95.lua", tmp / "p95-unique.lua"
        lua.write_text(WRK_LUA)
        lua_unique.write_text(WRK_LUA_UNIQUE)
        env = {**os.environ, "DATABASE_URL": db_url, "SECRET_KEY": "bench", "CACHE_REDIS_URL": ""}
        port = free_port()
        procs.append(start_gunicorn("wsgi:app", port, env))
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/healthz")
        targets = [
            ("HTML /events/", base + "/events/", lua),
            ("API /api/v1/events", base + "/api/v1/events", lua),
            ("HTML /events/ uncached", base + "/events/", lua_unique),
            ("API /api/v1/events uncached", base + "/api/v1/events", lua_unique),
            ("HTML /events/<slug>/", f"{base}/events/{slug}/", lua),
            ("API /api/v1/events/<slug>", f"{base}/api/v1/events/{slug}", lua),
        ]
        results = {name: wrk(url, str(script)) for name, url, script in targets}
    finally:
        for proc in procs:
            stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)

    print_results(results, "HTML /events/", 30, "vs HTML list", 13)


if __name__ == "__main__":
    main()

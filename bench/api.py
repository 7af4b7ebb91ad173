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

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.catalogue import (  # noqa: E402
    free_port,
    print_results,
    seeded,
    start_gunicorn,
    wait_for,
    workspace,
    wrk,
)


def main() -> None:
    with workspace("eventi-bench-api-") as (tmp, procs):
        env, slug, lua, lua_unique = seeded(tmp)
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

    print_results(results, "HTML /events/", 30, "vs HTML list", 13)


if __name__ == "__main__":
    main()

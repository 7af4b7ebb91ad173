"""Start-up of `make run` on an installed clone: seconds until /healthz answers.

The first start (migrations from nothing, the demo loaded) is not counted; then ROUNDS
(default 5) starts on the prepared database, each stopped with Ctrl-C (SIGINT to the
process group, as a terminal sends it), alternating with the baseline: a bare Python
process importing Flask and answering nothing (the cost of any start). Prints the median
and the goal (<= 4 s), and whether Ctrl-C ended `make run` without an error line.

Run: .venv/bin/python bench/startup.py   [ROUNDS=5 BENCH_STARTUP_PORT=5206]
"""
from __future__ import annotations

import os
import signal
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

ROUNDS = int(os.environ.get("ROUNDS", "5"))
PORT = os.environ.get("BENCH_STARTUP_PORT", "5206")
GOAL = 4.0


def start_once(db_url: str) -> tuple[float, str]:
    env = {**os.environ, "DATABASE_URL": db_url, "SECRET_KEY": "bench", "CACHE_REDIS_URL": "",
           "REDIS_URL": "", "PORT": PORT}
    started = time.perf_counter()
    proc = subprocess.Popen(["make", "-s", "run", f"PORT={PORT}"], cwd=ROOT, env=env,
                            start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    elapsed = float("nan")
    try:
        while proc.poll() is None:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1).read()
                elapsed = time.perf_counter() - started
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(3)  # long enough for the scheduler to be up, as after any real start
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    return elapsed, out.decode(errors="replace")


def bare_import() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import flask"], check=True)
    return time.perf_counter() - started


def main() -> None:
    print(f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{tmp}/startup.db"
        start_once(db_url)  # migrations from nothing and the demo: not what is measured
        runs, bases, errors = [], [], []
        for _ in range(ROUNDS):
            bases.append(bare_import())
            seconds, out = start_once(db_url)
            runs.append(seconds)
            errors += [line for line in out.splitlines()
                       if "make: ***" in line or "Traceback" in line or "Aborted" in line]
    median = statistics.median(runs)
    print(f"make run to /healthz on an installed clone: {median:.2f} s (median of {ROUNDS}; "
          f"runs {', '.join(f'{r:.2f}' for r in runs)}); bare `import flask` "
          f"{statistics.median(bases):.2f} s, goal <= {GOAL} s")
    print(f"Ctrl-C: {'clean' if not errors else 'error lines: ' + '; '.join(errors[:3])}")
    goal("make run to /healthz (installed clone)", median, GOAL, unit=" s")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

"""Exactly one scheduler leads; a standby takes over when the leader dies."""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.db import utcnow
from app.extensions import db
from app.scheduler.lease import Lease, current_lease
from app.scheduler.models import SchedulerJobState, SchedulerLease
from app.scheduler.registry import JobSpec, load_jobs
from app.scheduler.runner import SchedulerProcess
from tests.conftest import BACKEND, PG_URL

ROOT = Path(__file__).resolve().parent.parent
runs: list[str] = []


def tick_job():
    """Count a run"""
    runs.append("tick")


def broken_job():
    raise RuntimeError("the mail server is on fire")


JOBS = {
    "test.tick": JobSpec("test.tick", tick_job, "interval", {"seconds": 60}, "Count a run"),
    "test.broken": JobSpec("test.broken", broken_job, "cron", {"hour": 3}, "Always fails"),
}


@pytest.fixture
def two_schedulers(app):
    runs.clear()
    first = SchedulerProcess(app, jobs=JOBS, lease_seconds=10, poll_seconds=2, holder="host-a:1")
    second = SchedulerProcess(app, jobs=JOBS, lease_seconds=10, poll_seconds=2, holder="host-b:2")
    first.start()
    second.start()
    yield first, second
    for process in (first, second):
        if process.scheduler.running:
            process.scheduler.shutdown(wait=False)


def test_the_first_scheduler_leads_and_the_second_stands_by(two_schedulers):
    first, second = two_schedulers

    assert first.tick() is True
    assert second.tick() is False

    assert current_lease().holder == "host-a:1"
    assert first.scheduler.get_job("test.tick").next_run_time is not None
    # The standby's scheduler is paused: a job it would dispatch runs nothing.
    second.run_job("test.tick")
    assert runs == []
    first.run_job("test.tick")
    assert runs == ["tick"]


def test_a_standby_takes_over_when_the_leader_stops_renewing(two_schedulers):
    first, second = two_schedulers
    start = utcnow()
    first.tick(start)
    assert second.tick(start + timedelta(seconds=5)) is False

    # The leader died: no renewal; the lease runs out 10 s after its last renewal.
    assert second.tick(start + timedelta(seconds=11)) is True
    assert current_lease().holder == "host-b:2"

    # The old leader comes back (a long pause, a network split): it stands by.
    assert first.tick(start + timedelta(seconds=12)) is False
    assert first.is_leader is False
    first.run_job("test.tick")
    assert runs == []


def test_a_leader_that_renews_keeps_the_lease(two_schedulers):
    first, second = two_schedulers
    start = utcnow()
    for seconds in (0, 8, 16, 24):
        assert first.tick(start + timedelta(seconds=seconds)) is True
        assert second.tick(start + timedelta(seconds=seconds + 1)) is False
    assert current_lease().acquired_at == start


def test_stopping_hands_the_lease_over_at_once(two_schedulers):
    first, second = two_schedulers
    first.tick()
    first.shutdown()
    assert second.tick() is True


def test_only_one_of_two_fresh_schedulers_creates_the_lease(app):
    a, b = Lease("a"), Lease("b")
    assert [a.acquire(), b.acquire()] == [True, False]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SchedulerLease)) == 1


def test_a_failing_job_is_recorded_and_the_others_keep_running(two_schedulers):
    first, _ = two_schedulers
    first.tick()
    first.run_job("test.broken")
    first.run_job("test.tick")

    db.session.expire_all()
    broken = db.session.get(SchedulerJobState, "test.broken")
    assert broken.last_outcome == "error" and "on fire" in broken.last_error
    assert db.session.get(SchedulerJobState, "test.tick").last_outcome == "ok"
    assert runs == ["tick"]


def test_status_lists_jobs_next_runs_and_the_leader(app, runner, two_schedulers):
    first, _ = two_schedulers
    first.tick()
    first.run_job("test.broken")

    out = runner.invoke(args=["scheduler", "status"]).output

    assert "leader: host-a:1" in out
    for job_id in load_jobs():
        assert job_id in out
    assert "mail.deliver" in out


def test_status_says_when_nobody_leads(app, runner):
    out = runner.invoke(args=["scheduler", "status"]).output
    assert "leader: none" in out
    assert "mail.deliver" in out


def test_jobs_are_registered_with_stable_ids_coalescing_and_a_grace_time(app):
    process = SchedulerProcess(app, holder="x")
    process.start()  # paused: nothing runs before it leads
    ids = {job.id for job in process.scheduler.get_jobs()}
    assert {"mail.deliver", "reminders.send_due"} <= ids
    for job in process.scheduler.get_jobs():
        assert job.coalesce is True and job.max_instances == 1 and job.misfire_grace_time
    process.scheduler.shutdown(wait=False)


# The processes below run on a real, loaded machine: each wait is for a condition, up to
# a deadline generous enough for a slow start, never a fixed sleep. The lease is long
# enough (5 s) that a leader starved of CPU for a moment still renews in time.
LEASE_SECONDS = 5
DEADLINE = 90.0


class _Process:
    """A `flask scheduler run` subprocess whose output is collected as it comes."""

    def __init__(self, env):
        self.popen = subprocess.Popen(
            [str(ROOT / ".venv/bin/flask"), "scheduler", "run",
             "--lease-seconds", str(LEASE_SECONDS), "--poll-seconds", "0.3"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.pid = self.popen.pid
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.popen.stdout:
            self.lines.append(line)

    def said(self, words: str) -> bool:
        return any(words in line for line in self.lines)

    def output(self) -> str:
        self._reader.join(10)
        return "".join(self.lines)

    def stop(self):
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(10)


def _lease_row(url):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(
                "SELECT holder, renewed_at FROM scheduler_leases WHERE name = 'scheduler'")).first()
    finally:
        engine.dispose()


def _leader(url):
    row = _lease_row(url)
    return row[0] if row else None


def _wait_for(predicate, timeout=DEADLINE):
    """The predicate's first true value, polled until the deadline; None if it never came."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.1)
    return None


def _renewals_after(url, count):
    """Wait until the lease has been renewed `count` more times; the holder then."""
    seen = []

    def renewed():
        row = _lease_row(url)
        if row and (not seen or row[1] != seen[-1]):
            seen.append(row[1])
        return row[0] if len(seen) > count else None

    return _wait_for(renewed)


def test_two_scheduler_processes_one_dies_the_other_takes_over(app, tmp_path):
    if BACKEND == "postgres":
        url = PG_URL
    else:
        url = f"sqlite:///{tmp_path / 'scheduler.db'}"
        engine = sa.create_engine(url)
        db.metadata.create_all(engine)
        engine.dispose()
    env = {**os.environ, "FLASK_APP": "wsgi:app", "DATABASE_URL": url, "MAIL_SERVER": ""}
    first = _Process(env)
    try:
        holder = _wait_for(lambda: _leader(url))
        assert holder and f":{first.pid}:" in holder, first.output()
        second = _Process(env)
        try:
            # The standby is up and polling (its loop starts right after this line)...
            assert _wait_for(lambda: second.said("started:")), second.output()
            # ...and while the leader renews a few times, the standby never takes over.
            holder = _renewals_after(url, 3)
            assert holder and f":{first.pid}:" in holder, second.output()

            first.popen.send_signal(signal.SIGKILL)  # dies without handing over
            first.popen.wait(30)
            new = _wait_for(lambda: (h := _leader(url)) and f":{second.pid}:" in h and h)
            assert new, "the standby did not take over"

            second.popen.send_signal(signal.SIGTERM)
            assert second.popen.wait(DEADLINE) == 0
            assert "stopping" in second.output()
        finally:
            second.stop()
    finally:
        first.stop()

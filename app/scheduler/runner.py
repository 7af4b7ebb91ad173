"""The scheduler process: APScheduler runs the registered jobs while this process leads.

Every process started with `flask scheduler run` builds the same scheduler, paused.
Its main thread then loops: take or renew the lease (app.scheduler.lease) every
`poll` seconds; while it holds the lease the scheduler runs, otherwise it stays
paused as a standby. A leader that dies stops renewing; its lease expires after
`lease` seconds and a standby takes over at its next poll (lease + poll ≤ 30 s
with the defaults 20 + 5). A leader that cannot renew in time pauses itself
before anyone else may take over.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from app.db import utcnow
from app.extensions import db
from app.scheduler.lease import Lease
from app.scheduler.models import SchedulerJobState
from app.scheduler.registry import JobSpec, load_jobs

log = logging.getLogger(__name__)

# Options of add_job a JobSpec may carry among its trigger arguments.
_JOB_OPTIONS = ("misfire_grace_time", "coalesce", "max_instances")


def describe_trigger(spec: JobSpec) -> str:
    args = {k: v for k, v in spec.trigger_args.items() if k not in _JOB_OPTIONS}
    return f"{spec.trigger}[" + ", ".join(f"{k}={v}" for k, v in args.items()) + "]"


class SchedulerProcess:
    def __init__(self, app: Flask, *, jobs: Mapping[str, JobSpec] | None = None,
                 lease_seconds: float | None = None, poll_seconds: float | None = None,
                 holder: str | None = None) -> None:
        self.app = app
        config = app.config
        self.lease_seconds = float(lease_seconds or config["SCHEDULER_LEASE_SECONDS"])
        self.poll_seconds = float(poll_seconds or config["SCHEDULER_POLL_SECONDS"])
        self.lease = Lease(holder, ttl=timedelta(seconds=self.lease_seconds))
        self.jobs = dict(jobs if jobs is not None else load_jobs())
        self.is_leader = False
        self._lease_valid_until: datetime | None = None
        self._stop = threading.Event()
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": int(config["SCHEDULER_MISFIRE_GRACE_SECONDS"]),
            },
        )
        for spec in self.jobs.values():
            trigger_args = {k: v for k, v in spec.trigger_args.items() if k not in _JOB_OPTIONS}
            options = {k: v for k, v in spec.trigger_args.items() if k in _JOB_OPTIONS}
            self.scheduler.add_job(
                self.run_job, spec.trigger, args=[spec.id], id=spec.id,
                name=spec.description or spec.id, replace_existing=True,
                **options, **trigger_args,
            )

    @property
    def holder(self) -> str:
        return self.lease.holder

    # -- one job run -------------------------------------------------------------

    def run_job(self, job_id: str) -> None:
        """Run one job in its own app context; record how it went."""
        if not self.is_leader:
            return  # lost the lease after APScheduler had already dispatched it
        spec = self.jobs[job_id]
        with self.app.app_context():
            started = utcnow()
            clock = time.monotonic()
            outcome, error = "ok", ""
            try:
                spec.func()
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - one failing job must not stop the others
                db.session.rollback()
                outcome, error = "error", f"{type(exc).__name__}: {exc}"[:2000]
                log.exception("job %s failed", job_id)
            try:
                self._record_run(job_id, started, int((time.monotonic() - clock) * 1000),
                                 outcome, error)
            except Exception:  # noqa: BLE001 - bookkeeping only
                db.session.rollback()
                log.exception("could not record the run of job %s", job_id)

    def _record_run(self, job_id: str, started: datetime, duration_ms: int, outcome: str,
                    error: str) -> None:
        state = db.session.get(SchedulerJobState, job_id) or SchedulerJobState(id=job_id)
        state.last_run_at = started
        state.last_duration_ms = duration_ms
        state.last_outcome = outcome
        state.last_error = error
        state.updated_by = self.holder
        db.session.add(state)
        db.session.commit()

    # -- leadership --------------------------------------------------------------

    def start(self) -> None:
        """Start APScheduler paused; tick() decides whether it runs."""
        self.scheduler.start(paused=True)

    def tick(self, now: datetime | None = None) -> bool:
        """One step of the leadership loop: take or renew the lease; returns is_leader."""
        now = now or utcnow()
        try:
            held = self.lease.acquire(now)
        except Exception:  # noqa: BLE001 - database unreachable: decide on what we know
            db.session.rollback()
            log.exception("could not reach the database to renew the scheduler lease")
            held = bool(self.is_leader and self._lease_valid_until
                        and now < self._lease_valid_until - timedelta(seconds=self.poll_seconds))
        else:
            if held:
                self._lease_valid_until = now + timedelta(seconds=self.lease_seconds)
        if held and not self.is_leader:
            log.info("scheduler %s leads: running jobs", self.holder)
            self.is_leader = True
            if self.scheduler.running:
                self.scheduler.resume()
        elif not held and self.is_leader:
            log.warning("scheduler %s lost the lease: standing by", self.holder)
            self.is_leader = False
            if self.scheduler.running:
                self.scheduler.pause()
        if self.is_leader:
            try:
                self.publish_next_runs()
            except Exception:  # noqa: BLE001 - bookkeeping only
                db.session.rollback()
                log.exception("could not record the next run times")
        return self.is_leader

    def publish_next_runs(self) -> None:
        """Write each job's trigger and next run time for `flask scheduler status`."""
        states = {s.id: s for s in db.session.scalars(sa.select(SchedulerJobState))}
        for spec in self.jobs.values():
            job = self.scheduler.get_job(spec.id) if self.scheduler.running else None
            state = states.get(spec.id) or SchedulerJobState(id=spec.id)
            state.trigger = describe_trigger(spec)[:200]
            state.next_run_at = job.next_run_time if job else None
            state.updated_by = self.holder
            db.session.add(state)
        db.session.commit()

    # -- the process -------------------------------------------------------------

    def run_forever(self) -> None:
        """Lead or stand by until stop() (SIGTERM, SIGINT) is called."""
        self.start()
        log.info("scheduler %s started: %d jobs, lease %ss, poll %ss", self.holder,
                 len(self.jobs), self.lease_seconds, self.poll_seconds)
        try:
            while not self._stop.is_set():
                self.tick()
                self._stop.wait(self.poll_seconds)
        finally:
            self.shutdown()

    def stop(self) -> None:
        self._stop.set()

    def shutdown(self) -> None:
        """Let running jobs finish, then hand the lease over at once."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        if self.is_leader:
            self.is_leader = False
            try:
                self.lease.release()
            except Exception:  # noqa: BLE001 - it will expire on its own
                db.session.rollback()
        log.info("scheduler %s stopped", self.holder)

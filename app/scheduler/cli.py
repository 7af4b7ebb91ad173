"""`flask scheduler run` and `flask scheduler status`."""
from __future__ import annotations

import logging
import signal
from datetime import datetime

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from app.db import utcnow
from app.extensions import db

scheduler_cli = AppGroup("scheduler", help="The job scheduler (run exactly one in production).")


@scheduler_cli.command("run")
@click.option("--lease-seconds", type=float, default=None,
              help="How long leadership lasts without renewal (default 20).")
@click.option("--poll-seconds", type=float, default=None,
              help="How often the lease is renewed or, on a standby, tried (default 5).")
def run(lease_seconds: float | None, poll_seconds: float | None) -> None:
    """Run the periodic jobs; a second process waits as a standby and takes over."""
    from app.scheduler.runner import SchedulerProcess

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Every run of every job is logged at INFO by APScheduler (the outbox job runs every
    # 10 s); failures still come through at WARNING and above.
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    process = SchedulerProcess(current_app._get_current_object(), lease_seconds=lease_seconds,
                               poll_seconds=poll_seconds)

    def on_signal(signum, frame):  # noqa: ARG001
        click.echo(f"scheduler {process.holder}: {signal.Signals(signum).name}, stopping")
        process.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    click.echo(f"scheduler {process.holder}: {len(process.jobs)} jobs; "
               f"waiting for leadership (lease {process.lease_seconds:g}s)")
    process.run_forever()


def _when(value: datetime | None, now: datetime) -> str:
    if value is None:
        return "-"
    seconds = int((value - now).total_seconds())
    relative = f"in {seconds}s" if seconds >= 0 else f"{-seconds}s ago"
    return f"{value:%Y-%m-%d %H:%M:%S}Z ({relative})"


@scheduler_cli.command("status")
def status() -> None:
    """Show which process leads, the jobs and their next and last runs."""
    from app.scheduler.lease import current_lease
    from app.scheduler.models import SchedulerJobState
    from app.scheduler.registry import load_jobs
    from app.scheduler.runner import describe_trigger

    now = utcnow()
    lease = current_lease()
    if lease is None:
        click.echo("leader: none (no scheduler has ever run)")
    elif lease.expires_at < now:
        click.echo(f"leader: none (last: {lease.holder}, lease expired {_when(lease.expires_at, now)})")
    else:
        click.echo(f"leader: {lease.holder} since {_when(lease.acquired_at, now)}, "
                   f"lease until {_when(lease.expires_at, now)}")
    leading = lease is not None and lease.expires_at >= now
    states = {s.id: s for s in db.session.scalars(sa.select(SchedulerJobState))}
    jobs = load_jobs()
    click.echo(f"{len(jobs)} jobs:")
    for job_id in sorted(jobs):
        spec = jobs[job_id]
        state = states.get(job_id)
        next_run = _when(state.next_run_at, now) if state and leading else "-"
        last = "never"
        if state and state.last_run_at:
            last = f"{_when(state.last_run_at, now)} {state.last_outcome}"
            if state.last_error:
                last += f" ({state.last_error[:80]})"
        click.echo(f"  {job_id:<28} {describe_trigger(spec):<32} next: {next_run:<36} last: {last}")
        if spec.description:
            click.echo(f"  {'':<28} {spec.description}")

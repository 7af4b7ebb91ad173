"""`flask scheduler run` and `flask scheduler status`."""
from __future__ import annotations

from flask.cli import AppGroup

scheduler_cli = AppGroup("scheduler", help="The job scheduler (run exactly one in production).")

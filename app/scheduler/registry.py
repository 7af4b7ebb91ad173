"""Job registry: capabilities declare their periodic jobs here; only `flask scheduler run` runs them."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app import capability_modules


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: Callable[[], Any]
    trigger: str  # "interval" or "cron"
    trigger_args: dict[str, Any] = field(default_factory=dict)
    description: str = ""


JOBS: dict[str, JobSpec] = {}


def job(id: str, trigger: str, description: str = "", **trigger_args: Any):
    """Register a function run inside an app context by the scheduler process.

    The function owns its transaction (commit per unit of work) and must be safe to
    run again after a crash: the scheduler may restart at any moment.
    """

    def decorator(func: Callable[[], Any]) -> Callable[[], Any]:
        JOBS[id] = JobSpec(id, func, trigger, trigger_args, description or (func.__doc__ or "").strip().split("\n")[0])
        return func

    return decorator


def load_jobs() -> dict[str, JobSpec]:
    capability_modules("jobs")  # importing a capability's jobs module registers them
    return JOBS

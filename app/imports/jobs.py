"""Periodic jobs of this capability, registered with app.scheduler.registry.job."""
from __future__ import annotations

from app.extensions import db
from app.imports.services import purge_expired
from app.scheduler.registry import job


@job("imports.purge", "interval", minutes=10)
def purge_staged_imports() -> int:
    """Delete uploaded lists left unconfirmed past IMPORT_STAGING_MINUTES."""
    count = purge_expired()
    db.session.commit()
    return count

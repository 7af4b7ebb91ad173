"""Periodic jobs of the files capability."""
from __future__ import annotations

import logging

from app.extensions import db
from app.files.services import collect_orphans, collect_stray_objects
from app.scheduler.registry import job

log = logging.getLogger(__name__)


@job("files.collect_orphans", "interval", hours=6,
     description="Delete stored files nothing refers to any more")
def collect_orphan_files() -> int:
    """Blob rows first (committed per batch), then the S3 objects left without a row."""
    total = 0
    for _ in range(20):
        deleted = collect_orphans(limit=500)
        db.session.commit()
        total += deleted
        if deleted < 500:
            break
    total += collect_stray_objects()
    if total:
        log.info("files: %s orphaned blobs deleted", total)
    return total

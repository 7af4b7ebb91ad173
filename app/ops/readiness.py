"""/readyz: is this host ready for traffic? Database, Redis, migrations, scheduler lease.

Each part answers "ok" or says what is wrong; any failing part makes the answer 503
and is listed under "failing". /healthz stays the cheap liveness check the proxy uses.
"""
from __future__ import annotations

from datetime import UTC

import sqlalchemy as sa
from flask import current_app

from app.db import utcnow
from app.extensions import db


def _scripts():
    ext = current_app.extensions
    if "eventi_migration_scripts" not in ext:
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        from app import ROOT

        config = Config()
        config.set_main_option("script_location", str(ROOT / "migrations"))
        ext["eventi_migration_scripts"] = ScriptDirectory.from_config(config)
    return ext["eventi_migration_scripts"]


def _migration_heads() -> set[str]:
    return set(_scripts().get_heads())


def _known(revision: str) -> bool:
    try:
        return _scripts().get_revision(revision) is not None
    except Exception:  # noqa: BLE001 - alembic's "no such revision"
        return False


def check_database() -> str:
    db.session.execute(sa.text("SELECT 1"))
    return "ok"


def check_migrations() -> str:
    heads = _migration_heads()
    try:
        current = set(db.session.scalars(sa.text("SELECT version_num FROM alembic_version")))
    except sa.exc.ProgrammingError:  # PostgreSQL: no table
        db.session.rollback()
        current = set()
    except sa.exc.OperationalError as exc:  # SQLite says "no such table" this way
        db.session.rollback()
        if "no such table" not in str(exc):
            raise
        current = set()
    if current == heads:
        return "ok"
    unknown = sorted(r for r in current if not _known(r))
    if unknown:  # migrated by a newer release (during a rolling upgrade)
        return "database is ahead of this release: " + ", ".join(unknown)
    return "pending: " + ", ".join(sorted(heads - current))


def check_redis(url: str) -> str:
    import redis

    clients = current_app.extensions.setdefault("eventi_readyz_redis", {})
    if url not in clients:
        clients[url] = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    clients[url].ping()
    return "ok"


def check_scheduler() -> str:
    from app.scheduler.models import SchedulerLease

    config = current_app.config
    max_age = float(config.get("READYZ_SCHEDULER_MAX_AGE_SECONDS") or (
        float(config.get("SCHEDULER_LEASE_SECONDS") or 20)
        + float(config.get("SCHEDULER_POLL_SECONDS") or 5) + 5))
    lease = db.session.get(SchedulerLease, "scheduler")
    if lease is None:
        return "no scheduler has ever run"
    renewed = lease.renewed_at if lease.renewed_at.tzinfo else lease.renewed_at.replace(tzinfo=UTC)
    age = (utcnow() - renewed).total_seconds()
    if age > max_age:
        return f"lease last renewed {age:.0f}s ago (more than {max_age:.0f}s)"
    return "ok"


def redis_urls() -> dict[str, str]:
    config = current_app.config
    urls = {}
    if config.get("CACHE_REDIS_URL"):
        urls["redis_cache"] = config["CACHE_REDIS_URL"]
    limits = config.get("RATELIMIT_STORAGE_URI") or ""
    if limits.startswith(("redis://", "rediss://", "redis+")):
        urls["redis_limits"] = limits
    return urls


def run_checks() -> dict[str, str]:
    checks: dict[str, str] = {}
    try:
        checks["database"] = check_database()
    except Exception as exc:  # noqa: BLE001 - any driver error: the database is not usable
        db.session.rollback()
        checks["database"] = f"unreachable: {type(exc).__name__}"
    for name, url in redis_urls().items():
        try:
            checks[name] = check_redis(url)
        except Exception as exc:  # noqa: BLE001
            checks[name] = f"unreachable: {type(exc).__name__}"
    if checks["database"] == "ok":
        for name, check in (("migrations", check_migrations), ("scheduler", check_scheduler)):
            if name == "scheduler" and not current_app.config.get("READYZ_CHECK_SCHEDULER", True):
                continue
            try:
                checks[name] = check()
            except Exception as exc:  # noqa: BLE001
                db.session.rollback()
                if checks.get("migrations", "ok") != "ok":
                    checks[name] = "unknown until the database is migrated"
                else:
                    checks[name] = f"error: {type(exc).__name__}"
    db.session.rollback()
    return checks

"""Copy every row from one database to another: moving from SQLite to PostgreSQL.

The target must be empty and migrated to the same revision as the source
(`flask db upgrade` against it first). Tables are copied parents first, in batches,
in one transaction on the target; PostgreSQL sequences are then moved past the
copied ids so new rows do not collide.
"""
from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from app.extensions import db


def normalise_url(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _revision(conn: sa.Connection) -> set[str]:
    try:
        return set(conn.scalars(sa.text("SELECT version_num FROM alembic_version")))
    except sa.exc.DBAPIError:
        conn.rollback()
        return set()


def copy_database(source_url: str, target_url: str, *, batch: int = 1000,
                  echo: Callable[[str], None] = print) -> dict[str, int]:
    source = sa.create_engine(normalise_url(source_url))
    target = sa.create_engine(normalise_url(target_url))
    tables = db.metadata.sorted_tables
    copied: dict[str, int] = {}
    try:
        with source.connect() as src, target.connect() as dst:
            src_rev, dst_rev = _revision(src), _revision(dst)
            if not src_rev:
                raise ValueError("the source database has no migration revision")
            if src_rev != dst_rev:
                raise ValueError(
                    f"revisions differ: source {sorted(src_rev)}, target {sorted(dst_rev) or 'none'};"
                    " run `flask db upgrade` on both first")
            for table in tables:
                if dst.scalar(sa.select(sa.func.count()).select_from(table)):
                    raise ValueError(f"the target table {table.name} is not empty")
            dst.rollback()  # end the checks' transaction: the copy is one transaction of its own
            with dst.begin():
                for table in tables:
                    count = 0
                    result = src.execution_options(yield_per=batch).execute(sa.select(table))
                    for rows in result.partitions(batch):
                        dst.execute(table.insert(), [dict(row._mapping) for row in rows])
                        count += len(rows)
                    copied[table.name] = count
                    echo(f"{table.name}: {count}")
                if dst.dialect.name == "postgresql":
                    for table in tables:
                        for column in table.primary_key.columns:
                            if column.autoincrement is True or (
                                column.autoincrement == "auto" and isinstance(column.type, sa.Integer)
                                and len(table.primary_key.columns) == 1
                            ):
                                dst.execute(sa.text(
                                    "SELECT setval(pg_get_serial_sequence(:t, :c),"
                                    f" COALESCE((SELECT max({column.name}) FROM {table.name}), 0) + 1,"
                                    " false) WHERE pg_get_serial_sequence(:t, :c) IS NOT NULL"),
                                    {"t": table.name, "c": column.name})
            src.rollback()
    finally:
        source.dispose()
        target.dispose()
    return copied

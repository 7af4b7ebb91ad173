"""The kernel's database layer: declarative base, UTC datetimes, enum columns, mixins."""
from __future__ import annotations

import enum
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Members compare equal to, and print as, their stored string value.
StrEnum = enum.StrEnum


def enum_column(cls: type[enum.Enum], length: int = 20) -> sa.Enum:
    """An enum stored as its plain string value with a CHECK constraint: portable and
    readable in SQL."""
    return sa.Enum(
        cls,
        native_enum=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
        name=cls.__name__.lower(),
        create_constraint=True,
    )


def reference(target: str, *, on_delete: str = "CASCADE", index: bool = False,
              primary_key: bool = False) -> so.MappedColumn:
    """A foreign-key column to `target` ("table.id"). `on_delete` is what the database does
    to this row when the referenced one goes: CASCADE deletes it, SET NULL keeps it unlinked.
    Nullability comes from the `Mapped[...]` annotation, as for any mapped column."""
    return so.mapped_column(sa.ForeignKey(target, ondelete=on_delete), index=index,
                            primary_key=primary_key)


def holds(column: str, *values: enum.Enum) -> property:
    """A read-only flag: whether the row's `column` holds one of `values`
    (`is_published = holds("status", EventStatus.PUBLISHED)`)."""
    return property(lambda row: getattr(row, column) in values,
                    doc=f"{column} is {' or '.join(str(v) for v in values)}")


def stamped(column: str) -> property:
    """A read-only flag: whether the row's `column` (a time such as `erased_at`) is set."""
    return property(lambda row: getattr(row, column) is not None, doc=f"{column} is set")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores instants in UTC and always hands back timezone-aware datetimes.

    SQLite keeps no offset, PostgreSQL uses timestamptz; either way the Python side
    sees aware UTC values, and a naive value is refused rather than guessed at.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(so.DeclarativeBase):
    registry = so.registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


class TimestampMixin:
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """The embedded SQLite default: WAL so readers never wait for the writer, NORMAL
    sync (safe in WAL; a commit costs no fsync of the main file), and foreign keys on."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

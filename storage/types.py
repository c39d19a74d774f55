"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, ColumnElement, DateTime, Table, literal_column
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Names for every index and constraint not named by hand, the same on SQLite and PostgreSQL, so a migration can
find one by name (migration 0012 gave the older ones these names)."""
SQLModel.metadata.naming_convention = NAMING_CONVENTION


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC; SQLite keeps no zone, so we normalise on the way in and out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: pass an aware datetime")
        value = value.astimezone(UTC)
        # SQLite's DateTime would store the offset as text and compare badly; store naive UTC there.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_column(nullable: bool = False) -> Column[datetime]:
    """A column of aware UTC datetimes."""
    return Column(UTCDateTime(), nullable=nullable)


def table_of(model: type[SQLModel]) -> Table:
    """The table a model is stored in, for Core statements on the hot path (no ORM object in or out)."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def written_in(status: StrEnum) -> ColumnElement[str]:
    """A status written into the SQL rather than bound, for the hot statements that compare with a fixed one.

    A bound value that the choice of a partial index depends on makes SQLite plan the statement anew at each
    execution (PostgreSQL's generic plans, likewise, use such an index only for a value they see), and an IN of
    bound values is expanded anew at each execution. The value is ours (an enum), never a member's words.
    """
    return literal_column(f"'{status.value}'")

"""naming convention: every primary and foreign key gets the name the metadata's convention gives it (pk_<table>,
fk_<table>_<column>_<referred table>), the same on SQLite and PostgreSQL, so later migrations can find them by name.
No table, column or row changes.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables as they stood at 0011, and their foreign keys (table, column, referred table).
TABLES = (
    "actions",
    "breakdowns",
    "breakthroughs",
    "deliveries",
    "follow_ups",
    "followers",
    "members",
    "nudges",
    "outbox",
    "pauses",
    "promises",
    "recaps",
    "renegotiations",
    "requests",
    "shares",
    "stand_drafts",
    "stands",
    "workspaces",
)
FOREIGN_KEYS = (
    ("breakthroughs", "stand_id", "stands"),
    ("followers", "stand_id", "stands"),
    ("renegotiations", "request_id", "requests"),
    ("requests", "stand_id", "stands"),
)
# Frozen here as it was when this migration was written (storage.models.NAMING_CONVENTION may grow).
CONVENTION = {
    "pk": "pk_%(table_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot rename a constraint: each table is rebuilt (copied, data and indexes included) with its
        # constraints named. storage/migrations/env.py turns foreign keys off around a migration for this.
        for table in TABLES:
            with op.batch_alter_table(table, recreate="always", naming_convention=CONVENTION):
                pass
        return
    for table in TABLES:
        _rename(table, _primary_key_name(table), f"pk_{table}")
    for table, column, referred in FOREIGN_KEYS:
        _rename(table, _foreign_key_name(table, column), f"fk_{table}_{column}_{referred}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return  # the names change nothing SQLite does; rebuilding every table to drop them would gain nothing
    for table in TABLES:
        _rename(table, _primary_key_name(table), f"{table}_pkey")
    for table, column, _referred in FOREIGN_KEYS:
        _rename(table, _foreign_key_name(table, column), f"{table}_{column}_fkey")


def _primary_key_name(table: str) -> str:
    name = sa.inspect(op.get_bind()).get_pk_constraint(table)["name"]
    assert name, f"{table} has an unnamed primary key"
    return str(name)


def _foreign_key_name(table: str, column: str) -> str:
    for key in sa.inspect(op.get_bind()).get_foreign_keys(table):
        if key["constrained_columns"] == [column] and key["name"]:
            return str(key["name"])
    raise AssertionError(f"{table}.{column} has no named foreign key")


def _rename(table: str, old: str, new: str) -> None:
    if old != new:
        op.execute(sa.text(f'ALTER TABLE "{table}" RENAME CONSTRAINT "{old}" TO "{new}"'))

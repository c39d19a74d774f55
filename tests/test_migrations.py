"""Migrations: they build exactly the schema the models describe, and upgrading keeps every row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine.interfaces import ReflectedColumn
from sqlmodel import SQLModel

from bot.clock import FixedClock
from bot.coach import Coach
from storage.db import alembic_config, make_engine
from storage.models import NAMING_CONVENTION


def test_the_migrations_build_exactly_the_schema_the_models_describe(database_url: str) -> None:
    command.check(alembic_config(database_url))  # raises when autogenerate would find a difference


def test_members_paused_before_the_pause_history_get_a_pause_open_from_the_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'upgrade.db'}"
    command.upgrade(alembic_config(url), "0006")
    engine = make_engine(url)
    with engine.begin() as connection:
        for user_id, paused in (("UADA", True), ("UBOB", False)):
            connection.execute(
                sa.text(
                    "INSERT INTO members (team_id, user_id, name, is_admin, is_bot, nudge_time, weekends, paused,"
                    " paused_reason, created_at) VALUES ('T1', :user, '', 0, 0, '09:00', 0, :paused, :reason,"
                    " '2026-11-01 09:00:00.000000')"
                ),
                {"user": user_id, "paused": paused, "reason": "account_inactive" if paused else None},
            )
    before = datetime.now(UTC)

    command.upgrade(alembic_config(url), "head")

    [pause] = Coach(engine, FixedClock(before)).export()["pauses"]
    engine.dispose()
    assert (pause["user_id"], pause["reason"], pause["ended_at"]) == ("UADA", "account_inactive", None)
    assert datetime.fromisoformat(pause["started_at"]) >= before.replace(microsecond=0)
    command.downgrade(alembic_config(url), "0006")  # and back down cleanly


def _a_value_for(column: ReflectedColumn) -> object:
    """Something a NOT NULL column of this type accepts."""
    kind = column["type"]
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer):
        return 1
    if isinstance(kind, sa.DateTime):
        return datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    if isinstance(kind, sa.Date):
        return date(2026, 11, 2)
    return "x"


def _one_row_in_every_table(engine: sa.Engine) -> dict[str, list[dict[str, Any]]]:
    """Insert a row into each table (stands and requests first: others point at them) and read them all back."""
    inspector = sa.inspect(engine)
    tables = sorted(t for t in inspector.get_table_names() if t != "alembic_version")
    tables.sort(key=lambda t: t not in ("stands", "requests"))
    rows = {t: {c["name"]: _a_value_for(c) for c in inspector.get_columns(t) if not c["nullable"]} for t in tables}
    with engine.begin() as connection:
        for table, row in rows.items():
            columns = ", ".join(row)
            connection.execute(sa.text(f"INSERT INTO {table} ({columns}) VALUES (:{', :'.join(row)})"), row)
    with engine.connect() as connection:
        return {t: _rows(connection, t) for t in tables}


def _rows(connection: sa.Connection, table: str, columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Every row of `table` (only `columns` of each, when given)."""
    found = [dict(row._mapping) for row in connection.execute(sa.text(f"SELECT * FROM {table}"))]
    return [{c: row[c] for c in columns} for row in found] if columns is not None else found


def _named(kind: str, **tokens: str) -> str:
    return NAMING_CONVENTION[kind] % tokens


def test_the_naming_convention_names_every_key_and_the_upgrade_keeps_every_row(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if database_url.startswith("sqlite"):
        # A database made before the convention: SQLite's keys unnamed, as every earlier release left them.
        url = f"sqlite:///{tmp_path / 'before.db'}"
        with monkeypatch.context() as before_the_convention:
            before_the_convention.setattr(SQLModel.metadata, "naming_convention", {"ix": "ix_%(column_0_label)s"})
            command.upgrade(alembic_config(url), "0011")
    else:
        url = database_url
        command.downgrade(alembic_config(url), "0011")  # PostgreSQL's own names: stands_pkey, requests_stand_id_fkey
    engine = make_engine(url)
    try:
        rows = _one_row_in_every_table(engine)
        inspector = sa.inspect(engine)
        assert inspector.get_pk_constraint("stands")["name"] in (None, "stands_pkey")

        command.upgrade(alembic_config(url), "head")

        with engine.connect() as connection:
            # Every column a row had before the upgrade still holds what it held (later migrations add columns).
            after = {t: _rows(connection, t, list(before[0]) if before else None) for t, before in rows.items()}
        assert after == rows
        inspector = sa.inspect(engine)
        for table in rows:
            assert inspector.get_pk_constraint(table)["name"] == _named("pk", table_name=table)
            for key in inspector.get_foreign_keys(table):
                [column] = key["constrained_columns"]
                wanted = _named("fk", table_name=table, column_0_name=column, referred_table_name=key["referred_table"])
                assert key["name"] == wanted
        command.check(alembic_config(url))
    finally:
        engine.dispose()


def test_members_met_before_the_welcome_count_as_welcomed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'welcome.db'}"
    command.upgrade(alembic_config(url), "0014")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO members (team_id, user_id, name, is_admin, is_bot, nudge_time, weekends, paused,"
                    " created_at) VALUES ('T1', 'UADA', '', 0, 0, '09:00', 0, 0, '2026-11-01 09:00:00.000000')"
                )
            )

        command.upgrade(alembic_config(url), "head")

        with engine.connect() as connection:
            welcomed = connection.execute(sa.text("SELECT welcomed_at FROM members")).scalar_one()
        assert str(welcomed).startswith("2026-11-01 09:00")
    finally:
        engine.dispose()

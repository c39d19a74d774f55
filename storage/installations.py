"""Where the app is installed, and where it was: the tables slack_sdk's SQLAlchemy stores read and write
(installations, bots, OAuth states), and the record of a workspace that uninstalled the app.

The stores build their own `Table` objects at run time; the tables are declared here too (same names, columns and
types) so that migrations make them like every other table and the drift check (`alembic check`) covers them. They
sit in a MetaData of their own rather than SQLModel's: they are Slack's bookkeeping, not members' records, so
export and forget-me leave them be (a purge of the workspace deletes its installation first).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Column, DateTime, Index, Integer, MetaData, String, Table, delete, func, select
from sqlmodel import Session, SQLModel

from storage.models import NAMING_CONVENTION
from storage.types import UTCDateTime

INSTALL_METADATA = MetaData(naming_convention=NAMING_CONVENTION)


def _token_columns() -> list[Column[Any]]:
    """The columns a workspace's bot token comes with, the same in both store tables."""
    return [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("client_id", String(32), nullable=False),
        Column("app_id", String(32), nullable=False),
        Column("enterprise_id", String(32)),
        Column("enterprise_name", String(200)),
    ]


installations = Table(
    "slack_installations",
    INSTALL_METADATA,
    *_token_columns(),
    Column("enterprise_url", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", String(200)),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(200)),
    Column("bot_token_expires_at", DateTime),
    Column("user_id", String(32), nullable=False),
    Column("user_token", String(200)),
    Column("user_scopes", String(1000)),
    Column("user_refresh_token", String(200)),
    Column("user_token_expires_at", DateTime),
    Column("incoming_webhook_url", String(200)),
    Column("incoming_webhook_channel", String(200)),
    Column("incoming_webhook_channel_id", String(200)),
    Column("incoming_webhook_configuration_url", String(200)),
    Column("is_enterprise_install", Boolean, nullable=False),
    Column("token_type", String(32)),
    Column("installed_at", DateTime, nullable=False),
    Index("slack_installations_idx", "client_id", "enterprise_id", "team_id", "user_id", "installed_at"),
)

bots = Table(
    "slack_bots",
    INSTALL_METADATA,
    *_token_columns(),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", String(200)),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(200)),
    Column("bot_token_expires_at", DateTime),
    Column("is_enterprise_install", Boolean, nullable=False),
    Column("installed_at", DateTime, nullable=False),
    Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)

oauth_states = Table(
    "slack_oauth_states",
    INSTALL_METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False),
    Column("expire_at", DateTime, nullable=False),
)

departures = Table(
    "workspace_departures",
    INSTALL_METADATA,
    Column("team_id", String(32), primary_key=True),
    Column("left_at", UTCDateTime, nullable=False),
    Column("purge_after", UTCDateTime, nullable=False),
    Index("ix_workspace_departures_purge_after", "purge_after"),
)
"""A workspace that uninstalled the app (or revoked its token): its data is kept until `purge_after`."""


def record_departure(*, team_id: str, left_at: datetime, purge_after: datetime, session: Session) -> None:
    """Remember that `team_id` left; a second uninstall keeps the first one's date (the window does not restart)."""
    if session.execute(select(departures.c.team_id).where(departures.c.team_id == team_id)).first() is None:
        session.execute(departures.insert().values(team_id=team_id, left_at=left_at, purge_after=purge_after))


def forget_departure(*, team_id: str, session: Session) -> bool:
    """The workspace is back (reinstalled): keep its data. Whether it had left."""
    result = session.execute(delete(departures).where(departures.c.team_id == team_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def departed(*, team_id: str, session: Session) -> bool:
    """Whether the workspace uninstalled the app and has not come back."""
    return session.execute(select(departures.c.team_id).where(departures.c.team_id == team_id)).first() is not None


def due_purges(*, now: datetime, session: Session) -> list[str]:
    """The workspaces whose window after uninstalling has ended."""
    return list(session.scalars(select(departures.c.team_id).where(departures.c.purge_after <= now)))


def purge_workspace(*, team_id: str, session: Session) -> dict[str, int]:
    """Delete every row of the workspace, in every table (children before the rows they point at), and the
    record of its departure; counts per table."""
    counts: dict[str, int] = {}
    for table in reversed(SQLModel.metadata.sorted_tables):
        if "team_id" in table.c:
            result = session.execute(delete(table).where(table.c.team_id == team_id))
            counts[table.name] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    session.execute(delete(departures).where(departures.c.team_id == team_id))
    return {name: count for name, count in counts.items() if count}


def installed_teams(*, session: Session) -> int:
    """How many workspaces have the app installed now."""
    return int(session.scalar(select(func.count(func.distinct(installations.c.team_id)))) or 0)

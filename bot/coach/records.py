"""A member's records as data: the export document, and forgetting them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Session, SQLModel

from bot.coach.values import Context, MemberId
from storage import queries

_INTERNAL_FIELDS = {
    "requester_channel",
    "requester_ts",
    "recipient_channel",
    "recipient_ts",
    "claimed_at",
    "payload",  # an outbox message's body: what it says is in the rows it is about, and it may carry a response_url
    "blocks",  # a line told in a morning message, as rendered: what it says is in the rows it is about
}


def export(
    *, session: Session, team_id: str | None = None, user_id: str | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Everything stored (all teams, one team) as the contract's export document; with `user_id`, everything
    about that member: what they made, what names them or they follow, and their settings."""
    rows = queries.export_rows(session=session, team_id=team_id, user_id=user_id)
    return {name: [exported(row) for row in items] for name, items in rows.items()}


def forget(who: MemberId, *, ctx: Context, session: Session) -> dict[str, int]:
    """Delete everything of the member's; anonymize them where a record is also someone else's, the channel
    and timestamp of their DM included."""
    team_id, user_id = who
    return queries.forget_member(team_id=team_id, user_id=user_id, now=ctx.now, session=session)


def exported(row: SQLModel) -> dict[str, Any]:
    """One row as an export item: ISO 8601 dates and UTC times, internal bookkeeping left out. Every item carries
    `user_id`, the member it belongs to: none for a workspace's settings."""
    item: dict[str, Any] = {} if "user_id" in row.__table__.columns else {"user_id": None}  # type: ignore[attr-defined]
    for column in row.__table__.columns:  # type: ignore[attr-defined]
        name, value = column.name, getattr(row, column.name)
        if name in _INTERNAL_FIELDS:
            continue
        if isinstance(value, datetime):
            item[name] = value.isoformat().replace("+00:00", "Z")
        elif isinstance(value, date):
            item[name] = value.isoformat()
        else:
            item[name] = str(value) if isinstance(value, StrEnum) else value
    return item

"""Requests from Slack already taken in, each with the answer it got, so a retried or replayed one changes
nothing twice. A record is written in the same transaction as the change the request made (see
handlers.deliveries), so it exists exactly when the change does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from storage.models import Delivery
from storage.types import table_of

DONE = "done"


@dataclass(frozen=True, slots=True)
class SeenDelivery:
    """An earlier delivery of the same key, and the answer it was given."""

    status: str
    response: str | None


@lru_cache(maxsize=2)
def _record_statement(dialect_name: str) -> Any:
    # Built once per dialect and run with bound values: every command, button and form that stores something
    # records its delivery, and building this insert anew cost more than running it. A Core insert into the table
    # (not the ORM entity): nothing here needs an object back, only whether a row went in.
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    table = table_of(Delivery)
    return (
        dialect.insert(table)
        .values({name: bindparam(name) for name in ("key", "team_id", "user_id", "status", "response")})
        .values(created_at=bindparam("now"), updated_at=bindparam("now"))
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(table.c.key)
    )


def record_delivery(
    *, key: str, team_id: str | None, user_id: str | None, response: str, now: datetime, session: Session
) -> bool:
    """Record the delivery of `key` with its answer, in the caller's transaction; False when one already is.

    On PostgreSQL a second copy racing the first waits here for the first to commit or roll back; on SQLite the
    writer lock has already put them one after the other.
    """
    statement = _record_statement(session.get_bind().dialect.name)
    values = {"key": key, "team_id": team_id, "user_id": user_id, "status": DONE, "response": response, "now": now}
    # RETURNING, not rowcount: psycopg reports no rowcount for this insert.
    return session.connection().execute(statement, values).first() is not None


def seen_delivery(*, key: str, session: Session) -> SeenDelivery | None:
    """The earlier delivery of `key`, or None if it was never taken in."""
    row = session.execute(select(col(Delivery.status), col(Delivery.response)).where(col(Delivery.key) == key)).first()
    return None if row is None else SeenDelivery(status=row[0], response=row[1])


def prune_deliveries(*, before: datetime, session: Session) -> int:
    """Forget deliveries taken in before `before` (Slack retries within minutes); returns how many."""
    pruned = session.execute(delete(Delivery).where(col(Delivery.created_at) < before).returning(col(Delivery.key)))
    return len(pruned.all())

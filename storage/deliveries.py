"""Requests from Slack already taken in: a claim per delivery, so a retried or replayed one changes nothing twice.

The first delivery of a key inserts its row ("handling") and is handled; when it is answered, the row keeps the
answer ("done"), and any replay gets that answer again without being handled. A "handling" row whose handler died
(older than the lease) is taken over by the next delivery of the same key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from storage.models import Delivery

HANDLING = "handling"
DONE = "done"


@dataclass(frozen=True, slots=True)
class SeenDelivery:
    """How an earlier delivery of the same key stands: still being handled, or done with this answer."""

    status: str
    response: str | None


def claim_delivery(
    *,
    key: str,
    team_id: str | None,
    user_id: str | None,
    now: datetime,
    stale_before: datetime,
    session: Session,
) -> bool:
    """Claim the delivery identified by `key`; True for exactly one claimant, who then handles it.

    The insert wins once; a "handling" claim last touched before `stale_before` (its handler died) can be taken
    over once, by whoever updates it first.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    inserted = session.execute(
        dialect.insert(Delivery)
        .values(key=key, team_id=team_id, user_id=user_id, status=HANDLING, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(col(Delivery.key))
    )
    # RETURNING, not rowcount: through the ORM session psycopg reports no rowcount for this insert.
    if inserted.first() is not None:
        return True
    retaken = session.execute(
        update(Delivery)
        .where(
            col(Delivery.key) == key,
            col(Delivery.status) == HANDLING,
            col(Delivery.updated_at) < stale_before,
        )
        .values(updated_at=now)
        .returning(col(Delivery.key))
    )
    return retaken.first() is not None


def seen_delivery(*, key: str, session: Session) -> SeenDelivery | None:
    """How the delivery of `key` stands, or None if it was never taken in (or was given up since)."""
    row = session.execute(select(col(Delivery.status), col(Delivery.response)).where(col(Delivery.key) == key)).first()
    return None if row is None else SeenDelivery(status=row[0], response=row[1])


def finish_delivery(*, key: str, response: str, now: datetime, session: Session) -> None:
    """Record the answer the delivery of `key` was given, for any replay of it."""
    session.execute(
        update(Delivery).where(col(Delivery.key) == key).values(status=DONE, response=response, updated_at=now)
    )


def release_delivery(*, key: str, session: Session) -> None:
    """Give up the claim on `key` (its handling failed), so the next delivery of it is handled afresh."""
    session.execute(delete(Delivery).where(col(Delivery.key) == key, col(Delivery.status) == HANDLING))


def prune_deliveries(*, before: datetime, session: Session) -> int:
    """Forget deliveries taken in before `before` (Slack retries within minutes); returns how many."""
    pruned = session.execute(delete(Delivery).where(col(Delivery.created_at) < before).returning(col(Delivery.key)))
    return len(pruned.all())

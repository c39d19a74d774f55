"""Exactly-once bookkeeping for scheduled sends: who is due, and claims keyed so only one sender wins.

A claim is a row with a unique key inserted before the send; whoever inserts it sends. After the send the row
records Slack's ts. A claim whose sender died is taken over once it is older than the timeout.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, delete, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col
from sqlmodel import select as model_select

from storage import bulk
from storage.models import (
    ClaimStatus,
    FollowUp,
    Member,
    Nudge,
    Recap,
)
from storage.schedule import DueNudge


def stale_claims(*, stale_before: datetime, session: Session) -> list[tuple[DueNudge, str | None]]:
    """Nudges claimed by a sender that never finished, with the member's zone."""
    rows = session.execute(
        select(col(Nudge.team_id), col(Nudge.user_id), col(Nudge.local_date), col(Member.tz))
        .join(Member, and_(col(Member.team_id) == col(Nudge.team_id), col(Member.user_id) == col(Nudge.user_id)))
        .where(col(Nudge.status) == ClaimStatus.CLAIMED, col(Nudge.claimed_at) < stale_before)
    )
    return [(DueNudge(team_id=t, user_id=u, local_date=d), tz) for t, u, d, tz in rows]


Claimable = type[Nudge] | type[Recap] | type[FollowUp]


def claim(
    model: Claimable,
    key: dict[str, Any],
    *,
    now: datetime,
    stale_before: datetime,
    session: Session,
    extra: dict[str, Any] | None = None,
) -> bool:
    """Claim the send identified by `key` (the model's unique key); True for exactly one claimant.

    The insert wins once; a claim whose sender never finished (older than `stale_before`) can be taken over
    once, by whoever updates it first.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    inserted = session.execute(
        dialect.insert(model)
        .values(**key, **(extra or {}), status=ClaimStatus.CLAIMED, claimed_at=now, created_at=now)
        .on_conflict_do_nothing(index_elements=list(key))
        .returning(col(model.id))
    )
    # RETURNING, not rowcount: through the ORM session psycopg reports no rowcount for this insert.
    if inserted.first() is not None:
        return True
    retaken = session.execute(
        update(model)
        .where(
            *(getattr(model, name) == value for name, value in key.items()),
            col(model.status) == ClaimStatus.CLAIMED,
            col(model.claimed_at) < stale_before,
        )
        .values(claimed_at=now)
        .returning(col(model.id))
    )
    return retaken.first() is not None


@lru_cache(maxsize=2)
def _claim_nudges_statement(dialect_name: str) -> Any:
    # Built once and run with many rows of values (SQLAlchemy sends them as one multi-row insert, RETURNING what was
    # inserted): the morning pass claims a chunk of members at a time.
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    table = Nudge.__table__  # type: ignore[attr-defined]
    return (
        dialect.insert(table)
        .on_conflict_do_nothing(index_elements=["team_id", "user_id", "local_date"])
        .returning(table.c.team_id, table.c.user_id, table.c.local_date)
    )


def claim_nudges(
    keys: Sequence[tuple[str, str, date]], *, now: datetime, stale_before: datetime, session: Session
) -> set[tuple[str, str, date]]:
    """Claim many members' nudges at once, each (team, member, local date) as `claim` would: every key is won by
    exactly one claimant, here or on another instance. The keys this call won come back.

    Two statements however many keys: one insert that skips the keys already claimed, and one compare-and-set that
    takes over those whose sender never finished. Keys go in sorted, so two instances lock rows in one order.
    """
    if not keys:
        return set()
    ordered = sorted(set(keys))
    claimed = {"status": ClaimStatus.CLAIMED, "claimed_at": now, "created_at": now}
    inserted = session.execute(
        _claim_nudges_statement(session.get_bind().dialect.name),
        [{"team_id": t, "user_id": u, "local_date": d, **claimed} for t, u, d in ordered],
    )
    won: set[tuple[str, str, date]] = {(t, u, d) for t, u, d in inserted}
    taken = [key for key in ordered if key not in won]
    if taken:
        retaken = session.execute(
            update(Nudge)
            .where(
                tuple_(col(Nudge.team_id), col(Nudge.user_id), col(Nudge.local_date)).in_(taken),
                col(Nudge.status) == ClaimStatus.CLAIMED,
                col(Nudge.claimed_at) < stale_before,
            )
            .values(claimed_at=now)
            .returning(col(Nudge.team_id), col(Nudge.user_id), col(Nudge.local_date))
        )
        won.update((t, u, d) for t, u, d in retaken)
    return won


def finish(
    model: Claimable,
    key: dict[str, Any],
    *,
    status: ClaimStatus,
    session: Session,
    channel_id: str | None = None,
    message_ts: str | None = None,
    **remembered: Any,
) -> None:
    """Record how a claimed send ended: sent (with where it is, and what else the row keeps) or failed for good."""
    session.execute(
        update(model)
        .where(*(getattr(model, name) == value for name, value in key.items()))
        .values(status=status, channel_id=channel_id, message_ts=message_ts, **remembered)
    )


def nudges_sent(sent: Sequence[tuple[DueNudge, str, str]], *, session: Session) -> None:
    """Record many nudges as sent, each with its channel and ts, in one statement."""
    bulk.update_each(
        session,
        Nudge.__table__,  # type: ignore[attr-defined]
        [
            {"team_id": d.team_id, "user_id": d.user_id, "local_date": d.local_date, "channel_id": c, "message_ts": ts}
            for d, c, ts in sent
        ],
        keys=NUDGE_KEY,
        fixed={"status": ClaimStatus.SENT},
    )


NUDGE_KEY = ("team_id", "user_id", "local_date")
"""The columns naming a member's nudge of one local day."""


def nudge_key(due: DueNudge) -> dict[str, Any]:
    """The unique key of a member's nudge of one local day."""
    return {"team_id": due.team_id, "user_id": due.user_id, "local_date": due.local_date}


def release_failed_recaps(*, team_id: str, session: Session) -> None:
    """Forget the workspace's failed recaps so that the next pass posts them."""
    session.execute(delete(Recap).where(col(Recap.team_id) == team_id, col(Recap.status) == ClaimStatus.FAILED))


def recap_settled(*, team_id: str, week: date, stale_before: datetime, session: Session) -> bool:
    """Whether the week's recap was posted, failed for good, or is being posted by a live claim."""
    row = session.exec(model_select(Recap).where(Recap.team_id == team_id, Recap.week == week)).first()
    return row is not None and (row.status != ClaimStatus.CLAIMED or row.claimed_at >= stale_before)


def release(model: Claimable, key: dict[str, Any], *, session: Session) -> None:
    """Give up a claim whose work turned out not to be needed, so nothing records it as sent."""
    session.execute(delete(model).where(*(getattr(model, name) == value for name, value in key.items())))
